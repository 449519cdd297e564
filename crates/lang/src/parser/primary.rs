//! Operands: literals, names, calls, maps, variables and positional
//! parameters. Parenthesised forms are in `paren.rs`.

use super::{PResult, Parser};
use crate::ast::{Expr, ExprKind};
use crate::diag::Diagnostic;
use crate::lexer::{Punct, Tok};
use crate::span::Span;

impl Parser<'_> {
    pub(super) fn primary(&mut self) -> PResult<Expr> {
        let kind = match &self.tok.kind {
            Tok::Punct(Punct::LParen) => return self.paren(),
            Tok::Map(_) => return self.map(),
            Tok::Punct(Punct::LBrace) => return self.block_expression(),
            Tok::Ident(word) if word == "if" => return self.if_expression(),
            Tok::Ident(_) => return self.name_or_call(),
            Tok::Int(v) => ExprKind::Int(*v),
            Tok::Str(bytes) => ExprKind::Str(bytes.clone()),
            Tok::Var(name) => ExprKind::Var(name.clone()),
            Tok::Positional(n) => ExprKind::Positional(*n),
            Tok::PositionalCount => ExprKind::PositionalCount,
            _ => return Err(self.not_an_operand()),
        };
        let span = self.bump().span;
        Ok(Expr { kind, span })
    }

    /// Why the current token cannot start an operand.
    #[cold]
    #[inline(never)]
    fn not_an_operand(&self) -> Diagnostic {
        match &self.tok.kind {
            Tok::Invalid(diag) => (**diag).clone(),
            _ => self.expected("expression"),
        }
    }

    /// `{ statements; value }` used as an operand.
    #[inline(never)]
    fn block_expression(&mut self) -> PResult<Expr> {
        let block = self.value_block()?;
        Ok(Expr {
            span: block.span,
            kind: ExprKind::Block(Box::new(block)),
        })
    }

    /// `true`, `false`, a call `name(args)` or a bare name.
    #[inline(never)]
    fn name_or_call(&mut self) -> PResult<Expr> {
        let token = self.bump();
        let Tok::Ident(name) = token.kind else {
            return Err(self.expected("name"));
        };
        let kind = match name.as_str() {
            "struct" | "union" | "enum" if matches!(self.tok.kind, Tok::Ident(_)) => {
                // bpftrace takes types in sizeof(), offsetof() and typeinfo().
                return Err(Diagnostic::error(
                    token.span.to(self.tok.span),
                    "syntax: types are not supported here, only in casts such as (struct x *)p",
                ));
            }
            "true" => ExprKind::Bool(true),
            "false" => ExprKind::Bool(false),
            _ if self.is(Punct::LParen) => return self.call(name, token.span),
            _ => ExprKind::Ident(name),
        };
        Ok(Expr {
            kind,
            span: token.span,
        })
    }

    /// `name(args)`, with the name already consumed.
    #[inline(never)]
    fn call(&mut self, name: String, name_span: Span) -> PResult<Expr> {
        self.bump();
        let args = self.list_until(Punct::RParen)?;
        let close = self.expect(Punct::RParen)?;
        Ok(Expr {
            kind: ExprKind::Call { name, args },
            span: name_span.to(close),
        })
    }

    /// `@name` or `@name[key, ...]`.
    #[inline(never)]
    fn map(&mut self) -> PResult<Expr> {
        let token = self.bump();
        let Tok::Map(name) = token.kind else {
            return Err(self.expected("map"));
        };
        let mut span = token.span;
        let mut keys = Vec::new();
        if self.eat(Punct::LBracket).is_some() {
            keys = self.list_until(Punct::RBracket)?;
            if keys.is_empty() {
                return Err(self.expected("expression"));
            }
            span = span.to(self.expect(Punct::RBracket)?);
        }
        Ok(Expr {
            kind: ExprKind::Map { name, keys },
            span,
        })
    }

    /// Comma-separated expressions, none if `close` comes first. The closing
    /// token is left for the caller.
    fn list_until(&mut self, close: Punct) -> PResult<Vec<Expr>> {
        let mut items = Vec::new();
        if self.is(close) {
            return Ok(items);
        }
        loop {
            items.push(self.nested(|p| p.expression())?);
            if self.eat(Punct::Comma).is_none() {
                return Ok(items);
            }
        }
    }
}
