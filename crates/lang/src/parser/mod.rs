//! Recursive-descent parser producing [`crate::ast::Program`].
//!
//! It follows bpftrace v0.26.1's own hand-written parser in what it accepts
//! and in where it reports errors (`syntax: expected ';'` under the token
//! where the `;` should be), but stops at the first error. Constructs of
//! bpftrace 0.26 that the syntax tree cannot hold (functions, C
//! definitions) are rejected with a message naming them rather than with a
//! confusing syntax error.

mod cdef;
mod expr;
mod paren;
mod primary;
mod program;
mod stmt;
mod toplevel;
mod types;

use crate::ast::{Block, Expr, ExprKind, ForIter, Program, StmtKind, TypeSpec};
use crate::diag::Diagnostic;
use crate::lexer::{error_span_at, Lexer, Punct, Tok, Token};
use crate::span::Span;

/// Parse a whole script. Errors carry the span of the offending text.
pub fn parse(source: &str) -> Result<Program, Diagnostic> {
    Parser::new(source).program()
}

/// Parse the script that starts at byte `start` of `text` and runs to its
/// end (a file placed after others in a [`crate::sources::SourceMap`]):
/// spans are offsets into `text`.
pub fn parse_at(text: &str, start: usize) -> Result<Program, Diagnostic> {
    let mut parser = Parser::new(text);
    let mut lexer = Lexer::new(text);
    lexer.set_pos(start);
    lexer.skip_shebang();
    parser.prev_end = lexer.pos();
    parser.tok = lexer.next_token();
    parser.lexer = lexer;
    parser.program()
}

/// Parse `source` as one expression (the text of a `#define`).
pub(crate) fn parse_expression(source: &str) -> Result<Expr, Diagnostic> {
    let mut parser = Parser::new(source);
    let expr = parser.expression()?;
    if parser.tok.kind != Tok::Eof {
        return Err(parser.expected("end of expression"));
    }
    Ok(expr)
}

type PResult<T> = Result<T, Diagnostic>;

/// How deeply blocks, parentheses, unary operators and ternaries may nest.
/// The parser recurses once per level, so this bounds its stack use.
const MAX_NESTING: usize = 128;

/// How many operators deep an expression tree may grow through chains such
/// as `a || b || c ...`, which the parser builds in a loop rather than by
/// recursion. Later stages walk the tree recursively, so it must stay short.
const MAX_OPERATOR_DEPTH: usize = 256;

/// How many nodes the short ternary `a ?: b` may copy in all: it is kept as
/// `a ? a : b`, and nesting it in its own condition doubles the copy each
/// time, so without a budget a short input could take exponential memory.
const MAX_REPEATED_NODES: usize = 4096;

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    /// The current token; the lexer is positioned just after it.
    tok: Token,
    /// Where the last consumed token ended.
    prev_end: usize,
    nesting: usize,
    /// Nodes copied so far for `?:` (see [`MAX_REPEATED_NODES`]).
    repeated_nodes: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Parser<'a> {
        let mut lexer = Lexer::new(src);
        lexer.skip_shebang();
        let start = lexer.pos();
        let tok = lexer.next_token();
        Parser {
            src,
            lexer,
            tok,
            prev_end: start,
            nesting: 0,
            repeated_nodes: 0,
        }
    }

    fn bump(&mut self) -> Token {
        let next = self.lexer.next_token();
        let tok = std::mem::replace(&mut self.tok, next);
        self.prev_end = tok.span.end;
        tok
    }

    /// The token after the current one.
    fn peek_next(&self) -> Token {
        self.lexer.clone().next_token()
    }

    fn is(&self, p: Punct) -> bool {
        self.tok.kind == Tok::Punct(p)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(&self.tok.kind, Tok::Ident(w) if w == word)
    }

    fn eat(&mut self, p: Punct) -> Option<Span> {
        self.is(p).then(|| self.bump().span)
    }

    fn expect(&mut self, p: Punct) -> PResult<Span> {
        match self.eat(p) {
            Some(span) => Ok(span),
            None => Err(self.expected(&format!("'{}'", p.text()))),
        }
    }

    /// `syntax: expected WHAT` under the current token.
    fn expected(&self, what: &str) -> Diagnostic {
        if let Tok::Invalid(diag) = &self.tok.kind {
            // A comment that swallowed the rest of the input explains the
            // failure better than whatever was expected after it.
            if self.src[self.tok.span.start..].starts_with("/*") {
                return (**diag).clone();
            }
        }
        self.error_here(&format!("expected {what}"))
    }

    /// A syntax error under the current token, spanned the way bpftrace
    /// spans it.
    fn error_here(&self, message: &str) -> Diagnostic {
        Diagnostic::error(
            error_span_at(self.src, self.tok.span.start),
            format!("syntax: {message}"),
        )
    }

    /// Runs `f` one nesting level deeper.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.nesting >= MAX_NESTING {
            return Err(self.too_deep());
        }
        self.nesting += 1;
        let result = f(self);
        self.nesting -= 1;
        result
    }

    fn too_deep(&self) -> Diagnostic {
        self.error_here(&format!(
            "the program nests too deeply here (the limit is {MAX_NESTING} levels)"
        ))
        .with_help("split the expression into several statements using variables")
    }

    /// Checks the height of an expression built by an operator loop: a
    /// literal has height 1, each operator above it adds one.
    fn check_height(&self, height: usize, at: Span) -> PResult<()> {
        if height <= MAX_OPERATOR_DEPTH + 1 {
            return Ok(());
        }
        Err(Diagnostic::error(
            at,
            format!(
                "syntax: expression too long (more than {MAX_OPERATOR_DEPTH} chained operators)"
            ),
        )
        .with_help("split the expression into several statements using variables"))
    }
}

