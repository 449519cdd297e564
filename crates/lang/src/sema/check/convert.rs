//! Checking the functions that make a value to be printed in a form of its
//! own: `buf`, `strerror`, `signal_name`, `syscall_name`, `strftime`,
//! `cgroup_path`, `ntop`, `macaddr`, and the compile-time `cgroupid` and
//! `pton`.

use std::net::IpAddr;

use super::calls::{nargs_error, range_error};
use super::expr::{int_literal, texpr, Checked};
use super::Checker;
use crate::ast::{self, ExprKind};
use crate::diag::Diagnostic;
use crate::sema::typed::{TExpr, TExprKind};
use crate::sema::types::{TextKind, Type};
use crate::span::Span;

/// Address families as `ntop` takes them.
const AF_INET: u64 = 2;
const AF_INET6: u64 = 10;

impl Checker<'_> {
    pub(super) fn buf_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        if args.is_empty() || args.len() > 2 {
            return Err(range_error("buf", 1, 2, args.len(), span));
        }
        let src = self.value(&args[0])?;
        let max = self.opts.strlen;
        let held = match &src.ty {
            Type::Int { .. } | Type::Ptr { .. } => None,
            Type::Str { .. } | Type::Array { .. } | Type::Record(_) | Type::Tuple(_) => {
                Some(src.ty.size())
            }
            other => {
                return Err(Diagnostic::error(
                    args[0].span,
                    format!(
                        "buf() expects an address or a value held in memory ({other} provided)"
                    ),
                ))
            }
        };
        let (size, len) = match args.get(1) {
            None => match (&src.ty, held) {
                (Type::Array { .. }, Some(size)) => (size.min(max), None),
                _ => {
                    return Err(Diagnostic::error(
                        span,
                        "buf() needs a length unless its argument is an array",
                    )
                    .with_help("write buf(address, length)"))
                }
            },
            Some(len) => {
                let len = self.integer_arg("buf", len)?;
                match len.kind {
                    TExprKind::Int(n) => {
                        let n = (n.min(u64::from(max)) as u32).min(held.unwrap_or(u32::MAX));
                        (n, None)
                    }
                    _ => (held.unwrap_or(max).min(max), Some(Box::new(len))),
                }
            }
        };
        Ok(texpr(
            TExprKind::Buf {
                src: Box::new(src),
                len,
            },
            Type::Buffer { size },
            span,
        ))
    }

    /// An integer printed as text: `strerror(errno)`, `signal_name(sig)`,
    /// `syscall_name(nr)`, `cgroup_path(id[, filter])`,
    /// `strftime(format, ns)`.
    pub(super) fn text_call(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<TExpr> {
        let (kind, value) = match name {
            "strftime" => {
                if args.len() != 2 {
                    return Err(nargs_error(name, 2, args.len(), span));
                }
                let ExprKind::Str(format) = &args[0].kind else {
                    return Err(Diagnostic::error(
                        args[0].span,
                        "strftime() expects a string literal as its format",
                    ));
                };
                let format = String::from_utf8_lossy(format).into_owned();
                (TextKind::Timestamp { format }, &args[1])
            }
            "cgroup_path" => {
                if args.is_empty() || args.len() > 2 {
                    return Err(range_error(name, 1, 2, args.len(), span));
                }
                if let Some(filter) = args.get(1) {
                    if !matches!(filter.kind, ExprKind::Str(_)) {
                        return Err(Diagnostic::error(
                            filter.span,
                            "cgroup_path() expects a string literal as its filter",
                        ));
                    }
                }
                (TextKind::CgroupPath, &args[0])
            }
            _ => {
                if args.len() != 1 {
                    return Err(nargs_error(name, 1, args.len(), span));
                }
                let kind = match name {
                    "strerror" => TextKind::Strerror,
                    "signal_name" => TextKind::SignalName,
                    _ => TextKind::SyscallName,
                };
                (kind, &args[0])
            }
        };
        let value = self.integer_arg(name, value)?;
        Ok(texpr(
            TExprKind::Cast(Box::new(value)),
            Type::Text(kind),
            span,
        ))
    }

    /// `cgroupid(path)`: the id (inode number) of a cgroup v2 directory,
    /// found when the script is compiled.
    pub(super) fn cgroupid_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        if args.len() != 1 {
            return Err(nargs_error("cgroupid", 1, args.len(), span));
        }
        let path = self.literal_string("cgroupid", &args[0])?;
        let id = self.types.env().cgroup_id(&path).ok_or_else(|| {
            Diagnostic::error(
                args[0].span,
                format!("cgroupid(): cannot find the cgroup at '{path}'"),
            )
        })?;
        Ok(int_literal(id, span))
    }

    pub(super) fn ntop_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        let (af, addr) = match args {
            [addr] => (None, addr),
            [af, addr] => (Some(af), addr),
            _ => return Err(range_error("ntop", 1, 2, args.len(), span)),
        };
        let addr = self.value(addr)?;
        // The family follows from the address when it is not given.
        let implied = match &addr.ty {
            Type::Int { .. } => AF_INET,
            Type::Array { .. } if addr.ty.size() == 4 => AF_INET,
            Type::Array { .. } if addr.ty.size() == 16 => AF_INET6,
            other => {
                return Err(Diagnostic::error(
                    addr.span,
                    format!(
                        "ntop() expects an integer or a 4 or 16 byte array as the address ({other} provided)"
                    ),
                ))
            }
        };
        let af = match af {
            Some(af) => self.integer_arg("ntop", af)?,
            None => int_literal(implied, span),
        };
        Ok(texpr(
            TExprKind::Inet {
                af: Box::new(af),
                addr: Box::new(addr),
            },
            Type::Inet,
            span,
        ))
    }

    /// `pton(address)`: a literal IPv4 or IPv6 address as its bytes.
    pub(super) fn pton_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        if args.len() != 1 {
            return Err(nargs_error("pton", 1, args.len(), span));
        }
        let text = self.literal_string("pton", &args[0])?;
        let bytes = match text.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => a.octets().to_vec(),
            Ok(IpAddr::V6(a)) => a.octets().to_vec(),
            Err(_) => {
                return Err(Diagnostic::error(
                    args[0].span,
                    format!("pton() expects an IPv4 or IPv6 address, not '{text}'"),
                ))
            }
        };
        let ty = Type::array(
            Type::Int {
                bytes: 1,
                signed: true,
            },
            bytes.len() as u32,
        );
        Ok(texpr(TExprKind::Bytes(bytes), ty, span))
    }

    pub(super) fn macaddr_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        if args.len() != 1 {
            return Err(nargs_error("macaddr", 1, args.len(), span));
        }
        let mut value = self.value(&args[0])?;
        if let (Type::Str { size }, TExprKind::Deref { .. } | TExprKind::Member { .. }) =
            (&value.ty, &value.kind)
        {
            // A char array read as a string would stop at a zero byte and
            // lose the last one: read its bytes as they are.
            value.ty = Type::array(
                Type::Int {
                    bytes: 1,
                    signed: true,
                },
                *size,
            );
        }
        if value.ty.size() < 6 || !matches!(value.ty, Type::Array { .. } | Type::Str { .. }) {
            return Err(Diagnostic::error(
                args[0].span,
                format!(
                    "macaddr() expects an array of at least 6 bytes ({} provided)",
                    value.ty
                ),
            ));
        }
        Ok(texpr(
            TExprKind::MacAddr(Box::new(value)),
            Type::MacAddr,
            span,
        ))
    }

    /// The text of a string literal argument (or of a positional parameter).
    pub(super) fn literal_string(&mut self, func: &str, arg: &ast::Expr) -> Checked<String> {
        match &arg.kind {
            ExprKind::Str(bytes) => Ok(String::from_utf8_lossy(bytes).into_owned()),
            ExprKind::Positional(n) => Ok(self.positional_text(*n).unwrap_or("").to_string()),
            _ => Err(Diagnostic::error(
                arg.span,
                format!("{func}() expects a string literal"),
            )),
        }
    }
}
