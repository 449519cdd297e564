//! Types written in declarations: `let $x: uint8`, `let $p: struct task *`,
//! `let $y: typeof(expr)`.

use super::{PResult, Parser};
use crate::ast::{TypeName, TypeSpec};
use crate::diag::Diagnostic;
use crate::lexer::{Punct, Tok};

impl Parser<'_> {
    pub(super) fn type_spec(&mut self) -> PResult<TypeSpec> {
        if self.is_word("typeof") {
            let start = self.bump().span;
            self.expect(Punct::LParen)?;
            if let Some(ty) = self.typeof_pointer_type()? {
                self.expect(Punct::RParen)?;
                return Ok(TypeSpec::Name(ty));
            }
            let expr = self.nested(|p| p.expression())?;
            let close = self.expect(Punct::RParen)?;
            return Ok(TypeSpec::Typeof {
                expr: Box::new(expr),
                span: start.to(close),
            });
        }
        let Tok::Ident(first) = &self.tok.kind else {
            return Err(self.expected("type name"));
        };
        let mut name = first.clone();
        let mut span = self.bump().span;
        if matches!(name.as_str(), "struct" | "union" | "enum") {
            let Tok::Ident(tag) = &self.tok.kind else {
                return Err(self.expected("identifier"));
            };
            name = format!("{name} {tag}");
            span = span.to(self.bump().span);
        }
        let mut pointer_depth = 0;
        while let Some(star) = self.eat(Punct::Star) {
            pointer_depth += 1;
            span = span.to(star);
        }
        // `struct W[10]`: an array of what comes before.
        let mut array = None;
        if self.eat(Punct::LBracket).is_some() {
            let len = match self.tok.kind {
                Tok::Int(n) => {
                    self.bump();
                    Some(u32::try_from(n).map_err(|_| self.error_here("array too large"))?)
                }
                _ => None,
            };
            span = span.to(self.expect(Punct::RBracket)?);
            if self.is(Punct::LBracket) || self.is(Punct::Star) {
                return Err(Diagnostic::error(
                    self.tok.span,
                    "syntax: only one array dimension is supported in declarations",
                ));
            }
            array = Some(len);
        }
        Ok(TypeSpec::Name(TypeName {
            name,
            pointer_depth,
            array,
            span,
        }))
    }

    /// `name *...` inside `typeof(...)`: a pointer type, which cannot be an
    /// expression (`x *)` has no right operand). Consumed when found.
    fn typeof_pointer_type(&mut self) -> PResult<Option<TypeName>> {
        let Tok::Ident(name) = &self.tok.kind else {
            return Ok(None);
        };
        let mut ahead = self.lexer.clone();
        let mut depth = 0;
        let mut next = ahead.next_token();
        while next.kind == Tok::Punct(Punct::Star) {
            depth += 1;
            next = ahead.next_token();
        }
        if depth == 0 || next.kind != Tok::Punct(Punct::RParen) {
            return Ok(None);
        }
        let name = name.clone();
        let start = self.bump().span;
        let mut span = start;
        while let Some(star) = self.eat(Punct::Star) {
            span = span.to(star);
        }
        Ok(Some(TypeName {
            name,
            pointer_depth: depth,
            array: None,
            span,
        }))
    }
}
