//! Top-level items other than probes: preprocessor lines, the config
//! block, imports, macro definitions and map declarations.

use super::{PResult, Parser};
use crate::ast::{
    Config, ConfigItem, ConfigValue, Define, Import, Include, Macro, MacroParam, MacroParamKind,
    MapDecl, Program,
};
use crate::diag::Diagnostic;
use crate::lexer::{is_ident_body, is_ident_start, Punct, Tok};
use crate::span::Span;

impl Parser<'_> {
    /// The `#` line at the current token, continuation lines (`\` at the
    /// end) included, without trailing blanks.
    pub(super) fn directive_span(&self) -> Span {
        let bytes = self.src.as_bytes();
        let start = self.tok.span.start;
        let mut end = start;
        while end < bytes.len() && bytes[end] != b'\n' {
            if bytes[end] == b'\\' && bytes.get(end + 1) == Some(&b'\n') {
                end += 2;
            } else {
                end += 1;
            }
        }
        let line = self.src[start..end].trim_end();
        Span::new(start, start + line.len())
    }

    /// `#define NAME text` or `#include ...`. bpftrace hands these to a C
    /// compiler; without one, object-like defines are kept (and expanded
    /// where their name is used as an operand) and includes are recorded,
    /// since every kernel type comes from BTF. Anything else is refused.
    pub(super) fn directive(&mut self, program: &mut Program) -> PResult<()> {
        let span = self.directive_span();
        let line = &self.src[span.start..span.end];
        let after_hash = line[1..].trim_start();
        let word_len = after_hash.bytes().take_while(|&b| is_ident_body(b)).count();
        let (word, rest) = after_hash.split_at(word_len);
        match word {
            "define" => {
                let body = rest.trim_start();
                if !body.bytes().next().is_some_and(is_ident_start) {
                    return Err(Diagnostic::error(
                        span,
                        "syntax: expected a name after #define",
                    ));
                }
                let name_len = body.bytes().take_while(|&b| is_ident_body(b)).count();
                let name = body[..name_len].to_string();
                let after_name = &body[name_len..];
                // Function-like macros need a C preprocessor; bpftrace only
                // ever expands object-like ones in scripts.
                if !after_name.starts_with('(') {
                    let text = after_name.trim_start();
                    let text_start = span.end - text.len();
                    program.defines.push(Define {
                        name,
                        text: text.replace("\\\n", " "),
                        span,
                        text_start,
                    });
                }
            }
            "include" => program.includes.push(Include {
                text: line.to_string(),
                span,
            }),
            _ => {
                return Err(Diagnostic::error(
                    span,
                    format!("syntax: the C preprocessor directive #{word} is not supported"),
                )
                .with_help(
                    "Sonde has no C compiler: only #define NAME value and #include are accepted",
                ))
            }
        }
        self.skip_to(span.end);
        Ok(())
    }

    /// Continues lexing at byte `pos`.
    fn skip_to(&mut self, pos: usize) {
        self.lexer.set_pos(pos);
        self.prev_end = pos;
        self.tok = self.lexer.next_token();
    }

    /// `config = { key = value; ... }`
    pub(super) fn config(&mut self) -> PResult<Config> {
        let start = self.bump().span;
        self.expect(Punct::Assign)?;
        self.expect(Punct::LBrace)?;
        let mut items = Vec::new();
        while !self.is(Punct::RBrace) {
            let Tok::Ident(key) = &self.tok.kind else {
                return Err(self.error_here("expected config key"));
            };
            let key = key.clone();
            let key_span = self.bump().span;
            self.expect(Punct::Assign)?;
            let value = match &self.tok.kind {
                Tok::Str(bytes) => ConfigValue::Str(String::from_utf8_lossy(bytes).into_owned()),
                Tok::Int(v) => ConfigValue::Int(*v),
                Tok::Ident(w) if w == "true" => ConfigValue::Bool(true),
                Tok::Ident(w) if w == "false" => ConfigValue::Bool(false),
                Tok::Ident(w) => ConfigValue::Ident(w.clone()),
                Tok::Invalid(diag) => return Err((**diag).clone()),
                _ => return Err(self.error_here("expected string, int, boolean, or ident")),
            };
            let value_span = self.bump().span;
            items.push(ConfigItem {
                key,
                value,
                span: key_span.to(value_span),
            });
            if self.eat(Punct::Semi).is_none() && !self.is(Punct::RBrace) {
                return Err(self.expected("';'"));
            }
        }
        let close = self.bump().span;
        Ok(Config {
            items,
            span: start.to(close),
        })
    }

    /// `import "path";`
    pub(super) fn import(&mut self) -> PResult<Import> {
        let start = self.bump().span;
        let Tok::Str(bytes) = &self.tok.kind else {
            return Err(self.error_here("expected string after 'import'"));
        };
        let path = String::from_utf8_lossy(bytes).into_owned();
        let end = self.bump().span;
        if self.eat(Punct::Semi).is_none() {
            return Err(self.error_here("expected ';' after import"));
        }
        Ok(Import {
            path,
            span: start.to(end),
        })
    }

    /// `macro name(params) { body }`
    pub(super) fn macro_def(&mut self) -> PResult<Macro> {
        let start = self.bump().span;
        let Tok::Ident(name) = &self.tok.kind else {
            return Err(self.error_here("expected macro name"));
        };
        let name = name.clone();
        let span = start.to(self.bump().span);
        self.expect(Punct::LParen)?;
        let mut params = Vec::new();
        if !self.is(Punct::RParen) {
            loop {
                params.push(self.macro_param()?);
                if self.eat(Punct::Comma).is_none() {
                    break;
                }
            }
        }
        self.expect(Punct::RParen)?;
        let body = self.value_block()?;
        Ok(Macro {
            name,
            params,
            body,
            span,
        })
    }

    fn macro_param(&mut self) -> PResult<MacroParam> {
        let (kind, name) = match &self.tok.kind {
            Tok::Var(name) => (MacroParamKind::Var, name.clone()),
            Tok::Map(name) => (MacroParamKind::Map, name.clone()),
            Tok::Ident(name) if super::paren::is_builtin(name) => {
                return Err(Diagnostic::error(
                    self.tok.span,
                    format!("syntax: builtin '{name}' can't be used as a macro argument"),
                ))
            }
            Tok::Ident(name) => (MacroParamKind::Expr, name.clone()),
            _ => return Err(self.error_here("expected macro argument ($var, @map, or identifier)")),
        };
        let span = self.bump().span;
        Ok(MacroParam { kind, name, span })
    }

    /// `let @name = kind(max_entries);`
    pub(super) fn map_decl(&mut self) -> PResult<MapDecl> {
        let start = self.bump().span;
        let Tok::Map(name) = &self.tok.kind else {
            return Err(self.error_here("expected '@' in map declaration"));
        };
        let name = name.clone();
        self.bump();
        self.expect(Punct::Assign)?;
        let Tok::Ident(kind) = &self.tok.kind else {
            return Err(self.error_here("expected map type name"));
        };
        let kind = kind.clone();
        let kind_span = self.bump().span;
        self.expect(Punct::LParen)?;
        let Tok::Int(max_entries) = self.tok.kind else {
            return Err(
                self.error_here("expected positive integer for map declaration max entries")
            );
        };
        self.bump();
        let close = self.expect(Punct::RParen)?;
        self.eat(Punct::Semi);
        Ok(MapDecl {
            name,
            kind,
            kind_span,
            max_entries,
            span: start.to(close),
        })
    }
}
