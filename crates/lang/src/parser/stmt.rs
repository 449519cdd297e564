//! Blocks and statements.
//!
//! The functions on the recursive path (block, statement, if) keep their
//! rare branches in separate functions: in debug builds every local of a
//! function takes stack space, and deep nesting multiplies it.

use super::{PResult, Parser};
use crate::ast::{Block, Expr, ExprKind, Stmt, StmtKind};
use crate::diag::{line_col, Diagnostic};
use crate::lexer::{Punct, Tok};

impl Parser<'_> {
    /// `{ statement; ... }`. Statements are separated by `;`; the last one
    /// needs none, and empty statements are allowed.
    pub(super) fn block(&mut self) -> PResult<Block> {
        let open = self.expect(Punct::LBrace)?;
        self.nested(|p| {
            let mut stmts = Vec::new();
            loop {
                match &p.tok.kind {
                    Tok::Punct(Punct::RBrace) => break,
                    Tok::Punct(Punct::Semi) => {
                        p.bump();
                    }
                    Tok::Eof => return Err(p.unclosed(open.start)),
                    _ => stmts.push(p.statement()?),
                }
            }
            let close = p.bump().span;
            Ok(Block {
                stmts,
                span: open.to(close),
            })
        })
    }

    #[cold]
    fn unclosed(&self, open: usize) -> Diagnostic {
        let (line, col) = line_col(self.src, open);
        self.expected("'}'").with_help(format!(
            "the '{{' at line {line} column {col} is never closed"
        ))
    }

    fn statement(&mut self) -> PResult<Stmt> {
        if let Tok::Ident(word) = &self.tok.kind {
            match word.as_str() {
                "if" => return self.if_statement(),
                "while" | "unroll" => return self.loop_statement(),
                "break" | "continue" | "return" => return self.jump_statement(),
                "let" | "for" | "import" => return Err(self.unsupported_statement()),
                "_" if self.peek_next().kind == Tok::Punct(Punct::Assign) => {
                    return Err(self.unsupported_statement())
                }
                _ => {}
            }
        }
        match self.tok.kind {
            Tok::Punct(Punct::LBrace) => {
                let block = self.block()?;
                Ok(Stmt {
                    span: block.span,
                    kind: StmtKind::Block(block),
                })
            }
            Tok::Var(_) | Tok::Map(_) => self.sigiled_statement(),
            _ => {
                let expr = self.expression()?;
                self.end_statement()?;
                Ok(Stmt {
                    span: expr.span,
                    kind: StmtKind::Expr(expr),
                })
            }
        }
    }

    /// `break`, `continue` and `return`.
    #[inline(never)]
    fn jump_statement(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let kind = match &keyword.kind {
            Tok::Ident(w) if w == "break" => StmtKind::Break,
            Tok::Ident(w) if w == "continue" => StmtKind::Continue,
            _ if self.is(Punct::Semi) || self.is(Punct::RBrace) => StmtKind::Return,
            _ => {
                return Err(self
                    .error_here("'return' takes no value in a probe")
                    .with_help("return values are for functions (fn), which are not supported"))
            }
        };
        self.end_statement()?;
        Ok(Stmt {
            kind,
            span: keyword.span,
        })
    }

    /// Statements of bpftrace 0.26 that the syntax tree cannot hold.
    #[cold]
    #[inline(never)]
    fn unsupported_statement(&self) -> Diagnostic {
        let span = self.tok.span;
        let error = |what: &str| Diagnostic::error(span, format!("syntax: {what}"));
        match &self.tok.kind {
            Tok::Ident(w) if w == "let" => error("variable declarations (let) are not supported")
                .with_help("assign the variable instead: $x = value;"),
            Tok::Ident(w) if w == "for" => {
                error("for loops are not supported").with_help("use while or unroll")
            }
            Tok::Ident(w) if w == "import" => error("imports are not supported"),
            _ => error("discard assignments (_ = ...) are not supported")
                .with_help("write the expression as a statement on its own"),
        }
    }

    /// A statement starting with `$name` or `@name`: an assignment, an
    /// increment, or an expression.
    #[inline(never)]
    fn sigiled_statement(&mut self) -> PResult<Stmt> {
        let target = self.primary()?;
        let start = target.span;
        let stmt = match self.tok.kind {
            Tok::Punct(Punct::Assign) => self.assignment(target, None)?,
            Tok::Punct(Punct::CompoundAssign(op)) => self.assignment(target, Some(op))?,
            Tok::Punct(p @ (Punct::PlusPlus | Punct::MinusMinus)) => {
                let op = self.bump().span;
                let expr = Expr {
                    span: start.to(op),
                    kind: ExprKind::IncDec {
                        target: Box::new(target),
                        increment: p == Punct::PlusPlus,
                        prefix: false,
                    },
                };
                Stmt {
                    span: expr.span,
                    kind: StmtKind::Expr(expr),
                }
            }
            _ => {
                let lhs = self.postfix(target)?;
                if self.is(Punct::Assign) {
                    return Err(self.bad_assignment(lhs));
                }
                let expr = self.expression_after(lhs)?;
                Stmt {
                    span: expr.span,
                    kind: StmtKind::Expr(expr),
                }
            }
        };
        self.end_statement()?;
        Ok(stmt)
    }

    /// `target = value` or `target op= value`, at the operator.
    fn assignment(&mut self, target: Expr, op: Option<crate::ast::BinOp>) -> PResult<Stmt> {
        self.bump();
        let value = self.expression()?;
        Ok(Stmt {
            span: target.span.to(value.span),
            kind: StmtKind::Assign { target, op, value },
        })
    }

    /// An assignment to something other than a variable or map, at its `=`.
    /// Like bpftrace, the value is read first so that the error covers the
    /// whole statement.
    #[cold]
    #[inline(never)]
    fn bad_assignment(&mut self, lhs: Expr) -> Diagnostic {
        self.bump();
        let value = match self.expression() {
            Ok(value) => value,
            Err(diag) => return diag,
        };
        let message = if matches!(lhs.kind, ExprKind::Field { .. }) {
            "syntax: Tuples and records are immutable once created. \
             Consider creating a new value and assigning it instead."
        } else {
            "syntax: invalid assignment target"
        };
        Diagnostic::error(lhs.span.to(value.span), message)
            .with_help("only variables ($x) and maps (@x, @x[key]) can be assigned to")
    }

    /// After a statement: its `;`, or the `}` closing the block.
    fn end_statement(&mut self) -> PResult<()> {
        if self.eat(Punct::Semi).is_some() || self.is(Punct::RBrace) {
            return Ok(());
        }
        Err(self
            .expected("';'")
            .with_help("statements are separated by ';'"))
    }

    /// `if cond { } [else if cond { } ...] [else { }]`
    #[inline(never)]
    fn if_statement(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        let cond = self.condition()?;
        let then = self.block()?;
        let otherwise = if self.is_word("else") {
            Some(self.else_branch()?)
        } else {
            None
        };
        let end = otherwise.as_ref().map_or(then.span, |b| b.span);
        Ok(Stmt {
            span: start.to(end),
            kind: StmtKind::If {
                cond,
                then,
                otherwise,
            },
        })
    }

    /// After `else`: a block, or an `if` wrapped in a block of its own.
    fn else_branch(&mut self) -> PResult<Block> {
        self.bump();
        if self.is_word("if") {
            let nested = self.nested(|p| p.if_statement())?;
            return Ok(Block {
                span: nested.span,
                stmts: vec![nested],
            });
        }
        if self.is(Punct::LBrace) {
            return self.block();
        }
        Err(self.expected("'{' or 'if' after 'else'"))
    }

    /// `while cond { }` and `unroll (count) { }`
    #[inline(never)]
    fn loop_statement(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let is_while = keyword.kind == Tok::Ident("while".into());
        let cond = self.condition()?;
        let body = self.block()?;
        let span = keyword.span.to(body.span);
        let kind = if is_while {
            StmtKind::While { cond, body }
        } else {
            StmtKind::Unroll { count: cond, body }
        };
        Ok(Stmt { kind, span })
    }

    /// The condition of `if`, `while` and `unroll`: a whole expression in
    /// parentheses, or without them a unary expression (so that the `{` that
    /// follows is not taken for part of it).
    fn condition(&mut self) -> PResult<Expr> {
        if self.eat(Punct::LParen).is_some() {
            let cond = self.nested(|p| p.expression())?;
            self.expect(Punct::RParen)?;
            return Ok(cond);
        }
        let cond = self.unary()?;
        if !self.is(Punct::LBrace) {
            return Err(self.expected("'{'").with_help(
                "without parentheses a condition is a single operand; write the whole condition in ( )",
            ));
        }
        Ok(cond)
    }
}
