//! Checking the calls that act rather than compute: `system`, `cat`,
//! `errorf`, `warnf`, `time`, `join`, `debugf`, `signal`, `override`, and the
//! compile-time `fail`, `static_assert` and `assert`.

use sonde_output::printf::FormatString;

use super::calls::{nargs_error, range_error};
use super::expr::{texpr, Checked};
use super::{Checker, Pass};
use crate::ast::{self, ExprKind};
use crate::diag::Diagnostic;
use crate::sema::typed::{AsyncAction, ProbeKind, TExpr, TExprKind, TStmtKind};
use crate::sema::types::Type;
use crate::span::Span;

impl Checker<'_> {
    pub(super) fn async_call(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<TStmtKind> {
        if name == "system" {
            self.require_unsafe(name, span)?;
        }
        let (format, args) = self.format_args(name, args, span)?;
        let action = match name {
            "system" => AsyncAction::System,
            "cat" => AsyncAction::Cat,
            "errorf" => AsyncAction::Errorf,
            _ => AsyncAction::Warnf,
        };
        Ok(TStmtKind::Async {
            action,
            format,
            args,
        })
    }

    pub(super) fn action_call(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<TStmtKind> {
        match name {
            "time" => {
                if args.len() > 1 {
                    return Err(range_error(name, 0, 1, args.len(), span));
                }
                let format = match args.first() {
                    Some(arg) => match &arg.kind {
                        ExprKind::Str(bytes) => bytes.clone(),
                        _ => {
                            return Err(Diagnostic::error(
                                arg.span,
                                "time() expects a string literal as its format",
                            ))
                        }
                    },
                    None => b"%H:%M:%S\n".to_vec(),
                };
                Ok(TStmtKind::Time(format))
            }
            "join" => {
                if args.is_empty() || args.len() > 2 {
                    return Err(range_error(name, 1, 2, args.len(), span));
                }
                let array = self.value(&args[0])?;
                if !matches!(array.ty, Type::Ptr { .. } | Type::Int { .. }) {
                    return Err(Diagnostic::error(
                        args[0].span,
                        format!(
                            "join() expects the address of an array of string addresses ({} provided)",
                            array.ty
                        ),
                    ));
                }
                let sep = match args.get(1) {
                    Some(arg) => match &arg.kind {
                        ExprKind::Str(bytes) => bytes.clone(),
                        _ => {
                            return Err(Diagnostic::error(
                                arg.span,
                                "join() expects a string literal as its separator",
                            ))
                        }
                    },
                    None => b" ".to_vec(),
                };
                Ok(TStmtKind::Join {
                    array,
                    sep,
                    size: self.opts.strlen,
                })
            }
            "debugf" => {
                let (format, args) = self.format_args(name, args, span)?;
                Ok(TStmtKind::Debugf { format, args })
            }
            "signal" | "signal_thread" => self.signal_call(name, args, span),
            "override" => {
                if args.len() != 1 {
                    return Err(nargs_error(name, 1, args.len(), span));
                }
                if !matches!(self.inst.kind, ProbeKind::Kprobe { ret: false }) {
                    return Err(Diagnostic::error(
                        span,
                        "override() can only be used in kprobes",
                    ));
                }
                self.require_unsafe(name, span)?;
                let rc = self.integer_arg(name, &args[0])?;
                Ok(TStmtKind::Override(rc))
            }
            "fail" => {
                // Like a failed static assertion: reaching it in the
                // checked program is the error.
                let message = self.compile_time_format(name, args, span)?;
                Err(Diagnostic::error(span, message))
            }
            "static_assert" => {
                if args.is_empty() || args.len() > 2 {
                    return Err(range_error(name, 1, 2, args.len(), span));
                }
                let cond = self.value(&args[0])?;
                let Some(value) = constant(&cond) else {
                    return Err(Diagnostic::error(
                        args[0].span,
                        "static_assert() needs a condition known at compile time",
                    ));
                };
                let holds = value != 0;
                if holds {
                    return Ok(TStmtKind::Block(Vec::new()));
                }
                let message = match args.get(1) {
                    Some(m) => self.literal_string(name, m)?,
                    None => "static assert failed".to_string(),
                };
                Err(Diagnostic::error(span, message))
            }
            _ => self.assert_call(args, span),
        }
    }

    /// `assert(cond, message)`: when `cond` is false, bpftrace's error
    /// message at its standard library's place, and exit code 1.
    fn assert_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TStmtKind> {
        if args.len() != 2 {
            return Err(nargs_error("assert", 2, args.len(), span));
        }
        let cond = self.condition(&args[0])?;
        let message = self.value(&args[1])?;
        if !matches!(message.ty, Type::Str { .. }) {
            return Err(Diagnostic::error(
                args[1].span,
                format!(
                    "assert() expects a string message ({} provided)",
                    message.ty
                ),
            ));
        }
        let fail = vec![
            crate::sema::typed::TStmt {
                kind: TStmtKind::Async {
                    action: AsyncAction::AssertFailed,
                    format: b"assert failed: %s".to_vec(),
                    args: vec![message],
                },
                span,
            },
            crate::sema::typed::TStmt {
                kind: TStmtKind::Exit(Some(texpr(TExprKind::Int(1), Type::I64, span))),
                span,
            },
        ];
        Ok(TStmtKind::If {
            cond: texpr(
                TExprKind::Unary {
                    op: crate::sema::typed::TUnOp::Not,
                    expr: Box::new(cond),
                },
                Type::Bool,
                span,
            ),
            then: fail,
            otherwise: Vec::new(),
        })
    }

    fn signal_call(&mut self, name: &str, args: &[ast::Expr], span: Span) -> Checked<TStmtKind> {
        if args.len() != 1 {
            return Err(nargs_error(name, 1, args.len(), span));
        }
        if matches!(
            self.inst.kind,
            ProbeKind::Begin | ProbeKind::End | ProbeKind::PerfEvent
        ) && !matches!(
            self.inst.attach.first(),
            Some((crate::sema::probes::Attach::Profile { .. }, _))
        ) {
            return Err(Diagnostic::error(
                span,
                format!(
                    "{name}() can not be used for this probetype {}",
                    self.probetype()
                ),
            ));
        }
        self.require_unsafe(name, span)?;
        let sig = match &args[0].kind {
            ExprKind::Str(text) => {
                let text = String::from_utf8_lossy(text);
                let n = signal_number(&text).ok_or_else(|| {
                    Diagnostic::error(args[0].span, format!("Invalid string for signal: {text}"))
                })?;
                texpr(TExprKind::Int(n), Type::U32, args[0].span)
            }
            _ => {
                let sig = self.integer_arg(name, &args[0])?;
                if let TExprKind::Int(n) = sig.kind {
                    if !(1..=64).contains(&n) {
                        return Err(Diagnostic::error(
                            args[0].span,
                            format!(
                                "{name}() accepts a string literal or an integer between 1 and 64 (inclusive)"
                            ),
                        ));
                    }
                }
                sig
            }
        };
        Ok(TStmtKind::Signal {
            sig,
            thread: name == "signal_thread",
        })
    }

    /// `write_user(dst, src, len)`: `len` (a constant) bytes of the
    /// string, buffer or array `src` copied to user memory at `dst`.
    pub(super) fn write_user_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        let name = "write_user";
        let [dst_arg, src_arg, len_arg] = args else {
            return Err(nargs_error(name, 3, args.len(), span));
        };
        self.require_unsafe(name, span)?;
        let dst = self.value(dst_arg)?;
        if !matches!(dst.ty, Type::Ptr { .. } | Type::Int { .. }) {
            return Err(Diagnostic::error(
                dst_arg.span,
                format!(
                    "write_user() expects an address to write to ({} provided)",
                    dst.ty
                ),
            ));
        }
        let src = self.value(src_arg)?;
        if !matches!(
            src.ty,
            Type::Str { .. } | Type::Buffer { .. } | Type::Array { .. }
        ) {
            return Err(Diagnostic::error(
                src_arg.span,
                format!(
                    "write_user() writes a string, buffer or array held by the program ({} provided)",
                    src.ty
                ),
            ));
        }
        let len_value = self.value(len_arg)?;
        let available = src.ty.size();
        let len = match constant(&len_value) {
            Some(n) if n > 0 && n as u64 <= u64::from(available) => n as u32,
            Some(n) => {
                return Err(Diagnostic::error(
                    len_arg.span,
                    format!("write_user() can write 1 to {available} bytes of its source, not {n}"),
                ))
            }
            None => {
                return Err(Diagnostic::error(
                    len_arg.span,
                    "write_user() needs a length known at compile time",
                ))
            }
        };
        Ok(TExpr {
            kind: TExprKind::WriteUser {
                dst: Box::new(dst),
                src: Box::new(src),
                len,
            },
            ty: Type::Bool,
            span,
        })
    }

    /// `--unsafe` must be given for what may harm the traced system.
    fn require_unsafe(&self, name: &str, span: Span) -> Checked<()> {
        if self.opts.unsafe_ops || self.pass == Pass::Learn {
            return Ok(());
        }
        Err(Diagnostic::error(
            span,
            format!("{name}() is unsafe. To use you need the --unsafe flag"),
        ))
    }

    /// The message of `fail(format, args...)`, whose arguments are all
    /// literals, formatted now.
    fn compile_time_format(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<String> {
        let (format, values) = self.format_args(name, args, span)?;
        let mut literal = Vec::with_capacity(values.len());
        for (value, arg) in values.iter().zip(&args[1..]) {
            literal.push(match &value.kind {
                TExprKind::Int(v) if value.ty.is_signed() => sonde_output::Value::Int(*v as i64),
                TExprKind::Int(v) => sonde_output::Value::UInt(*v),
                TExprKind::Bool(b) => sonde_output::Value::Bool(*b),
                TExprKind::Str(s) => sonde_output::Value::Str(s.clone()),
                _ => {
                    return Err(Diagnostic::error(
                        arg.span,
                        format!("{name}() only takes literal arguments"),
                    ))
                }
            });
        }
        Ok(FormatString::parse(&format).format(&literal))
    }
}

/// The number of the signal called `name` (`SIGKILL` or `KILL`).
fn signal_number(name: &str) -> Option<u64> {
    const NAMES: &[&str] = &[
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
        "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];
    let bare = name.strip_prefix("SIG").unwrap_or(name);
    NAMES.iter().position(|n| *n == bare).map(|i| i as u64 + 1)
}

/// The value of an expression made of literals, if it is one.
fn constant(e: &crate::sema::typed::TExpr) -> Option<i64> {
    use crate::ast::BinOp;
    use crate::sema::typed::TUnOp;
    Some(match &e.kind {
        TExprKind::Int(v) => *v as i64,
        TExprKind::Bool(b) => i64::from(*b),
        TExprKind::Unary { op, expr } => {
            let v = constant(expr)?;
            match op {
                TUnOp::Neg => v.wrapping_neg(),
                TUnOp::Not => i64::from(v == 0),
                TUnOp::BitNot => !v,
            }
        }
        TExprKind::Binary { op, lhs, rhs } => {
            let (l, r) = (constant(lhs)?, constant(rhs)?);
            match op {
                BinOp::Add => l.wrapping_add(r),
                BinOp::Sub => l.wrapping_sub(r),
                BinOp::Mul => l.wrapping_mul(r),
                BinOp::Div => l.checked_div(r)?,
                BinOp::Mod => l.checked_rem(r)?,
                BinOp::BitAnd => l & r,
                BinOp::BitOr => l | r,
                BinOp::BitXor => l ^ r,
                BinOp::Shl => l.wrapping_shl(r as u32),
                BinOp::Shr => l.wrapping_shr(r as u32),
                BinOp::Eq => i64::from(l == r),
                BinOp::Ne => i64::from(l != r),
                BinOp::Lt => i64::from(l < r),
                BinOp::Le => i64::from(l <= r),
                BinOp::Gt => i64::from(l > r),
                BinOp::Ge => i64::from(l >= r),
                BinOp::LogicalAnd => i64::from(l != 0 && r != 0),
                BinOp::LogicalOr => i64::from(l != 0 || r != 0),
            }
        }
        _ => return None,
    })
}
