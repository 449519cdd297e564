//! Checking function calls: the statement-like ones (`printf`, `print`,
//! `exit`, `delete`, `clear`, `zero`), the aggregations assigned to maps, and
//! the ones that produce values (`str`, builtins written as calls).

use sonde_output::printf::{parse_format, ArgKind};

use super::expr::{str_literal, texpr, Checked};
use super::stmt::empty_expr;
use super::{Checker, Pass};
use crate::ast::{self, ExprKind, UnOp};
use crate::diag::Diagnostic;
use crate::sema::typed::{
    AggFunc, Builtin, Clock, PidNs, TExpr, TExprKind, TSeriesAgg, TSeriesSpec, TStmtKind,
};
use crate::sema::types::{MapValue, Type};
use crate::span::Span;

const AGGREGATIONS: &[&str] = &[
    "count", "sum", "min", "max", "avg", "stats", "hist", "lhist", "tseries",
];
/// Builtins that may also be written as calls, with or without `__builtin_`.
const BUILTIN_CALLS: &[&str] = &[
    "pid",
    "tid",
    "uid",
    "gid",
    "nsecs",
    "elapsed",
    "cpu",
    "comm",
    "cgroup",
    "jiffies",
    "rand",
    "cpid",
    "ncpus",
    "numaid",
    "username",
    "usermode",
    "probe",
    "probetype",
    "curtask",
    "func",
    "retval",
    "__builtin_pid",
    "__builtin_tid",
    "__builtin_uid",
    "__builtin_gid",
    "__builtin_nsecs",
    "__builtin_elapsed",
    "__builtin_cpu",
    "__builtin_comm",
    "__builtin_cgroup",
    "__builtin_jiffies",
    "__builtin_rand",
    "__builtin_cpid",
    "__builtin_ncpus",
    "__builtin_numaid",
    "__builtin_username",
    "__builtin_usermode",
    "__builtin_probe",
    "__builtin_probetype",
    "__builtin_curtask",
    "__builtin_func",
    "__builtin_retval",
];

const STATEMENTS: &[&str] = &[
    "printf",
    "print",
    "exit",
    "delete",
    "clear",
    "zero",
    "system",
    "cat",
    "errorf",
    "warnf",
    "time",
    "join",
    "debugf",
    "signal",
    "signal_thread",
    "override",
    "fail",
    "assert",
    "static_assert",
];

/// Whether `e` calls a function that has no value (`printf`, `exit`...).
pub(super) fn is_valueless_call(e: &ast::Expr) -> bool {
    matches!(&e.kind, ExprKind::Call { name, .. } if STATEMENTS.contains(&name.as_str()))
}

pub(super) fn is_aggregation(name: &str) -> bool {
    AGGREGATIONS.contains(&name)
}

pub(super) fn nargs_error(name: &str, expected: usize, given: usize, span: Span) -> Diagnostic {
    let what = match expected {
        0 => "requires no arguments".to_string(),
        1 => "requires one argument".to_string(),
        n => format!("requires {n} arguments"),
    };
    Diagnostic::error(span, format!("{name}() {what} ({given} provided)"))
}

pub(super) fn range_error(
    name: &str,
    min: usize,
    max: usize,
    given: usize,
    span: Span,
) -> Diagnostic {
    let what = if given < min {
        match min {
            1 => "requires at least one argument".to_string(),
            n => format!("requires at least {n} arguments"),
        }
    } else {
        match max {
            0 => "requires no arguments".to_string(),
            1 => "takes up to one argument".to_string(),
            n => format!("takes up to {n} arguments"),
        }
    };
    Diagnostic::error(span, format!("{name}() {what} ({given} provided)"))
}

