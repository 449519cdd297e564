//! What an opening parenthesis starts: a cast `(type)expr`, a tuple
//! `()`, `(a,)`, `(a, b)`, a record `(name = value, ...)`, or a grouping `(a)`.

use super::{PResult, Parser};
use crate::ast::{Expr, ExprKind, RecordField, TypeName};
use crate::diag::Diagnostic;
use crate::lexer::{is_ident_start, Lexer, Punct, Tok, Token};
use crate::span::Span;

/// Names bpftrace never reads as a type in `(name)` or as a record field.
pub(super) fn is_builtin(name: &str) -> bool {
    const BUILTINS: &[&str] = &[
        "args",
        "ctx",
        "kstack",
        "nsecs",
        "pid",
        "tid",
        "ustack",
        "__builtin_cgroup",
        "__builtin_comm",
        "__builtin_cpid",
        "__builtin_cpu",
        "__builtin_curtask",
        "__builtin_dw_ustack",
        "__builtin_elapsed",
        "__builtin_func",
        "__builtin_gid",
        "__builtin_jiffies",
        "__builtin_ncpus",
        "__builtin_probe",
        "__builtin_rand",
        "__builtin_retval",
        "__builtin_uid",
        "__builtin_usermode",
        "__builtin_username",
    ];
    let numbered = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    BUILTINS.contains(&name) || numbered("arg") || numbered("sarg")
}

/// A type read ahead of the parser, before it is known to be a cast.
struct CastType {
    ty: TypeName,
}

impl Parser<'_> {
    pub(super) fn paren(&mut self) -> PResult<Expr> {
        let open = self.bump().span;
        if let Some(close) = self.eat(Punct::RParen) {
            return Ok(Expr {
                kind: ExprKind::Tuple(Vec::new()),
                span: open.to(close),
            });
        }
        if self.starts_record() {
            return self.record(open);
        }
        if let Some(cast) = self.cast_type() {
            return self.cast(open, cast);
        }
        let first = self.expression()?;
        if self.eat(Punct::Comma).is_some() {
            return self.tuple(open, first);
        }
        // A grouping keeps the span of what it groups, as in bpftrace.
        self.expect(Punct::RParen)?;
        Ok(first)
    }

    /// `name =` (not `==`) right after the `(`, with a name that is not a builtin.
    fn starts_record(&self) -> bool {
        matches!(&self.tok.kind, Tok::Ident(name) if !is_builtin(name))
            && self.peek_next().kind == Tok::Punct(Punct::Assign)
    }

    /// `(name = value, ...)` after its `(`. Fields keep the order written.
    #[inline(never)]
    fn record(&mut self, open: Span) -> PResult<Expr> {
        let mut fields: Vec<RecordField> = Vec::new();
        loop {
            let Tok::Ident(name) = &self.tok.kind else {
                return Err(self.error_here("expected identifier"));
            };
            let name = name.clone();
            let name_span = self.bump().span;
            self.expect(Punct::Assign)?;
            let value = self.nested(|p| p.expression())?;
            if fields.iter().any(|f| f.name == name) {
                return Err(Diagnostic::error(
                    name_span.to(value.span),
                    format!("syntax: Named argument list already contains name: {name}"),
                ));
            }
            fields.push(RecordField {
                name,
                name_span,
                value,
            });
            if self.eat(Punct::Comma).is_none() {
                break;
            }
        }
        let close = self.expect(Punct::RParen)?;
        Ok(Expr {
            kind: ExprKind::Record(fields),
            span: open.to(close),
        })
    }

    #[inline(never)]
    fn cast(&mut self, open: Span, cast: CastType) -> PResult<Expr> {
        let operand = self.unary()?;
        Ok(Expr {
            span: open.to(operand.span),
            kind: ExprKind::Cast {
                ty: cast.ty,
                expr: Box::new(operand),
            },
        })
    }

    /// The rest of a tuple after its first element and comma; a trailing
    /// comma is allowed, so `(a,)` has one element.
    #[inline(never)]
    fn tuple(&mut self, open: Span, first: Expr) -> PResult<Expr> {
        let mut items = vec![first];
        while !self.is(Punct::RParen) {
            items.push(self.expression()?);
            if self.eat(Punct::Comma).is_none() {
                break;
            }
        }
        let close = self.expect(Punct::RParen)?;
        Ok(Expr {
            kind: ExprKind::Tuple(items),
            span: open.to(close),
        })
    }

    /// If the text after `(` is `type)` followed by something that can
    /// start an expression, consumes it up to and including the `)`. The
    /// type is a name (`uint8`, `struct task_struct`) with `*`s and `[N]`s.
    #[inline(never)]
    fn cast_type(&mut self) -> Option<CastType> {
        let mut ahead = Ahead {
            lexer: self.lexer.clone(),
            tok: self.tok.clone(),
        };
        let Tok::Ident(first) = &ahead.tok.kind else {
            return None;
        };
        if is_builtin(first) {
            return None;
        }
        let mut name = first.clone();
        let mut span = ahead.bump().span;
        if matches!(name.as_str(), "struct" | "union" | "enum") {
            let Tok::Ident(tag) = &ahead.tok.kind else {
                return None;
            };
            name = format!("{name} {tag}");
            span = span.to(ahead.bump().span);
        }
        let mut pointer_depth = 0;
        let mut array = None;
        loop {
            match ahead.tok.kind {
                Tok::Punct(Punct::Star) => {
                    pointer_depth += 1;
                    span = span.to(ahead.bump().span);
                }
                Tok::Punct(Punct::LBracket) => {
                    if array.is_some() {
                        return None;
                    }
                    ahead.bump();
                    let mut len = None;
                    if let Tok::Int(n) = ahead.tok.kind {
                        len = Some(u32::try_from(n).ok()?);
                        ahead.bump();
                    }
                    if ahead.tok.kind != Tok::Punct(Punct::RBracket) {
                        return None;
                    }
                    span = span.to(ahead.bump().span);
                    array = Some(len);
                }
                _ => break,
            }
        }
        if ahead.tok.kind != Tok::Punct(Punct::RParen) {
            return None;
        }
        let close = ahead.bump().span;
        // `(x) - 1`, `(x) * y`, `(x) != y` are arithmetic on a parenthesised
        // name unless the name is a type for sure.
        let surely_type = pointer_depth > 0
            || array.is_some()
            || name.contains(' ')
            || is_scalar_type_name(&name);
        if !can_start_expression(self.src, ahead.tok.span.start, surely_type) {
            return None;
        }
        self.lexer = ahead.lexer;
        self.tok = ahead.tok;
        self.prev_end = close.end;
        Some(CastType {
            ty: TypeName {
                name,
                pointer_depth,
                array,
                span,
            },
        })
    }
}

