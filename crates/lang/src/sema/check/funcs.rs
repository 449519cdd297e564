//! Checking the functions that compute a value in the program: the string
//! functions (`strncmp`, `strcontains`, `strstr`, `strlen`, `memcmp`),
//! `bswap`, and the map functions `delete`, `has_key` and `len`.

use super::calls::{nargs_error, range_error};
use super::expr::{texpr, Checked};
use super::{Checker, Pass};
use crate::ast::{self, ExprKind};
use crate::diag::Diagnostic;
use crate::sema::typed::{StrFunc, TExpr, TExprKind, TStmtKind};
use crate::sema::types::Type;
use crate::span::Span;

impl Checker<'_> {
    pub(super) fn str_func(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<TExpr> {
        let (func, ty, nargs) = match name {
            "strncmp" => (StrFunc::Ncmp(0), Type::U64, 3),
            "strcontains" => (StrFunc::Contains, Type::Bool, 2),
            "strstr" => (StrFunc::Find, Type::I64, 2),
            "strlen" => (StrFunc::Len, Type::U64, 1),
            _ => (StrFunc::Memcmp(0), Type::I64, 3),
        };
        if args.len() != nargs {
            return Err(nargs_error(name, nargs, args.len(), span));
        }
        let memory = matches!(func, StrFunc::Memcmp(_));
        let mut checked = Vec::with_capacity(2);
        for arg in &args[..nargs.min(2)] {
            checked.push(if memory {
                self.memory_arg(name, arg)?
            } else {
                self.string_arg(name, arg)?
            });
        }
        let func = match func {
            StrFunc::Ncmp(_) | StrFunc::Memcmp(_) => {
                let n = self.literal_u64(name, &args[2])?;
                let n = u32::try_from(n).map_err(|_| {
                    Diagnostic::error(args[2].span, format!("{name}(): {n} is too large"))
                })?;
                if memory {
                    let fits = checked.iter().map(|a| a.ty.size()).min().unwrap_or(0);
                    if n > fits {
                        return Err(Diagnostic::error(
                            args[2].span,
                            format!("memcmp(): {n} is more than the {fits} bytes the values have"),
                        ));
                    }
                    StrFunc::Memcmp(n)
                } else {
                    StrFunc::Ncmp(n)
                }
            }
            other => other,
        };
        Ok(texpr(
            TExprKind::StrFunc {
                func,
                args: checked,
            },
            ty,
            span,
        ))
    }

    /// A string argument: a string, or an address read as one (`str(p)`).
    fn string_arg(&mut self, func: &str, arg: &ast::Expr) -> Checked<TExpr> {
        let checked = self.value(arg)?;
        match checked.ty {
            Type::Str { .. } => Ok(checked),
            Type::ProbeName => self.probe_as_string(checked),
            Type::Ptr { .. } => self.str_call(std::slice::from_ref(arg), arg.span),
            ref other => Err(Diagnostic::error(
                arg.span,
                format!("{func}() expects string arguments ({other} provided)"),
            )),
        }
    }

    /// A `memcmp` argument: any value the program holds in memory.
    fn memory_arg(&mut self, func: &str, arg: &ast::Expr) -> Checked<TExpr> {
        let checked = self.value(arg)?;
        match checked.ty {
            Type::Str { .. } | Type::Tuple(_) | Type::Record(_) | Type::Array { .. } => Ok(checked),
            ref other => Err(Diagnostic::error(
                arg.span,
                format!("{func}() compares values held in memory, not '{other}'"),
            )),
        }
    }

    pub(super) fn bswap_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        if args.len() != 1 {
            return Err(nargs_error("bswap", 1, args.len(), span));
        }
        let arg = self.value(&args[0])?;
        let bytes = match arg.ty {
            // Literals are 64-bit, as bpftrace's are.
            Type::Int { bytes, .. } => bytes,
            Type::Bool => 1,
            ref other => {
                return Err(Diagnostic::error(
                    args[0].span,
                    format!("bswap() only supports integer arguments ({other} provided)"),
                ))
            }
        };
        let ty = Type::Int {
            bytes,
            signed: false,
        };
        Ok(texpr(TExprKind::Bswap(Box::new(arg)), ty, span))
    }

    /// `delete(@m, key)` or `delete(@m[key])` for its value.
    pub(super) fn delete_expr(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        match self.delete(args, span)? {
            TStmtKind::Delete { map, key } => Ok(texpr(
                TExprKind::Delete {
                    map,
                    key: key.map(Box::new),
                },
                Type::Bool,
                span,
            )),
            // The first run learns nothing from a delete.
            _ => Ok(texpr(TExprKind::Bool(false), Type::Bool, span)),
        }
    }

    /// The map argument of `has_key`/`len`, which must have keys.
    fn keyed_map(&mut self, func: &str, arg: &ast::Expr) -> Checked<(String, usize)> {
        let ExprKind::Map { name, keys } = &arg.kind else {
            return Err(Diagnostic::error(
                arg.span,
                format!("{func}() expects a map as its first argument"),
            ));
        };
        if !keys.is_empty() {
            return Err(Diagnostic::error(
                arg.span,
                format!("{func}() expects a map, not a map element"),
            )
            .with_help(format!("write {func}(@{name}, ...)")));
        }
        let map = self.existing_map(name, arg.span)?;
        if self.pass == Pass::Check && self.map_is_scalar(map) {
            return Err(Diagnostic::error(
                arg.span,
                format!("call to {func}() expects a map with explicit keys (non-scalar map)"),
            ));
        }
        Ok((name.clone(), map))
    }

    pub(super) fn has_key_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        if args.len() != 2 {
            return Err(nargs_error("has_key", 2, args.len(), span));
        }
        let (name, _) = self.keyed_map("has_key", &args[0])?;
        let key = self.map_key(std::slice::from_ref(&args[1]), args[1].span)?;
        let map = self.map_for_read(&name, key.as_ref(), false, args[0].span)?;
        let (Some((map, _)), Some(key)) = (map, key) else {
            return Ok(texpr(TExprKind::Bool(false), Type::Bool, span));
        };
        Ok(texpr(
            TExprKind::HasKey {
                map,
                key: Box::new(key),
            },
            Type::Bool,
            span,
        ))
    }

    pub(super) fn len_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        if args.len() != 1 {
            return Err(range_error("len", 1, 1, args.len(), span));
        }
        let arg = &args[0];
        let whole_map = matches!(&arg.kind, ExprKind::Map { keys, .. } if keys.is_empty());
        if !whole_map {
            let value = self.value(arg)?;
            if matches!(value.ty, Type::Stack(_)) {
                self.counts_stack_frames = true;
                return Ok(texpr(TExprKind::StackLen(Box::new(value)), Type::I64, span));
            }
            if !matches!(arg.kind, ExprKind::Map { .. }) {
                return Err(Diagnostic::error(
                    arg.span,
                    "call to len() expects a map, ustack, or kstack",
                ));
            }
        }
        // A map element that is not a stack is refused here.
        let (_, map) = self.keyed_map("len", arg)?;
        Ok(texpr(TExprKind::MapLen(map), Type::I64, span))
    }

    /// `socket_cookie(sk)`: only tracing programs get the helper, and only
    /// with a `struct sock *` the verifier knows the type of.
    pub(super) fn socket_cookie_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        if args.len() != 1 {
            return Err(nargs_error("socket_cookie", 1, args.len(), span));
        }
        let provider = self.probetype();
        if !matches!(
            self.inst.kind,
            crate::sema::typed::ProbeKind::Fentry
                | crate::sema::typed::ProbeKind::Fexit
                | crate::sema::typed::ProbeKind::RawTracepoint
                | crate::sema::typed::ProbeKind::Iter
        ) {
            return Err(Diagnostic::error(
                span,
                format!("socket_cookie can not be used with \"{provider}\" probes"),
            ));
        }
        let sk = self.value(&args[0])?;
        let is_sock = matches!(&sk.ty, Type::Ptr { pointee, .. }
            if matches!(&**pointee, Type::Record(r) if r.name == "struct sock"));
        if !is_sock {
            let shown = match &sk.ty {
                Type::Ptr { pointee, .. } => format!("'{pointee} *'"),
                other => other.to_string(),
            };
            return Err(Diagnostic::error(
                args[0].span,
                format!("socket_cookie() only supports 'struct sock *' as the argument ({shown} provided)"),
            ));
        }
        Ok(texpr(
            TExprKind::SocketCookie(Box::new(sk)),
            Type::U64,
            span,
        ))
    }
}
