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
        loop {
            if let Some(star) = self.eat(Punct::Star) {
                pointer_depth += 1;
                span = span.to(star);
            } else if self.is(Punct::LBracket) {
                return Err(Diagnostic::error(
                    self.tok.span,
                    "syntax: array types are not supported in declarations",
                ));
            } else {
                break;
            }
        }
        Ok(TypeSpec::Name(TypeName {
            name,
            pointer_depth,
            array: None,
            span,
        }))
    }
}