/// A copy of the parser's token stream for looking ahead.
struct Ahead<'a> {
    lexer: Lexer<'a>,
    tok: Token,
}

impl Ahead<'_> {
    fn bump(&mut self) -> Token {
        let next = self.lexer.next_token();
        std::mem::replace(&mut self.tok, next)
    }
}

/// bpftrace's test for whether `(name)` is a cast: the character after the
/// `)` could begin an operand. Characters that could also be a binary
/// operator count only when the name is known to be a type.
fn can_start_expression(src: &str, pos: usize, surely_type: bool) -> bool {
    let bytes = src.as_bytes();
    match bytes.get(pos) {
        Some(b'!') => bytes.get(pos + 1) != Some(&b'='),
        Some(b'-' | b'*' | b'&') => surely_type,
        Some(&b) => {
            b.is_ascii_digit() || is_ident_start(b) || matches!(b, b'$' | b'@' | b'"' | b'(' | b'~')
        }
        None => false,
    }
}

/// Integer and boolean type names, which are never variables.
pub(super) fn is_scalar_type_name(name: &str) -> bool {
    matches!(
        name,
        "bool"
            | "int8"
            | "int16"
            | "int32"
            | "int64"
            | "uint8"
            | "uint16"
            | "uint32"
            | "uint64"
            | "char"
            | "short"
            | "int"
            | "long"
            | "unsigned"
            | "signed"
            | "string"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "s8"
            | "s16"
            | "s32"
            | "s64"
    )
}

#[cfg(test)]
mod tests {
    use super::is_builtin;

    #[test]
    fn builtin_names() {
        assert!(is_builtin("pid"));
        assert!(is_builtin("arg0"));
        assert!(is_builtin("arg12"));
        assert!(is_builtin("sarg3"));
        assert!(!is_builtin("arg"));
        assert!(!is_builtin("argx"));
        assert!(!is_builtin("uint8"));
        assert!(!is_builtin("comm"));
    }
}
