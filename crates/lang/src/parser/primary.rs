//! Operands: literals, names, calls, maps, variables and positional
//! parameters. Parenthesised forms are in `paren.rs`.

use super::{PResult, Parser};
use crate::ast::{Expr, ExprKind, SizeofArg, TypeName};
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
            "sizeof" | "offsetof" if self.is(Punct::LParen) => {
                return self.sizeof_or_offsetof(name == "sizeof", token.span)
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

    /// `sizeof(type|expr)` or `offsetof(type|expr, field.field)`, with the
    /// name consumed.
    #[inline(never)]
    fn sizeof_or_offsetof(&mut self, sizeof: bool, name_span: Span) -> PResult<Expr> {
        self.bump();
        let arg = match self.type_name()? {
            Some(ty) => SizeofArg::Type(ty),
            None => SizeofArg::Expr(self.nested(|p| p.expression())?),
        };
        let kind = if sizeof {
            ExprKind::Sizeof(Box::new(arg))
        } else {
            self.expect(Punct::Comma)?;
            let mut fields = Vec::new();
            loop {
                match &self.tok.kind {
                    Tok::Ident(f) => {
                        fields.push(f.clone());
                        self.bump();
                    }
                    _ => return Err(self.expected("field name")),
                }
                if self.eat(Punct::Dot).is_none() {
                    break;
                }
            }
            ExprKind::Offsetof {
                of: Box::new(arg),
                fields,
            }
        };
        let close = self.expect(Punct::RParen)?;
        Ok(Expr {
            kind,
            span: name_span.to(close),
        })
    }

    /// A type at the current token when it surely is one (`struct x`,
    /// `uint8`, `int32 *`), consumed; `None` with nothing consumed otherwise.
    fn type_name(&mut self) -> PResult<Option<TypeName>> {
        let Tok::Ident(first) = &self.tok.kind else {
            return Ok(None);
        };
        let first = first.clone();
        let start = self.tok.span;
        let name = if matches!(first.as_str(), "struct" | "union" | "enum") {
            self.bump();
            let Tok::Ident(tag) = &self.tok.kind else {
                return Err(self.expected("type name"));
            };
            let name = format!("{first} {tag}");
            self.bump();
            name
        } else if super::paren::is_scalar_type_name(&first)
            && matches!(
                self.peek_next().kind,
                Tok::Punct(Punct::RParen | Punct::Star | Punct::Comma)
            )
        {
            self.bump();
            first
        } else {
            return Ok(None);
        };
        let mut pointer_depth = 0;
        while self.eat(Punct::Star).is_some() {
            pointer_depth += 1;
        }
        Ok(Some(TypeName {
            name,
            pointer_depth,
            array: None,
            span: Span::new(start.start, self.prev_end),
        }))
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