/// The number of nodes in an expression tree.
fn size(e: &Expr) -> usize {
    let below: usize = match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Ident(_)
        | ExprKind::Positional(_)
        | ExprKind::PositionalCount
        | ExprKind::Var(_) => 0,
        ExprKind::Map { keys: items, .. }
        | ExprKind::Call { args: items, .. }
        | ExprKind::Tuple(items) => items.iter().map(size).sum(),
        ExprKind::Record(fields) => fields.iter().map(|f| size(&f.value)).sum(),
        ExprKind::Binary { lhs, rhs, .. } => size(lhs) + size(rhs),
        ExprKind::Unary { expr, .. }
        | ExprKind::Field { expr, .. }
        | ExprKind::Cast { expr, .. }
        | ExprKind::IncDec { target: expr, .. } => size(expr),
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => size(cond) + size(then) + size(otherwise),
        ExprKind::Index { expr, index } => size(expr) + size(index),
        ExprKind::Sizeof(arg) | ExprKind::Offsetof { of: arg, .. } => match &**arg {
            crate::ast::SizeofArg::Expr(e) => size(e),
            crate::ast::SizeofArg::Type(_) => 0,
        },
        ExprKind::Block(block) => block_measure(block, size, usize::wrapping_add),
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            size(cond)
                + block_measure(then, size, usize::wrapping_add)
                + otherwise
                    .as_ref()
                    .map_or(0, |b| block_measure(b, size, usize::wrapping_add))
        }
    };
    below + 1
}

/// The height of an expression tree. Every tree the parser builds is
/// bounded in height, so this recursion is too.
fn height(e: &Expr) -> usize {
    let below = match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Ident(_)
        | ExprKind::Positional(_)
        | ExprKind::PositionalCount
        | ExprKind::Var(_) => 0,
        ExprKind::Map { keys: items, .. }
        | ExprKind::Call { args: items, .. }
        | ExprKind::Tuple(items) => items.iter().map(height).max().unwrap_or(0),
        ExprKind::Record(fields) => fields.iter().map(|f| height(&f.value)).max().unwrap_or(0),
        ExprKind::Binary { lhs, rhs, .. } => height(lhs).max(height(rhs)),
        ExprKind::Unary { expr, .. }
        | ExprKind::Field { expr, .. }
        | ExprKind::Cast { expr, .. }
        | ExprKind::IncDec { target: expr, .. } => height(expr),
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => height(cond).max(height(then)).max(height(otherwise)),
        ExprKind::Index { expr, index } => height(expr).max(height(index)),
        ExprKind::Sizeof(arg) | ExprKind::Offsetof { of: arg, .. } => match &**arg {
            crate::ast::SizeofArg::Expr(e) => height(e),
            crate::ast::SizeofArg::Type(_) => 0,
        },
        ExprKind::Block(block) => block_measure(block, height, usize::max),
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => height(cond)
            .max(block_measure(then, height, usize::max))
            .max(
                otherwise
                    .as_ref()
                    .map_or(0, |b| block_measure(b, height, usize::max)),
            ),
    };
    below + 1
}

/// `measure` of every expression in a block (statements included), folded
/// with `combine`. Blocks nest no deeper than [`MAX_NESTING`].
fn block_measure(
    b: &Block,
    measure: fn(&Expr) -> usize,
    combine: fn(usize, usize) -> usize,
) -> usize {
    let mut total = b.expr.as_deref().map_or(0, measure);
    for stmt in &b.stmts {
        let mut add = |e: &Expr| total = combine(total, measure(e));
        match &stmt.kind {
            StmtKind::Expr(e) | StmtKind::Discard(e) => add(e),
            StmtKind::Return(value) => value.iter().for_each(add),
            StmtKind::Assign { target, value, .. } => {
                add(target);
                add(value);
            }
            StmtKind::Let { value, ty, .. } => {
                value.iter().for_each(&mut add);
                if let Some(TypeSpec::Typeof { expr, .. }) = ty {
                    add(expr);
                }
            }
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                add(cond);
                let inner = block_measure(then, measure, combine);
                total = combine(total, inner);
                if let Some(o) = otherwise {
                    total = combine(total, block_measure(o, measure, combine));
                }
            }
            StmtKind::Unroll { count: e, body } | StmtKind::While { cond: e, body } => {
                add(e);
                total = combine(total, block_measure(body, measure, combine));
            }
            StmtKind::For { iter, body, .. } => {
                if let ForIter::Range { start, end } = iter {
                    add(start);
                    add(end);
                }
                total = combine(total, block_measure(body, measure, combine));
            }
            StmtKind::Block(inner) => {
                total = combine(total, block_measure(inner, measure, combine))
            }
            StmtKind::Break | StmtKind::Continue => {}
        }
    }
    total
}
