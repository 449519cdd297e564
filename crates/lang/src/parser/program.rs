//! The top level: the order of its sections, probes with their attach
//! points and predicates, and the top-level constructs of bpftrace 0.26
//! that are not supported. The other items are in `toplevel.rs`.
//!
//! As in bpftrace, a script is C definitions (`#define`, `#include`), then
//! the config block and imports in any order, then probes, macros and map
//! declarations in any order.

use super::{PResult, Parser};
use crate::ast::{AttachPoint, Probe, Program};
use crate::diag::Diagnostic;
use crate::lexer::{is_ident_body, is_ident_start, Punct, Tok};

impl Parser<'_> {
    pub(super) fn program(mut self) -> PResult<Program> {
        let mut program = Program::default();
        while self.at_directive() || self.at_c_definition() {
            if self.at_c_definition() {
                program.c_definitions.push(self.c_definition()?);
                continue;
            }
            self.directive(&mut program)?;
        }
        loop {
            if self.is_word("config") {
                if program.config.is_some() {
                    return Err(self.error_here("duplicate config block"));
                }
                program.config = Some(self.config()?);
            } else if self.is_word("import") {
                program.imports.push(self.import()?);
            } else {
                break;
            }
        }
        while self.tok.kind != Tok::Eof {
            if self.at_directive() {
                let line = self.directive_span();
                return Err(Diagnostic::error(
                    line,
                    "syntax: C definitions must appear before probes and functions",
                ));
            }
            if self.is_word("config") {
                return Err(self.error_here("config must appear before probes and functions"));
            }
            if self.is_word("import") {
                return Err(self.error_here("root imports must appear before probes and functions"));
            }
            if self.is_word("macro") {
                program.macros.push(self.macro_def()?);
                continue;
            }
            if self.is_word("let") && matches!(self.peek_next().kind, Tok::Map(_)) {
                program.map_decls.push(self.map_decl()?);
                continue;
            }
            self.reject_unsupported_item()?;
            program.probes.push(self.probe()?);
        }
        Ok(program)
    }

    /// A `#` line that is not the shebang.
    fn at_directive(&self) -> bool {
        self.tok.kind == Tok::Unknown('#') && !self.src[self.tok.span.start..].starts_with("#!")
    }

    fn at_c_definition(&self) -> bool {
        matches!(&self.tok.kind, Tok::Ident(w) if matches!(w.as_str(), "struct" | "union" | "enum"))
            && self.looks_like_c_definition()
    }

    fn probe(&mut self) -> PResult<Probe> {
        let mut attach_points = vec![self.attach_point()?];
        while self.eat(Punct::Comma).is_some() {
            // A trailing comma before the predicate or body is allowed.
            if self.is(Punct::LBrace) || self.is(Punct::Slash) {
                break;
            }
            attach_points.push(self.attach_point()?);
        }

        let predicate = if self.eat(Punct::Slash).is_some() {
            let cond = self.expression()?;
            if self.eat(Punct::Slash).is_none() {
                return Err(self
                    .expected("'/' to close predicate")
                    .with_help("a predicate is written /condition/ before the probe's '{'"));
            }
            Some(cond)
        } else {
            None
        };

        let body = self.block()?;
        let span = attach_points[0].span.to(body.span);
        Ok(Probe {
            attach_points,
            predicate,
            body,
            span,
        })
    }

    /// Reads an attach point as raw text from where the last token ended.
    /// The current token was lexed as ordinary code and is dropped.
    fn attach_point(&mut self) -> PResult<AttachPoint> {
        self.lexer.set_pos(self.prev_end);
        let found = self.lexer.attach_point();
        if let Some((_, span)) = &found {
            self.prev_end = span.end;
        }
        self.tok = self.lexer.next_token();
        match found {
            Some((raw, span)) => Ok(AttachPoint { raw, span }),
            None => {
                let diag = self.expected("attach point");
                Err(if self.is(Punct::RBrace) {
                    diag.with_help("this '}' closes no block")
                } else {
                    diag
                })
            }
        }
    }

    /// Fails on top-level items that bpftrace 0.26 has and the syntax tree
    /// cannot hold yet.
    fn reject_unsupported_item(&self) -> PResult<()> {
        let span = self.tok.span;
        let unsupported = |what: &str| Err(Diagnostic::error(span, format!("syntax: {what}")));
        match &self.tok.kind {
            Tok::Ident(word) => match word.as_str() {
                "struct" | "union" | "enum" if self.looks_like_c_definition() => {
                    unsupported("C struct, union and enum definitions are not supported")
                }
                "fn" => unsupported("functions (fn) are not supported"),
                "let" => unsupported(
                    "root-level let statements need to be map declarations, e.g. let @a = hash(2);",
                ),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// `struct Name ... {` as opposed to an attach point such as
    /// `struct:probe`: identifiers and balanced groups up to a `{`.
    fn looks_like_c_definition(&self) -> bool {
        let bytes = self.src.as_bytes();
        let mut pos = self.tok.span.end;
        let skip_space = |mut pos: usize| {
            while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
                pos += 1;
            }
            pos
        };
        loop {
            pos = skip_space(pos);
            match bytes.get(pos) {
                Some(b'{') => return true,
                Some(&b) if is_ident_start(b) => {
                    while bytes.get(pos).is_some_and(|&b| is_ident_body(b)) {
                        pos += 1;
                    }
                }
                Some(&open @ (b'(' | b'[')) => {
                    let close = if open == b'(' { b')' } else { b']' };
                    let mut depth = 0usize;
                    loop {
                        match bytes.get(pos) {
                            None => return false,
                            Some(&b) if b == open => depth += 1,
                            Some(&b) if b == close => {
                                depth -= 1;
                                if depth == 0 {
                                    pos += 1;
                                    break;
                                }
                            }
                            Some(_) => {}
                        }
                        pos += 1;
                    }
                }
                _ => return false,
            }
        }
    }
}
