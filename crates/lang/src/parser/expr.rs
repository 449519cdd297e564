//! Expressions, by precedence climbing. From loosest to tightest:
//! `?:` (right-associative), `||`, `&&`, `|`, `^`, `&`, `== !=`,
//! `< <= > >=`, `<< >>`, `+ -`, `* / %`, then prefix operators and casts,
//! then postfix `.field`, `->field`, `[index]`, `++`, `--`.

use super::{height, size, PResult, Parser, MAX_REPEATED_NODES};
use crate::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::diag::Diagnostic;
use crate::lexer::{Punct, Tok};
use crate::span::Span;

impl Parser<'_> {
    pub(super) fn expression(&mut self) -> PResult<Expr> {
        let lhs = self.unary()?;
        self.expression_after(lhs)
    }

    /// The rest of an expression whose first operand is already parsed.
    pub(super) fn expression_after(&mut self, lhs: Expr) -> PResult<Expr> {
        let cond = self.binary_after(lhs, 0)?;
        if self.eat(Punct::Question).is_none() {
            return Ok(cond);
        }
        self.nested(|p| {
            // `a ?: b` is `a ? a : b`, as in bpftrace.
            let then = if let Some(colon) = p.eat(Punct::Colon) {
                p.repeat(&cond, colon)?
            } else {
                let then = p.expression()?;
                p.expect(Punct::Colon)?;
                then
            };
            let otherwise = p.expression()?;
            Ok(Expr {
                span: cond.span.to(otherwise.span),
                kind: ExprKind::Ternary {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                },
            })
        })
    }

    /// A copy of the condition of `cond ?: otherwise`, within the budget.
    fn repeat(&mut self, cond: &Expr, colon: Span) -> PResult<Expr> {
        self.repeated_nodes += size(cond);
        if self.repeated_nodes > MAX_REPEATED_NODES {
            return Err(Diagnostic::error(
                cond.span.to(colon),
                "syntax: the conditions of '?:' are too large to repeat",
            )
            .with_help("store the condition in a variable: $c = ...; $c ? $c : other"));
        }
        Ok(cond.clone())
    }

    fn binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let lhs = self.unary()?;
        self.binary_after(lhs, min_prec)
    }

    fn binary_after(&mut self, mut lhs: Expr, min_prec: u8) -> PResult<Expr> {
        let mut lhs_height = None;
        while let Some((op, prec)) = self.binary_op() {
            if prec < min_prec {
                break;
            }
            let op_span = self.bump().span;
            let rhs = self.binary(prec + 1)?;
            let h = 1 + lhs_height.unwrap_or_else(|| height(&lhs)).max(height(&rhs));
            self.check_height(h, op_span)?;
            lhs_height = Some(h);
            lhs = Expr {
                span: lhs.span.to(rhs.span),
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
            };
        }
        Ok(lhs)
    }

    /// The binary operator at the current token and its precedence.
    fn binary_op(&self) -> Option<(BinOp, u8)> {
        let Tok::Punct(p) = self.tok.kind else {
            return None;
        };
        Some(match p {
            Punct::OrOr => (BinOp::LogicalOr, 1),
            Punct::AndAnd => (BinOp::LogicalAnd, 2),
            Punct::Pipe => (BinOp::BitOr, 3),
            Punct::Caret => (BinOp::BitXor, 4),
            Punct::Amp => (BinOp::BitAnd, 5),
            Punct::EqEq => (BinOp::Eq, 6),
            Punct::Ne => (BinOp::Ne, 6),
            Punct::Lt => (BinOp::Lt, 7),
            Punct::Le => (BinOp::Le, 7),
            Punct::Gt => (BinOp::Gt, 7),
            Punct::Ge => (BinOp::Ge, 7),
            Punct::Shl => (BinOp::Shl, 8),
            Punct::Shr => (BinOp::Shr, 8),
            Punct::Plus => (BinOp::Add, 9),
            Punct::Minus => (BinOp::Sub, 9),
            Punct::Star => (BinOp::Mul, 10),
            Punct::Percent => (BinOp::Mod, 10),
            // A `/` right before a `{` closes a predicate.
            Punct::Slash if self.peek_next().kind == Tok::Punct(Punct::LBrace) => return None,
            Punct::Slash => (BinOp::Div, 10),
            _ => return None,
        })
    }

    /// Prefix operators, casts, and everything tighter.
    pub(super) fn unary(&mut self) -> PResult<Expr> {
        self.nested(|p| p.unary_here())
    }

    fn unary_here(&mut self) -> PResult<Expr> {
        let op = match self.tok.kind {
            Tok::Punct(Punct::PlusPlus | Punct::MinusMinus) => return self.prefix_inc_dec(),
            Tok::Punct(Punct::Amp) => return self.address_of(),
            Tok::Punct(Punct::Star) => UnOp::Deref,
            Tok::Punct(Punct::Bang) => UnOp::Not,
            Tok::Punct(Punct::Tilde) => UnOp::BitNot,
            Tok::Punct(Punct::Minus) => UnOp::Neg,
            _ => {
                let primary = self.primary()?;
                return self.postfix(primary);
            }
        };
        let start = self.bump().span;
        let operand = self.unary()?;
        Ok(Expr {
            span: start.to(operand.span),
            kind: ExprKind::Unary {
                op,
                expr: Box::new(operand),
            },
        })
    }

    /// `++target` or `--target`.
    #[inline(never)]
    fn prefix_inc_dec(&mut self) -> PResult<Expr> {
        let op = self.bump();
        let target = self.unary()?;
        if !is_assignable(&target) {
            return Err(inc_dec_error(target.span));
        }
        Ok(Expr {
            span: op.span.to(target.span),
            kind: ExprKind::IncDec {
                target: Box::new(target),
                increment: op.kind == Tok::Punct(Punct::PlusPlus),
                prefix: true,
            },
        })
    }

    /// `&$var` or `&@map`, and nothing else: bpftrace takes no keys or
    /// postfix operators after the map here.
    #[inline(never)]
    fn address_of(&mut self) -> PResult<Expr> {
        let start = self.bump().span;
        let kind = match &self.tok.kind {
            Tok::Var(name) => ExprKind::Var(name.clone()),
            Tok::Map(name) => ExprKind::Map {
                name: name.clone(),
                keys: Vec::new(),
            },
            _ => {
                return Err(self
                    .error_here("address-of operator (&) can only be used on a map or variable"))
            }
        };
        let operand = Expr {
            kind,
            span: self.bump().span,
        };
        Ok(Expr {
            span: start.to(operand.span),
            kind: ExprKind::Unary {
                op: UnOp::AddrOf,
                expr: Box::new(operand),
            },
        })
    }

    pub(super) fn postfix(&mut self, mut expr: Expr) -> PResult<Expr> {
        let mut expr_height = None;
        while let Tok::Punct(
            p @ (Punct::Dot | Punct::Arrow | Punct::LBracket | Punct::PlusPlus | Punct::MinusMinus),
        ) = self.tok.kind
        {
            let op = self.tok.span;
            let start = expr.span.start;
            let inner_height = expr_height.unwrap_or_else(|| height(&expr));
            let mut child_height = 0;
            let kind = match p {
                Punct::Dot | Punct::Arrow => {
                    self.bump();
                    let field = match &self.tok.kind {
                        Tok::Ident(name) => name.clone(),
                        // `.0` reads a tuple element: a field named "0".
                        Tok::Int(n) if p == Punct::Dot => n.to_string(),
                        Tok::Invalid(diag) if p == Punct::Dot && self.starts_with_digit() => {
                            return Err((**diag).clone())
                        }
                        _ => return Err(self.expected(&format!("field name after '{}'", p.text()))),
                    };
                    self.bump();
                    ExprKind::Field {
                        expr: Box::new(expr),
                        field,
                        arrow: p == Punct::Arrow,
                    }
                }
                Punct::LBracket => {
                    self.bump();
                    let index = self.nested(|p| p.expression())?;
                    self.expect(Punct::RBracket)?;
                    child_height = height(&index);
                    ExprKind::Index {
                        expr: Box::new(expr),
                        index: Box::new(index),
                    }
                }
                _ => {
                    if !is_assignable(&expr) {
                        return Err(inc_dec_error(op));
                    }
                    self.bump();
                    ExprKind::IncDec {
                        target: Box::new(expr),
                        increment: p == Punct::PlusPlus,
                        prefix: false,
                    }
                }
            };
            let h = 1 + inner_height.max(child_height);
            self.check_height(h, op)?;
            expr_height = Some(h);
            expr = Expr {
                kind,
                span: Span::new(start, self.prev_end),
            };
        }
        Ok(expr)
    }

    fn starts_with_digit(&self) -> bool {
        self.src
            .as_bytes()
            .get(self.tok.span.start)
            .is_some_and(u8::is_ascii_digit)
    }
}

/// What `++`, `--` and assignments may change.
pub(super) fn is_assignable(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Var(_) | ExprKind::Map { .. })
}

fn inc_dec_error(span: Span) -> Diagnostic {
    Diagnostic::error(
        span,
        "syntax: increment/decrement requires a variable or map",
    )
}
