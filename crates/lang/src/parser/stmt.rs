//! Blocks and statements.
//!
//! A block may end in an expression without `;` that gives it a value
//! (`{ $a = 1; $a + 1 }`). Only blocks used as values keep it: in probe and
//! loop bodies, and in blocks and `if`s used as statements, the parser turns
//! it into an ordinary statement, so later stages see the value only where
//! it is used.
//!
//! The functions on the recursive path (block, statement, if) keep their
//! rare branches in separate functions: in debug builds every local of a
//! function takes stack space, and deep nesting multiplies it.

use super::{PResult, Parser};
use crate::ast::{Block, Expr, ExprKind, ForIter, Stmt, StmtKind};
use crate::diag::{line_col, Diagnostic};
use crate::lexer::{Punct, Tok};
use crate::span::Span;

/// What one step of a block's statement loop produced.
enum Item {
    Stmt(Stmt),
    /// An expression that ends the block (the next token is its `}`).
    Value(Expr),
}

impl Parser<'_> {
    /// `{ statement; ... }` whose last expression, if any, is a statement.
    pub(super) fn block(&mut self) -> PResult<Block> {
        Ok(into_statements(self.value_block()?))
    }

    /// `{ statement; ... [value] }`. Statements are separated by `;`; the
    /// last one needs none, and empty statements are allowed.
    pub(super) fn value_block(&mut self) -> PResult<Block> {
        let open = self.expect(Punct::LBrace)?;
        self.nested(|p| {
            let mut stmts = Vec::new();
            let mut value = None;
            loop {
                match &p.tok.kind {
                    Tok::Punct(Punct::RBrace) => break,
                    Tok::Punct(Punct::Semi) => {
                        p.bump();
                    }
                    Tok::Eof => return Err(p.unclosed(open.start)),
                    _ => match p.statement()? {
                        Item::Stmt(s) => stmts.push(s),
                        Item::Value(e) => {
                            value = Some(Box::new(e));
                            break;
                        }
                    },
                }
            }
            let close = p.expect(Punct::RBrace)?;
            Ok(Block {
                stmts,
                expr: value,
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

    fn statement(&mut self) -> PResult<Item> {
        if let Tok::Ident(word) = &self.tok.kind {
            match word.as_str() {
                "if" => return self.if_item(),
                "while" | "unroll" => return self.loop_statement().map(Item::Stmt),
                "for" => return self.for_statement().map(Item::Stmt),
                "let" => return self.let_statement().map(Item::Stmt),
                "break" | "continue" | "return" => return self.jump_statement().map(Item::Stmt),
                "import" => return Err(self.statement_import()),
                "_" if self.peek_next().kind == Tok::Punct(Punct::Assign) => {
                    return self.discard().map(Item::Stmt)
                }
                _ => {}
            }
        }
        match self.tok.kind {
            Tok::Punct(Punct::LBrace) => self.block_item(),
            Tok::Var(_) | Tok::Map(_) => self.sigiled_statement(),
            _ => {
                let expr = self.expression()?;
                self.expression_item(expr)
            }
        }
    }

    /// An expression read at the start of a statement: the block's value if
    /// the block ends after it, else a statement that needs its `;`.
    fn expression_item(&mut self, expr: Expr) -> PResult<Item> {
        if self.is(Punct::RBrace) {
            return Ok(Item::Value(expr));
        }
        self.end_statement()?;
        Ok(Item::Stmt(Stmt {
            span: expr.span,
            kind: StmtKind::Expr(expr),
        }))
    }

    /// A nested `{ ... }`: a statement, or the value of the enclosing block
    /// when it ends it and has a value itself.
    #[inline(never)]
    fn block_item(&mut self) -> PResult<Item> {
        let block = self.value_block()?;
        if self.is(Punct::RBrace) && block.expr.is_some() {
            return Ok(Item::Value(Expr {
                span: block.span,
                kind: ExprKind::Block(Box::new(block)),
            }));
        }
        let block = into_statements(block);
        Ok(Item::Stmt(Stmt {
            span: block.span,
            kind: StmtKind::Block(block),
        }))
    }

    /// An `if` at the start of a statement: the value of the enclosing block
    /// when it ends it and has an `else`, otherwise a statement.
    #[inline(never)]
    fn if_item(&mut self) -> PResult<Item> {
        let expr = self.if_expression()?;
        if self.is(Punct::RBrace)
            && matches!(
                &expr.kind,
                ExprKind::If {
                    otherwise: Some(_),
                    ..
                }
            )
        {
            return Ok(Item::Value(expr));
        }
        Ok(Item::Stmt(statement_of(expr)))
    }

    /// `if cond { } [else if cond { } ...] [else { }]`, every block keeping
    /// its value.
    pub(super) fn if_expression(&mut self) -> PResult<Expr> {
        let start = self.bump().span;
        let cond = self.condition()?;
        let then = self.value_block()?;
        let otherwise = if self.is_word("else") {
            Some(Box::new(self.else_branch()?))
        } else {
            None
        };
        let end = otherwise.as_ref().map_or(then.span, |b| b.span);
        Ok(Expr {
            span: start.to(end),
            kind: ExprKind::If {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise,
            },
        })
    }

    /// After `else`: a block, or an `if` as the value of a block of its own.
    fn else_branch(&mut self) -> PResult<Block> {
        self.bump();
        if self.is_word("if") {
            let nested = self.nested(|p| p.if_expression())?;
            return Ok(Block {
                span: nested.span,
                stmts: Vec::new(),
                expr: Some(Box::new(nested)),
            });
        }
        if self.is(Punct::LBrace) {
            return self.value_block();
        }
        Err(self.expected("'{' or 'if' after 'else'"))
    }

    /// `break`, `continue` and `return [value]`.
    #[inline(never)]
    fn jump_statement(&mut self) -> PResult<Stmt> {
        let keyword = self.bump();
        let (kind, span) = match &keyword.kind {
            Tok::Ident(w) if w == "break" => (StmtKind::Break, keyword.span),
            Tok::Ident(w) if w == "continue" => (StmtKind::Continue, keyword.span),
            _ if self.is(Punct::Semi) || self.is(Punct::RBrace) => {
                (StmtKind::Return(None), keyword.span)
            }
            _ => {
                let value = self.expression()?;
                let span = keyword.span.to(value.span);
                (StmtKind::Return(Some(value)), span)
            }
        };
        self.end_statement()?;
        Ok(Stmt { kind, span })
    }

    /// `import` inside a block, which only bpftrace's C imports use.
    #[cold]
    #[inline(never)]
    fn statement_import(&self) -> Diagnostic {
        Diagnostic::error(
            self.tok.span,
            "syntax: imports inside blocks are not supported",
        )
        .with_help("import scripts at the top of the file: import \"file.bt\";")
    }

    /// `_ = expr;`
    #[inline(never)]
    fn discard(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        self.bump();
        let value = self.expression()?;
        let span = start.to(value.span);
        self.end_statement()?;
        Ok(Stmt {
            kind: StmtKind::Discard(value),
            span,
        })
    }

    /// `let $name [: type] [= value];`
    #[inline(never)]
    fn let_statement(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        let Tok::Var(name) = &self.tok.kind else {
            return Err(self.expected("variable after 'let'"));
        };
        let var = name.clone();
        let var_span = self.bump().span;
        let ty = if self.eat(Punct::Colon).is_some() {
            Some(self.type_spec()?)
        } else {
            None
        };
        let value = if self.eat(Punct::Assign).is_some() {
            Some(self.expression()?)
        } else {
            None
        };
        let span = Span::new(start.start, self.prev_end);
        self.end_statement()?;
        Ok(Stmt {
            kind: StmtKind::Let {
                var,
                var_span,
                ty,
                value,
            },
            span,
        })
    }

    /// `for ($var : @map) { }` or `for ($var : start..end) { }`; the
    /// parentheses are optional. Range bounds are operands: `(a + 1)..b`.
    #[inline(never)]
    fn for_statement(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        let paren = self.eat(Punct::LParen).is_some();
        let Tok::Var(name) = &self.tok.kind else {
            return Err(self.error_here("expected variable in for loop"));
        };
        let var = name.clone();
        let var_span = self.bump().span;
        self.expect(Punct::Colon)?;
        let first = self.nested(|p| p.primary())?;
        let iter = if self.eat(Punct::DotDot).is_some() {
            let end = self.nested(|p| p.primary())?;
            ForIter::Range { start: first, end }
        } else {
            if paren {
                self.expect(Punct::RParen)?;
            }
            match first.kind {
                ExprKind::Map { name, keys } if keys.is_empty() => ForIter::Map {
                    name,
                    span: first.span,
                },
                _ => {
                    return Err(Diagnostic::error(
                        first.span,
                        "syntax: expected map or range in for loop",
                    )
                    .with_help("loop over a map without keys (@m) or a range (start..end)"))
                }
            }
        };
        if paren && matches!(iter, ForIter::Range { .. }) {
            self.expect(Punct::RParen)?;
        }
        let body = self.block()?;
        Ok(Stmt {
            span: start.to(body.span),
            kind: StmtKind::For {
                var,
                var_span,
                iter,
                body,
            },
        })
    }

    /// A statement starting with `$name` or `@name`: an assignment, an
    /// increment, or an expression.
    #[inline(never)]
    fn sigiled_statement(&mut self) -> PResult<Item> {
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
                return self.expression_item(expr);
            }
            _ => {
                let lhs = self.postfix(target)?;
                if self.is(Punct::Assign) {
                    return Err(self.bad_assignment(lhs));
                }
                let expr = self.expression_after(lhs)?;
                return self.expression_item(expr);
            }
        };
        self.end_statement()?;
        Ok(Item::Stmt(stmt))
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

/// The block with its value, if any, turned into its last statement.
pub(super) fn into_statements(mut block: Block) -> Block {
    if let Some(value) = block.expr.take() {
        block.stmts.push(statement_of(*value));
    }
    block
}

/// An expression used as a statement: `if`s and blocks become the
/// statements of the same name, with their values turned into statements.
pub(super) fn statement_of(expr: Expr) -> Stmt {
    let span = expr.span;
    let kind = match expr.kind {
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => StmtKind::If {
            cond: *cond,
            then: into_statements(*then),
            otherwise: otherwise.map(|b| into_statements(*b)),
        },
        ExprKind::Block(block) => StmtKind::Block(into_statements(*block)),
        kind => StmtKind::Expr(Expr { kind, span }),
    };
    Stmt { kind, span }
}