impl Checker<'_> {
    /// A call used as a statement; `None` when `name` is not a statement call.
    pub(super) fn call_stmt(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<Option<TStmtKind>> {
        let kind = match name {
            "printf" => self.printf(args, span)?,
            "print" => self.print(args, span)?,
            "exit" => {
                if args.len() > 1 {
                    return Err(range_error(name, 0, 1, args.len(), span));
                }
                let code = match args.first() {
                    Some(a) => Some(self.integer_arg(name, a)?),
                    None => None,
                };
                TStmtKind::Exit(code)
            }
            "delete" => self.delete(args, span)?,
            "clear" | "zero" => {
                if args.len() != 1 {
                    return Err(nargs_error(name, 1, args.len(), span));
                }
                let map = self.whole_map_arg(name, &args[0])?;
                if name == "clear" {
                    TStmtKind::Clear(map)
                } else {
                    TStmtKind::Zero(map)
                }
            }
            "system" | "cat" | "errorf" | "warnf" => self.async_call(name, args, span)?,
            "time" | "join" | "debugf" | "signal" | "signal_thread" | "override" | "fail"
            | "assert" | "static_assert" => self.action_call(name, args, span)?,
            _ => return Ok(None),
        };
        Ok(Some(kind))
    }

    fn printf(&mut self, args: &[ast::Expr], span: Span) -> Checked<TStmtKind> {
        let (format, args) = self.format_args("printf", args, span)?;
        Ok(TStmtKind::Printf { format, args })
    }

    /// A format string literal and the arguments it consumes, checked
    /// against its conversions as `printf` checks them (`system`, `cat`,
    /// `errorf` and friends take the same).
    pub(super) fn format_args(
        &mut self,
        func: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<(Vec<u8>, Vec<TExpr>)> {
        let Some(first) = args.first() else {
            return Err(range_error(func, 1, usize::MAX, 0, span));
        };
        let ExprKind::Str(format) = &first.kind else {
            return Err(Diagnostic::error(
                first.span,
                format!("{func}() expects a string literal as its first argument"),
            ));
        };
        let kinds = parse_format(format)
            .map_err(|e| Diagnostic::error(first.span, format!("{func}: {}", e.message)))?;
        let values = &args[1..];
        if values.len() != kinds.len() {
            let which = if values.len() < kinds.len() {
                "not enough"
            } else {
                "too many"
            };
            return Err(Diagnostic::error(
                span,
                format!(
                    "{func}: {which} arguments for format string ({} supplied, {} expected)",
                    values.len(),
                    kinds.len()
                ),
            ));
        }
        let mut checked = Vec::with_capacity(values.len());
        for (value, kind) in values.iter().zip(&kinds) {
            let v = self.value(value)?;
            let ok = match kind {
                ArgKind::Integer => v.ty.is_integer_like(),
                // bpftrace prints any value with %s.
                ArgKind::String => true,
                ArgKind::Buffer => matches!(v.ty, Type::Buffer { .. }),
            };
            if !ok {
                let wanted = match kind {
                    ArgKind::Integer => "an integer",
                    ArgKind::String => "a string",
                    ArgKind::Buffer => "a buffer",
                };
                return Err(Diagnostic::error(
                    value.span,
                    format!(
                        "{func}: %-specifier expects {wanted}, but this argument has type '{}'",
                        v.ty
                    ),
                ));
            }
            checked.push(v);
        }
        Ok((format.clone(), checked))
    }

    fn print(&mut self, args: &[ast::Expr], span: Span) -> Checked<TStmtKind> {
        if args.is_empty() || args.len() > 3 {
            return Err(range_error("print", 1, 3, args.len(), span));
        }
        if let ExprKind::Map { name, keys } = &args[0].kind {
            if keys.is_empty() {
                let map = self.existing_map(name, args[0].span)?;
                let top = match args.get(1) {
                    Some(a) => self.literal_u64("print", a)?,
                    None => 0,
                };
                let div = match args.get(2) {
                    Some(a) => self.literal_u64("print", a)?.max(1),
                    None => 1,
                };
                return Ok(TStmtKind::PrintMap { map, top, div });
            }
        }
        if args.len() > 1 {
            return Err(Diagnostic::error(
                span,
                format!(
                    "Non-map print() only takes 1 argument, {} found",
                    args.len()
                ),
            ));
        }
        let value = self.value(&args[0])?;
        Ok(TStmtKind::Print(value))
    }

    pub(super) fn delete(&mut self, args: &[ast::Expr], span: Span) -> Checked<TStmtKind> {
        let (name, key_exprs, map_span): (&str, Vec<ast::Expr>, Span) = match args {
            [ast::Expr {
                kind: ExprKind::Map { name, keys },
                span: s,
            }] => (name, keys.clone(), *s),
            [ast::Expr {
                kind: ExprKind::Map { name, keys },
                span: s,
            }, key]
                if keys.is_empty() =>
            {
                (name, vec![key.clone()], *s)
            }
            _ => {
                return Err(Diagnostic::error(
                    span,
                    "delete() expects a map element: delete(@m[key]) or delete(@m, key)",
                ))
            }
        };
        let key = self.map_key(&key_exprs, map_span)?;
        let map = match self.map_for_read(name, key.as_ref(), key_exprs.len() > 1, map_span)? {
            Some((index, _)) => index,
            None => 0,
        };
        if self.pass == Pass::Learn {
            return Ok(empty_expr(span));
        }
        Ok(TStmtKind::Delete { map, key })
    }

    fn whole_map_arg(&mut self, func: &str, arg: &ast::Expr) -> Checked<usize> {
        match &arg.kind {
            ExprKind::Map { name, keys } if keys.is_empty() => self.existing_map(name, arg.span),
            _ => Err(Diagnostic::error(
                arg.span,
                format!("{func}() expects a map argument"),
            )),
        }
    }

    /// A call used for its value.
    pub(super) fn call_expr(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<TExpr> {
        match name {
            "str" => self.str_call(args, span),
            "uptr" | "kptr" => self.address_space(name == "uptr", args, span),
            "kstack" | "ustack" => self.stack_call(name == "ustack", args, span),
            "ksym" | "usym" => self.sym_call(name == "usym", args, span),
            "kaddr" => self.kaddr_call(args, span),
            "percpu_kaddr" => self.percpu_kaddr_call(args, span),
            "write_user" => self.write_user_call(args, span),
            "reg" => self.reg_call(args, span),
            "strncmp" | "strcontains" | "strstr" | "strlen" | "memcmp" => {
                self.str_func(name, args, span)
            }
            "bswap" => self.bswap_call(args, span),
            "socket_cookie" => self.socket_cookie_call(args, span),
            "delete" => self.delete_expr(args, span),
            "has_key" => self.has_key_call(args, span),
            "len" => self.len_call(args, span),
            "buf" => self.buf_call(args, span),
            "strerror" | "signal_name" | "syscall_name" | "cgroup_path" | "strftime" => {
                self.text_call(name, args, span)
            }
            "cgroupid" => self.cgroupid_call(args, span),
            "ntop" => self.ntop_call(args, span),
            "pton" => self.pton_call(args, span),
            "macaddr" => self.macaddr_call(args, span),
            "getopt" => self.getopt_call(args, span),
            "ppid" | "pcomm" | "leader_tid" | "leader_comm" => match args {
                [] => self.ident(name, span),
                [task] => self.task_relative(name, task.clone(), span),
                _ => Err(range_error(name, 0, 1, args.len(), span)),
            },
            "uaddr" => self.uaddr_call(args, span),
            _ if BUILTIN_CALLS.contains(&name) => self.builtin_call(name, args, span),
            _ if is_aggregation(name) => Err(Diagnostic::error(
                span,
                format!("{name}() must be assigned directly to a map"),
            )
            .with_help(format!("write @name = {name}(...)"))),
            _ if STATEMENTS.contains(&name) => Err(Diagnostic::error(
                span,
                format!("{name}() has no value and cannot be used in an expression"),
            )),
            _ => Err(Diagnostic::error(
                span,
                format!("Unknown function: '{name}'"),
            )),
        }
    }

    /// A builtin written as a call: `pid()`, `nsecs(monotonic)`, `pid(init)`.
    fn builtin_call(&mut self, name: &str, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        let base = name.strip_prefix("__builtin_").unwrap_or(name);
        let mode = match args {
            [] => None,
            [ast::Expr {
                kind: ExprKind::Ident(mode),
                span: mode_span,
            }] if matches!(base, "nsecs" | "pid" | "tid") => Some((mode.as_str(), *mode_span)),
            [arg] if matches!(base, "nsecs" | "pid" | "tid") => {
                let expected = if base == "nsecs" {
                    "boot, monotonic, tai or sw_tai"
                } else {
                    "curr_ns or init"
                };
                return Err(Diagnostic::error(
                    arg.span,
                    format!("{base}() takes one of {expected} as its argument"),
                ));
            }
            _ => return Err(nargs_error(name, 0, args.len(), span)),
        };
        let builtin = match (base, mode) {
            (_, None) => return self.ident(base, span),
            ("nsecs", Some((mode, mode_span))) => {
                let clock = match mode {
                    "boot" => Clock::Boot,
                    "monotonic" => Clock::Monotonic,
                    "tai" => Clock::Tai,
                    "sw_tai" => Clock::SwTai,
                    other => {
                        return Err(Diagnostic::error(
                            mode_span,
                            format!("Invalid timestamp mode: {other}"),
                        )
                        .with_help("use boot, monotonic, tai or sw_tai"))
                    }
                };
                (Builtin::Nsecs(clock), Type::U64)
            }
            (which, Some((mode, mode_span))) => {
                let ns = match mode {
                    "curr_ns" => PidNs::Current,
                    "init" => PidNs::Init,
                    other => {
                        return Err(Diagnostic::error(
                            mode_span,
                            format!("Invalid PID namespace mode: {other}"),
                        )
                        .with_help("use curr_ns or init"))
                    }
                };
                let b = if which == "pid" {
                    Builtin::Pid(ns)
                } else {
                    Builtin::Tid(ns)
                };
                (b, Type::U32)
            }
        };
        Ok(texpr(TExprKind::Builtin(builtin.0), builtin.1, span))
    }

    pub(super) fn str_call(&mut self, args: &[ast::Expr], span: Span) -> Checked<TExpr> {
        if args.is_empty() || args.len() > 2 {
            return Err(range_error("str", 1, 2, args.len(), span));
        }
        let limit_expr = match args.get(1) {
            Some(len) => {
                let checked = self.value(len)?;
                if !checked.ty.is_integer_like() {
                    return Err(Diagnostic::error(
                        len.span,
                        "str() length must be an integer",
                    ));
                }
                Some(checked)
            }
            None => None,
        };
        let literal_limit = match &limit_expr {
            Some(TExpr {
                kind: TExprKind::Int(n),
                ..
            }) => Some(*n),
            _ => None,
        };
        // Strings known at compile time stay literals, cut to the limit.
        let known_text = match &args[0].kind {
            ExprKind::Positional(n) => {
                Some(self.positional_text(*n).unwrap_or("").as_bytes().to_vec())
            }
            ExprKind::Str(bytes) => Some(bytes.clone()),
            // `str($1 + 2)`: the text of a positional parameter from its
            // third byte, as pointer arithmetic on it would give.
            ExprKind::Binary {
                op: crate::ast::BinOp::Add,
                lhs,
                rhs,
            } => match (&lhs.kind, &rhs.kind) {
                (ExprKind::Positional(n), ExprKind::Int(skip))
                    if self
                        .positional_text(*n)
                        .is_some_and(|t| super::expr::parse_int_text(t).is_none()) =>
                {
                    let text = self.positional_text(*n).unwrap_or("").as_bytes();
                    Some(text.get(*skip as usize..).unwrap_or_default().to_vec())
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(mut text) = known_text {
            if let Some(n) = literal_limit {
                text.truncate(n.saturating_sub(1) as usize);
            }
            return Ok(str_literal(text, span));
        }
        let source = self.value(&args[0])?;
        match source.ty {
            Type::Str { .. } => Ok(source),
            Type::Int { .. } | Type::Ptr { .. } => {
                let strlen = self.opts.strlen;
                let (size, limit) = match literal_limit {
                    Some(n) => {
                        let n = n.min(strlen as u64) as u32;
                        ((n + 1).min(strlen), n)
                    }
                    None => (strlen, strlen),
                };
                let len = if literal_limit.is_some() { None } else { limit_expr };
                Ok(texpr(
                    TExprKind::ReadStr {
                        ptr: Box::new(source),
                        len: len.map(Box::new),
                        limit,
                        pad: u32::from(strlen < 1024),
                    },
                    Type::Str { size },
                    span,
                ))
            }
            other => Err(Diagnostic::error(
                args[0].span,
                format!("str() expects an integer or a pointer type as first argument ({other} provided)"),
            )),
        }
    }

    /// `count()`, `sum(x)`, ... on the right of `@m = ...`; `None` when
    /// `name` is not an aggregation.
    pub(super) fn aggregation(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<Option<(AggFunc, Option<TExpr>, MapValue)>> {
        let (func, value, nargs) = match name {
            "count" => (AggFunc::Count, MapValue::Count, 0),
            "sum" => (AggFunc::Sum, MapValue::Sum, 1),
            "min" => (AggFunc::Min, MapValue::Min, 1),
            "max" => (AggFunc::Max, MapValue::Max, 1),
            "avg" => (AggFunc::Avg, MapValue::Avg, 1),
            "stats" => (AggFunc::Stats, MapValue::Stats, 1),
            "hist" => {
                if args.is_empty() || args.len() > 2 {
                    return Err(range_error(name, 1, 2, args.len(), span));
                }
                let bits = match args.get(1) {
                    Some(bits) => {
                        let k = self.literal_i64(name, bits)?;
                        if !(0..=5).contains(&k) {
                            return Err(Diagnostic::error(
                                bits.span,
                                format!("hist: bits {k} must be between 0 and 5"),
                            ));
                        }
                        k as u8
                    }
                    None => 0,
                };
                let arg = self.integer_arg(name, &args[0])?;
                return Ok(Some((
                    AggFunc::Hist { bits },
                    Some(arg),
                    MapValue::Hist { bits },
                )));
            }
            "lhist" => {
                if args.len() != 4 {
                    return Err(nargs_error(name, 4, args.len(), span));
                }
                let arg = self.integer_arg(name, &args[0])?;
                let min = self.literal_i64(name, &args[1])?;
                let max = self.literal_i64(name, &args[2])?;
                let step = self.literal_i64(name, &args[3])?;
                if step < 1 {
                    return Err(Diagnostic::error(
                        args[3].span,
                        format!("lhist() step must be >= 1 ({step} provided)"),
                    ));
                }
                if min < 0 {
                    return Err(Diagnostic::error(
                        args[1].span,
                        format!("lhist() min must be non-negative (provided min {min})"),
                    ));
                }
                if min >= max {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "lhist() min must be less than max (provided min {min} and max {max})"
                        ),
                    ));
                }
                if (max - min) / step > 1000 {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "lhist() too many buckets, must be <= 1000 (would need {})",
                            (max - min) / step
                        ),
                    ));
                }
                let func = AggFunc::LHist { min, max, step };
                return Ok(Some((func, Some(arg), MapValue::LHist { min, max, step })));
            }
            "tseries" => return self.tseries(args, span).map(Some),
            _ => return Ok(None),
        };
        if args.len() != nargs {
            return Err(nargs_error(name, nargs, args.len(), span));
        }
        let arg = match args.first() {
            Some(a) => Some(self.integer_arg(name, a)?),
            None => None,
        };
        Ok(Some((func, arg, value)))
    }

    /// `tseries(n, interval_ns, intervals[, agg])`, checked as bpftrace
    /// checks it: literal bounds, at least one interval of at least 1ns,
    /// fewer than a million intervals.
    fn tseries(
        &mut self,
        args: &[ast::Expr],
        span: Span,
    ) -> Checked<(AggFunc, Option<TExpr>, MapValue)> {
        const NAME: &str = "tseries";
        if self.opts.unstable_tseries == crate::config::Unstable::Error {
            return Err(Diagnostic::error(
                span,
                "tseries feature is not enabled by default. To enable this unstable feature, \
                 set the config flag to enable. unstable_tseries=enable",
            ));
        }
        if !(3..=4).contains(&args.len()) {
            return Err(range_error(NAME, 3, 4, args.len(), span));
        }
        let value = self.integer_arg(NAME, &args[0])?;
        let literal = |this: &mut Self, arg: &ast::Expr, what: &str| -> Checked<i64> {
            this.literal_i64(NAME, arg).map_err(|_| {
                Diagnostic::error(
                    span,
                    format!("{NAME}: invalid {what} value (must be non-negative literal)"),
                )
            })
        };
        let interval = literal(self, &args[1], "interval_ns")?;
        let intervals = literal(self, &args[2], "num_intervals")?;
        if interval <= 0 {
            return Err(Diagnostic::error(
                span,
                format!("tseries() interval_ns must be >= 1 ({interval} provided)"),
            ));
        }
        if intervals <= 0 {
            return Err(Diagnostic::error(
                span,
                format!("tseries() num_intervals must be >= 1 ({intervals} provided)"),
            ));
        }
        if intervals > 1_000_000 {
            return Err(Diagnostic::error(
                span,
                format!("tseries() num_intervals must be < 1000000 ({intervals} provided)"),
            ));
        }
        let agg = match args.get(3).map(|a| &a.kind) {
            None => TSeriesAgg::Last,
            Some(ExprKind::Str(name)) => match name.as_slice() {
                b"avg" => TSeriesAgg::Avg,
                b"max" => TSeriesAgg::Max,
                b"min" => TSeriesAgg::Min,
                b"sum" => TSeriesAgg::Sum,
                other => {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "tseries() expects one of the following aggregation functions: \
                             avg, max, min, sum (\"{}\" provided)",
                            String::from_utf8_lossy(other)
                        ),
                    ))
                }
            },
            Some(_) => {
                return Err(Diagnostic::error(
                    args[3].span,
                    "tseries() expects a string literal as its aggregation function",
                ))
            }
        };
        let spec = TSeriesSpec {
            interval_ns: interval as u64,
            intervals: intervals as u64,
            agg,
            signed: value.ty.is_signed(),
        };
        Ok((AggFunc::TSeries(spec), Some(value), MapValue::TSeries(spec)))
    }

    /// The time a `tseries` update files its value under: `nsecs(sw_tai)`,
    /// or, when `BPFTRACE_DUMMY_TS_MAP` names a scalar map of unsigned
    /// integers, that map's value (bpftrace's hook for repeatable tests).
    pub(super) fn tseries_clock(&mut self, span: Span) -> Checked<TExpr> {
        let dummy = self
            .opts
            .config_env
            .iter()
            .find(|(k, _)| k == "BPFTRACE_DUMMY_TS_MAP")
            .map(|(_, v)| v.clone());
        let Some(name) = dummy else {
            return Ok(texpr(
                TExprKind::Builtin(Builtin::Nsecs(Clock::SwTai)),
                Type::U64,
                span,
            ));
        };
        let read = ast::Expr {
            kind: ExprKind::Map {
                name: name.trim_start_matches('@').to_string(),
                keys: Vec::new(),
            },
            span,
        };
        let clock = self.value(&read)?;
        if !matches!(clock.ty, Type::Int { signed: false, .. }) {
            return Err(Diagnostic::error(
                span,
                format!("BPFTRACE_DUMMY_TS_MAP: {name} must be a scalar map of unsigned integers"),
            ));
        }
        Ok(clock)
    }

    pub(super) fn integer_arg(&mut self, func: &str, arg: &ast::Expr) -> Checked<TExpr> {
        let checked = self.value(arg)?;
        if !checked.ty.is_integer_like() {
            return Err(Diagnostic::error(
                arg.span,
                format!(
                    "{func}() only supports integer arguments ({} provided)",
                    checked.ty
                ),
            ));
        }
        Ok(checked)
    }

    fn literal_i64(&mut self, func: &str, arg: &ast::Expr) -> Checked<i64> {
        let negative = matches!(&arg.kind, ExprKind::Unary { op: UnOp::Neg, .. });
        let inner = match &arg.kind {
            ExprKind::Unary {
                op: UnOp::Neg,
                expr,
            } => expr,
            _ => arg,
        };
        match self.expr(inner)?.kind {
            TExprKind::Int(v) => {
                let v = v as i64;
                Ok(if negative { v.wrapping_neg() } else { v })
            }
            _ => Err(Diagnostic::error(
                arg.span,
                format!("{func}(): expected a constant integer here"),
            )),
        }
    }

    pub(super) fn literal_u64(&mut self, func: &str, arg: &ast::Expr) -> Checked<u64> {
        let v = self.literal_i64(func, arg)?;
        u64::try_from(v).map_err(|_| {
            Diagnostic::error(
                arg.span,
                format!("{func}(): expected a non-negative integer"),
            )
        })
    }
}
