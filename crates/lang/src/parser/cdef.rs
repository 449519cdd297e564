//! C type definitions at the top of a script: `struct`, `union` and `enum`
//! with the field declarations C allows in them (pointers, arrays,
//! bitfields, nested definitions, `__attribute__((packed))`).
//!
//! bpftrace hands these to a C compiler, which forgives a missing `;`
//! before `}`; so does this parser.

use super::{PResult, Parser};
use crate::ast::{CBase, CDefKind, CDefinition, CEnum, CField, CRecord, CType};
use crate::lexer::{Punct, Tok};
use crate::span::Span;

/// Words that combine into one integer type name: `unsigned long long`.
const INT_WORDS: &[&str] = &["unsigned", "signed", "short", "long", "int", "char"];
/// Qualifiers that change nothing about a type's layout.
const QUALIFIERS: &[&str] = &["const", "volatile", "restrict", "__restrict"];

impl Parser<'_> {
    /// One top-level definition, with its optional trailing `;`.
    pub(super) fn c_definition(&mut self) -> PResult<CDefinition> {
        let start = self.tok.span;
        let kind = if self.is_word("enum") {
            CDefKind::Enum(self.c_enum()?)
        } else {
            CDefKind::Record(self.c_record()?)
        };
        let end = self.prev_end;
        while self.eat(Punct::Semi).is_some() {}
        Ok(CDefinition {
            kind,
            span: Span::new(start.start, end),
        })
    }

    /// `struct|union [Name] { fields } [attributes]`, at `struct`/`union`.
    fn c_record(&mut self) -> PResult<CRecord> {
        let start = self.bump().span;
        let union = self.src[start.start..start.end] == *"union";
        let name = self.c_ident();
        self.expect(Punct::LBrace)?;
        let mut fields = Vec::new();
        self.nested(|p| {
            while p.eat(Punct::RBrace).is_none() {
                if p.tok.kind == Tok::Eof {
                    return Err(p.expected("'}'"));
                }
                if p.eat(Punct::Semi).is_some() {
                    continue;
                }
                p.c_fields(&mut fields)?;
            }
            Ok(())
        })?;
        let packed = self.c_attributes()?;
        Ok(CRecord {
            union,
            name,
            fields,
            packed,
            span: Span::new(start.start, self.prev_end),
        })
    }

    /// `enum [Name] { A, B = 5, }`, at `enum`.
    fn c_enum(&mut self) -> PResult<CEnum> {
        let start = self.bump().span;
        let name = self.c_ident();
        self.expect(Punct::LBrace)?;
        let mut variants = Vec::new();
        while self.eat(Punct::RBrace).is_none() {
            let Some(variant) = self.c_ident() else {
                return Err(self.expected("enum variant name"));
            };
            let value = if self.eat(Punct::Assign).is_some() {
                Some(self.c_const()?)
            } else {
                None
            };
            variants.push((variant, value));
            if self.eat(Punct::Comma).is_none() {
                self.expect(Punct::RBrace)?;
                break;
            }
        }
        Ok(CEnum {
            name,
            variants,
            span: Span::new(start.start, self.prev_end),
        })
    }

    /// An integer constant, possibly negative.
    fn c_const(&mut self) -> PResult<i64> {
        let negative = self.eat(Punct::Minus).is_some();
        match self.tok.kind {
            Tok::Int(v) => {
                self.bump();
                let v = v as i64;
                Ok(if negative { v.wrapping_neg() } else { v })
            }
            _ => Err(self.expected("integer constant")),
        }
    }

    /// `type decl, decl, ...;` (the last `;` may be missing before `}`).
    fn c_fields(&mut self, out: &mut Vec<CField>) -> PResult<()> {
        let base_start = self.tok.span.start;
        let base = self.c_base()?;
        let base_end = self.prev_end;
        loop {
            let decl_start = self.tok.span.start;
            let mut pointer_depth = 0;
            while self.eat(Punct::Star).is_some() {
                pointer_depth += 1;
                self.skip_qualifiers();
            }
            let name = self.c_ident().unwrap_or_default();
            let mut array_dims = Vec::new();
            while self.eat(Punct::LBracket).is_some() {
                let len = match self.tok.kind {
                    Tok::Int(v) => {
                        self.bump();
                        u32::try_from(v).map_err(|_| self.error_here("array too large"))?
                    }
                    _ => 0,
                };
                self.expect(Punct::RBracket)?;
                array_dims.push(len);
            }
            let bits = if self.eat(Punct::Colon).is_some() {
                match self.tok.kind {
                    Tok::Int(v) if v <= 64 => {
                        self.bump();
                        Some(v as u32)
                    }
                    _ => return Err(self.expected("bitfield width (0 to 64)")),
                }
            } else {
                None
            };
            self.c_attributes()?;
            let end = self.prev_end;
            out.push(CField {
                ty: CType {
                    base: base.clone(),
                    pointer_depth,
                    span: Span::new(base_start, base_end),
                },
                name,
                array_dims,
                bits,
                span: Span::new(decl_start.min(end), end),
            });
            if self.eat(Punct::Comma).is_none() {
                break;
            }
        }
        if !self.is(Punct::RBrace) {
            self.expect(Punct::Semi)?;
        }
        Ok(())
    }

    /// The type before a field's declarators.
    fn c_base(&mut self) -> PResult<CBase> {
        self.skip_qualifiers();
        let base = if self.is_word("struct") || self.is_word("union") {
            let next = self.peek_next().kind;
            let after = {
                let mut ahead = self.lexer.clone();
                ahead.next_token();
                ahead.next_token().kind
            };
            let defines = next == Tok::Punct(Punct::LBrace)
                || (matches!(next, Tok::Ident(_)) && after == Tok::Punct(Punct::LBrace));
            if defines {
                CBase::Record(Box::new(self.c_record()?))
            } else {
                let keyword = self.bump().span;
                let keyword = &self.src[keyword.start..keyword.end];
                let Some(name) = self.c_ident() else {
                    return Err(self.expected("struct or union name"));
                };
                CBase::Named(format!("{keyword} {name}"))
            }
        } else if self.is_word("enum") {
            let next = self.peek_next().kind;
            let after = {
                let mut ahead = self.lexer.clone();
                ahead.next_token();
                ahead.next_token().kind
            };
            if next == Tok::Punct(Punct::LBrace)
                || (matches!(next, Tok::Ident(_)) && after == Tok::Punct(Punct::LBrace))
            {
                CBase::Enum(self.c_enum()?)
            } else {
                self.bump();
                let Some(name) = self.c_ident() else {
                    return Err(self.expected("enum name"));
                };
                CBase::Named(format!("enum {name}"))
            }
        } else {
            let mut words: Vec<String> = Vec::new();
            while let Tok::Ident(w) = &self.tok.kind {
                if QUALIFIERS.contains(&w.as_str()) {
                    self.bump();
                    continue;
                }
                let is_int_word = INT_WORDS.contains(&w.as_str());
                let first_is_int = words
                    .first()
                    .is_some_and(|f| INT_WORDS.contains(&f.as_str()));
                // `int x` stops before `x`; `unsigned long x` too; a
                // typedef name is one word.
                let continues_int = is_int_word && first_is_int;
                if !words.is_empty() && !continues_int {
                    break;
                }
                words.push(w.clone());
                self.bump();
                if !is_int_word {
                    break;
                }
            }
            if words.is_empty() {
                return Err(self.expected("type name"));
            }
            CBase::Named(words.join(" "))
        };
        self.skip_qualifiers();
        Ok(base)
    }

    fn skip_qualifiers(&mut self) {
        while matches!(&self.tok.kind, Tok::Ident(w) if QUALIFIERS.contains(&w.as_str())) {
            self.bump();
        }
    }

    /// An identifier, consumed, or `None` (nothing consumed).
    fn c_ident(&mut self) -> Option<String> {
        match &self.tok.kind {
            Tok::Ident(name) if name != "__attribute__" => {
                let name = name.clone();
                self.bump();
                Some(name)
            }
            _ => None,
        }
    }

    /// Any number of `__attribute__((...))`; true if one says `packed`.
    fn c_attributes(&mut self) -> PResult<bool> {
        let mut packed = false;
        while self.is_word("__attribute__") {
            self.bump();
            self.expect(Punct::LParen)?;
            let mut depth = 1;
            while depth > 0 {
                match &self.tok.kind {
                    Tok::Eof => return Err(self.expected("')'")),
                    Tok::Punct(Punct::LParen) => depth += 1,
                    Tok::Punct(Punct::RParen) => depth -= 1,
                    Tok::Ident(w) if w == "packed" || w == "__packed__" => packed = true,
                    _ => {}
                }
                self.bump();
            }
        }
        Ok(packed)
    }
}
