//! Checking expressions: builtins, variables, map reads, operators, casts,
//! tuples and tracepoint fields.

use super::unify::unify;
use super::{Checker, Pass};
use crate::ast::{self, BinOp, ExprKind, UnOp};
use crate::diag::Diagnostic;
use crate::sema::probes::Attach;
use crate::sema::tracepoint_format::FieldKind;
use crate::sema::typed::{
    Builtin, Clock, FieldRead, FieldReadKind, PidNs, ProbeKind, TExpr, TExprKind, TUnOp,
};
use crate::sema::types::{MapValue, Type};
use crate::span::Span;

pub(super) type Checked<T> = Result<T, Diagnostic>;

pub(super) fn texpr(kind: TExprKind, ty: Type, span: Span) -> TExpr {
    TExpr { kind, ty, span }
}

impl Checker<'_> {
    pub(super) fn expr(&mut self, e: &ast::Expr) -> Checked<TExpr> {
        let span = e.span;
        match &e.kind {
            ExprKind::Int(v) => Ok(int_literal(*v, span)),
            ExprKind::Str(bytes) => Ok(str_literal(bytes.clone(), span)),
            ExprKind::Bool(b) => Ok(texpr(TExprKind::Bool(*b), Type::Bool, span)),
            ExprKind::Ident(name) => self.ident(name, span),
            ExprKind::Positional(n) => self.positional_int(*n, span),
            ExprKind::PositionalCount => Ok(int_literal(self.opts.positional.len() as u64, span)),
            ExprKind::Var(name) => self.read_var(name, span),
            ExprKind::Map { name, keys } => self.read_map(name, keys, span),
            ExprKind::Call { name, args } => self.call_expr(name, args, span),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, span),
            ExprKind::Unary { op, expr } => self.unary(*op, expr, span),
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => self.ternary(cond, then, otherwise, span),
            ExprKind::Field { expr, field, .. } => self.field(expr, field, span),
            ExprKind::Index { expr, index } => self.index(expr, index, span),
            ExprKind::Tuple(items) => {
                let items = items
                    .iter()
                    .map(|i| self.value(i))
                    .collect::<Checked<Vec<_>>>()?;
                let ty = Type::Tuple(items.iter().map(|i| i.ty.clone()).collect());
                Ok(texpr(TExprKind::Tuple(items), ty, span))
            }
            ExprKind::Cast { ty, expr } => self.cast(ty, expr, span),
            ExprKind::Sizeof(arg) => self.sizeof(arg, span),
            ExprKind::Offsetof { of, fields } => self.offsetof(of, fields, span),
            ExprKind::Record(fields) => {
                // Evaluated in the order written; the type lists the
                // fields in that order too.
                let mut names = Vec::with_capacity(fields.len());
                let mut items = Vec::with_capacity(fields.len());
                for field in fields {
                    names.push(field.name.clone());
                    items.push(self.value(&field.value)?);
                }
                let fields = items.iter().map(|i| i.ty.clone()).collect();
                Ok(texpr(
                    TExprKind::Tuple(items),
                    Type::NamedTuple { names, fields },
                    span,
                ))
            }
            ExprKind::Block(block) => self.block_value(block),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => self.if_value(cond, then, otherwise.as_deref(), span),
            ExprKind::IncDec {
                target,
                increment,
                prefix,
            } => self.inc_dec_value(target, *increment, *prefix, span),
        }
    }

    /// `tuple[i]`: the index must be known when the script is compiled
    /// (`$t[1 + 1]` is fine).
    fn tuple_index(
        &mut self,
        tuple: TExpr,
        items: &[Type],
        index: &ast::Expr,
        span: Span,
    ) -> Checked<TExpr> {
        let idx = self.value(index)?;
        let Some(i) = constant_int(&idx) else {
            return Err(Diagnostic::error(
                index.span,
                "The index of a tuple must be an integer known when the script is compiled",
            )
            .with_help("write the index as a number, e.g. $t[1]"));
        };
        let Some(ty) = usize::try_from(i).ok().and_then(|i| items.get(i)).cloned() else {
            return Err(Diagnostic::error(
                span,
                format!(
                    "Invalid tuple index: {i}. Found {} elements in tuple.",
                    items.len()
                ),
            ));
        };
        Ok(texpr(
            TExprKind::TupleField {
                tuple: Box::new(tuple),
                index: i as usize,
            },
            ty,
            span,
        ))
    }

    /// `x++` and friends used for their value: `{ x += 1; x }` for the
    /// prefix forms, `{ $old = x; x += 1; $old }` for the postfix ones,
    /// with a variable no script can name.
    fn inc_dec_value(
        &mut self,
        target: &ast::Expr,
        increment: bool,
        prefix: bool,
        span: Span,
    ) -> Checked<TExpr> {
        let op = if increment { BinOp::Add } else { BinOp::Sub };
        let at = |kind| ast::Expr { kind, span };
        let step = ast::Stmt {
            kind: ast::StmtKind::Assign {
                target: target.clone(),
                op: Some(op),
                value: at(ExprKind::Int(1)),
            },
            span,
        };
        let block = if prefix {
            ast::Block {
                stmts: vec![step],
                expr: Some(Box::new(target.clone())),
                span,
            }
        } else {
            let old = format!("#old{}", span.start);
            ast::Block {
                stmts: vec![
                    ast::Stmt {
                        kind: ast::StmtKind::Assign {
                            target: at(ExprKind::Var(old.clone())),
                            op: None,
                            value: target.clone(),
                        },
                        span,
                    },
                    step,
                ],
                expr: Some(Box::new(at(ExprKind::Var(old)))),
                span,
            }
        };
        self.block_value(&block)
    }

    /// An expression that must produce a value that can be stored.
    pub(super) fn value(&mut self, e: &ast::Expr) -> Checked<TExpr> {
        let checked = self.expr(e)?;
        match checked.ty {
            Type::Void => Err(Diagnostic::error(e.span, "this expression has no value")),
            Type::TracepointArgs if self.inst.kind == (ProbeKind::Uprobe { ret: false }) => {
                self.uprobe_args_value(e.span)
            }
            Type::TracepointArgs if self.inst.kind.has_kernel_function_args() => {
                self.kernel_args_value(e.span)
            }
            Type::TracepointArgs => Err(Diagnostic::error(
                e.span,
                "args cannot be used as a whole value yet; use one of its fields (args.name)",
            )),
            _ => Ok(checked),
        }
    }

    /// An expression used as a condition: anything that is zero or not.
    pub(super) fn condition(&mut self, e: &ast::Expr) -> Checked<TExpr> {
        let checked = self.expr(e)?;
        if checked.ty.is_integer_like() {
            Ok(checked)
        } else {
            Err(
                Diagnostic::error(e.span, format!("Invalid condition: {}", checked.ty))
                    .with_help("conditions must be integers, booleans or pointers"),
            )
        }
    }

    pub(super) fn ident(&mut self, name: &str, span: Span) -> Checked<TExpr> {
        // bpftrace's standard library defines `comm` and friends as macros
        // over `__builtin_comm`; both spellings name the same builtin.
        if let Some(plain) = name.strip_prefix("__builtin_") {
            if !plain.starts_with("__builtin_") {
                return self.ident(plain, span);
            }
        }
        let builtin = |b: Builtin, ty: Type| Ok(texpr(TExprKind::Builtin(b), ty, span));
        match name {
            "pid" => builtin(Builtin::Pid(PidNs::Current), Type::U32),
            "tid" => builtin(Builtin::Tid(PidNs::Current), Type::U32),
            "uid" => builtin(Builtin::Uid, Type::U64),
            "gid" => builtin(Builtin::Gid, Type::U64),
            "nsecs" => builtin(Builtin::Nsecs(Clock::Boot), Type::U64),
            "elapsed" => builtin(Builtin::Elapsed, Type::U64),
            "cpu" => builtin(Builtin::Cpu, Type::U64),
            "comm" => builtin(Builtin::Comm, Type::Str { size: 16 }),
            "probe" => builtin(Builtin::Probe, Type::ProbeName),
            "probetype" => Ok(str_literal(self.probetype().as_bytes().to_vec(), span)),
            "rand" => builtin(Builtin::Rand, Type::U64),
            "cgroup" => builtin(Builtin::Cgroup, Type::U64),
            "jiffies" => builtin(Builtin::Jiffies, Type::U64),
            "ncpus" => builtin(Builtin::Ncpus, Type::U64),
            "numaid" => builtin(Builtin::Numaid, Type::U32),
            "username" => builtin(Builtin::Username, Type::Username),
            "ppid" | "pcomm" | "leader_tid" | "leader_comm" => {
                let task = ast::Expr {
                    kind: ExprKind::Ident("curtask".into()),
                    span,
                };
                self.task_relative(name, task, span)
            }
            "cpid" if self.opts.has_child => builtin(Builtin::Cpid, Type::U64),
            "cpid" => Err(
                Diagnostic::error(span, "cpid cannot be used without a child command")
                    .with_help("run the command to trace with -c CMD"),
            ),
            "args" => match self.inst.kind {
                ProbeKind::Tracepoint | ProbeKind::RawTracepoint | ProbeKind::Uprobe { ret: false } => {
                    Ok(texpr(TExprKind::Int(0), Type::TracepointArgs, span))
                }
                kind if kind.has_kernel_function_args() => {
                    Ok(texpr(TExprKind::Int(0), Type::TracepointArgs, span))
                }
                kind if kind.is_return() => Err(Diagnostic::error(
                    span,
                    "The args builtin can not be used with return probes",
                )
                .with_help(
                    "read the arguments in the entry probe and keep them in a map keyed by tid, or use fexit, which has args",
                )),
                _ => Err(Diagnostic::error(
                    span,
                    format!(
                        "The args builtin can only be used with tracepoint, rawtracepoint, fentry/fexit, kprobe and uprobe probes ({} used here)",
                        self.probetype()
                    ),
                )),
            },
            _ if arg_number(name).is_some() => {
                let n = arg_number(name).expect("checked by the guard");
                self.arg(name, n, span)
            }
            "curtask" => {
                let task = match self.types.record("struct task_struct") {
                    Some(r) => Type::ptr(Type::Record(r), false),
                    None => Type::U64,
                };
                builtin(Builtin::CurTask, task)
            }
            _ if self.types.variant(name).is_some() => {
                let (def, value) = self.types.variant(name).expect("checked by the guard");
                Ok(texpr(TExprKind::Int(value), Type::Enum(def), span))
            }
            "retval" if self.inst.kind == ProbeKind::Fexit => self.fexit_retval(span),
            "retval" if self.inst.kind.is_return() => Ok(texpr(TExprKind::Retval, Type::U64, span)),
            "retval" => Err(Diagnostic::error(
                span,
                "The retval builtin can only be used with kretprobe, uretprobe and fexit probes",
            )),
            "func" if self.at_address() => self.func_at_address(span),
            "func"
                if matches!(
                    self.inst.kind,
                    ProbeKind::Kprobe { .. }
                        | ProbeKind::Uprobe { .. }
                        | ProbeKind::Fentry
                        | ProbeKind::Fexit
                ) =>
            {
                builtin(Builtin::Func, Type::FuncName)
            }
            "kstack" | "ustack" => Ok(self.stack_builtin(name == "ustack", span)),
            "usermode" => match self.inst.kind {
                ProbeKind::Begin | ProbeKind::End | ProbeKind::Uprobe { .. } | ProbeKind::Usdt => {
                    Ok(texpr(TExprKind::Int(1), Type::U64, span))
                }
                // A kernel function runs in kernel mode.
                ProbeKind::Fentry | ProbeKind::Fexit => Ok(texpr(TExprKind::Int(0), Type::U64, span)),
                ProbeKind::Kprobe { .. } | ProbeKind::PerfEvent => {
                    Ok(texpr(TExprKind::UserMode, Type::U64, span))
                }
                _ => Err(Diagnostic::error(
                    span,
                    "the usermode builtin needs the CPU's registers: use it in kprobe, uprobe, profile or interval probes",
                )),
            },
            // The program's context, for casts: `((struct x *)ctx).x`.
            "ctx" => builtin(Builtin::Ctx, self.ctx_type()),
            "func" => Err(Diagnostic::error(
                span,
                format!("the {name} builtin is not supported yet"),
            )),
            _ => Err(Diagnostic::error(
                span,
                format!("Unknown identifier: '{name}'"),
            )),
        }
    }

    /// `argN`: a raw tracepoint's Nth u64, a function's Nth argument, or a
    /// USDT site's Nth argument.
    fn arg(&mut self, name: &str, n: u8, span: Span) -> Checked<TExpr> {
        match self.inst.kind {
            ProbeKind::RawTracepoint => Ok(texpr(TExprKind::Arg(n), Type::U64, span)),
            ProbeKind::Usdt => {
                let args = self.inst.usdt_args.as_deref().unwrap_or_default();
                match args.get(n as usize) {
                    Some(arg) => Ok(texpr(TExprKind::UsdtArg(arg.clone()), Type::U64, span)),
                    None => Err(Diagnostic::error(
                        span,
                        format!(
                            "usdt probe has {} argument{}, {name} does not exist",
                            args.len(),
                            if args.len() == 1 { "" } else { "s" }
                        ),
                    )),
                }
            }
            kind if kind.has_pt_regs() && !kind.is_return() => {
                Ok(texpr(TExprKind::RegArg(n), Type::U64, span))
            }
            kind if kind.has_pt_regs() => Err(Diagnostic::error(
                span,
                format!("The {name} builtin can not be used with return probes"),
            )
            .with_help("read the arguments in the entry probe and keep them in a map keyed by tid")),
            _ => Err(Diagnostic::error(
                span,
                format!(
                    "The {name} builtin can only be used with rawtracepoint, kprobe, uprobe and usdt probes"
                ),
            )
            .with_help("tracepoints name their arguments: use args.NAME")),
        }
    }

    /// `ppid`, `pcomm`, `leader_tid`, `leader_comm` of a task (`struct
    /// task_struct *`): its parent's pid or name, its thread group
    /// leader's tid or name, as bpftrace's standard library reads them.
    pub(super) fn task_relative(
        &mut self,
        name: &str,
        task: ast::Expr,
        span: Span,
    ) -> Checked<TExpr> {
        let (relative, field) = match name {
            "ppid" => ("real_parent", "pid"),
            "pcomm" => ("real_parent", "comm"),
            "leader_tid" => ("group_leader", "pid"),
            _ => ("group_leader", "comm"),
        };
        let field_of = |expr: ast::Expr, field: &str| ast::Expr {
            kind: ExprKind::Field {
                expr: Box::new(expr),
                field: field.into(),
                arrow: false,
            },
            span,
        };
        self.expr(&field_of(field_of(task, relative), field))
    }

    /// What `ctx` points at: an iterator's `struct bpf_iter__<target>`
    /// (so `ctx.task` reads as bpftrace reads it), else untyped memory to
    /// be cast.
    fn ctx_type(&self) -> Type {
        if let Some(Attach::Iter { target, .. }) = self.inst.attach.first().map(|(a, _)| a) {
            if let Some(record) = self.types.record(&format!("struct bpf_iter__{target}")) {
                return Type::ptr(Type::Record(record), false);
            }
        }
        Type::void_ptr(false)
    }

    /// The provider name of this probe, as the `probetype` builtin gives it.
    pub(super) fn probetype(&self) -> &'static str {
        match self.inst.attach.first().map(|(a, _)| a) {
            Some(Attach::Begin | Attach::End) | None => "special",
            Some(Attach::Tracepoint { .. }) => "tracepoint",
            Some(Attach::RawTracepoint { .. }) => "rawtracepoint",
            Some(Attach::Interval { .. }) => "interval",
            Some(Attach::Profile { .. }) => "profile",
            Some(Attach::Uprobe { ret: false, .. }) => "uprobe",
            Some(Attach::Uprobe { ret: true, .. }) => "uretprobe",
            Some(Attach::Usdt { .. }) => "usdt",
            Some(Attach::Software { .. }) => "software",
            Some(Attach::Hardware { .. }) => "hardware",
            Some(Attach::Watchpoint { .. }) => "watchpoint",
            Some(Attach::Signal { .. }) => "special",
            Some(Attach::Iter { .. }) => "iter",
            Some(Attach::Bench { .. }) => "benchmark",
            Some(Attach::Kprobe { ret: false, .. }) => "kprobe",
            Some(Attach::Kprobe { ret: true, .. }) => "kretprobe",
            Some(Attach::Fentry { ret: false, .. }) => "fentry",
            Some(Attach::Fentry { ret: true, .. }) => "fexit",
        }
    }

    /// `$N`: its text parsed as an integer, or the text itself as a string
    /// when it is not one; 0 when not given.
    fn positional_int(&mut self, n: u32, span: Span) -> Checked<TExpr> {
        let Some(text) = self.positional_text(n) else {
            return Ok(int_literal(0, span));
        };
        match parse_int_text(text) {
            Some(v) if text.trim_start().starts_with('-') => {
                Ok(texpr(TExprKind::Int(v), Type::I64, span))
            }
            Some(v) => Ok(int_literal(v, span)),
            None => Ok(str_literal(text.as_bytes().to_vec(), span)),
        }
    }

    pub(super) fn positional_text(&self, n: u32) -> Option<&str> {
        let index = (n as usize).checked_sub(1)?;
        self.opts.positional.get(index).map(String::as_str)
    }

    fn read_var(&mut self, name: &str, span: Span) -> Checked<TExpr> {
        match self.var_type(name) {
            Some(ty) => {
                let index = self.var_index(name, &ty);
                Ok(texpr(TExprKind::Var(index), ty, span))
            }
            None if self.pass == Pass::Learn => Ok(int_literal(0, span)),
            None => Err(Diagnostic::error(
                span,
                format!(
                    "Undefined or undeclared variable: ${}",
                    crate::sema::scope::display_name(name)
                ),
            )),
        }
    }

    fn read_map(&mut self, name: &str, keys: &[ast::Expr], span: Span) -> Checked<TExpr> {
        let key = self.map_key(keys, span)?;
        let Some((index, value)) = self.map_for_read(name, key.as_ref(), keys.len() > 1, span)?
        else {
            return Ok(int_literal(0, span));
        };
        let ty = match value {
            MapValue::Plain(ty) => ty,
            // Aggregations read as their value summed over the CPUs.
            MapValue::Count => Type::U64,
            MapValue::Sum | MapValue::Min | MapValue::Max | MapValue::Avg => Type::I64,
            other => {
                return Err(Diagnostic::error(
                    span,
                    format!(
                        "a {} map cannot be read inside a probe, only printed",
                        other.describe()
                    ),
                )
                .with_help("print the map, or keep the value in a second map"))
            }
        };
        Ok(texpr(
            TExprKind::MapRead {
                map: index,
                key: key.map(Box::new),
            },
            ty,
            span,
        ))
    }

    /// The key of `@m[k]` or `@m[a, b]` as one expression (a tuple for several keys).
    pub(super) fn map_key(&mut self, keys: &[ast::Expr], span: Span) -> Checked<Option<TExpr>> {
        let mut checked = Vec::with_capacity(keys.len());
        for key in keys {
            let k = self.value(key)?;
            checked.push(k);
        }
        Ok(match checked.len() {
            0 => None,
            1 => checked.pop(),
            _ => {
                let ty = Type::Tuple(checked.iter().map(|k| k.ty.clone()).collect());
                Some(texpr(TExprKind::Tuple(checked), ty, span))
            }
        })
    }

    fn binary(
        &mut self,
        op: BinOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> Checked<TExpr> {
        let mut l = self.value(lhs)?;
        let mut r = self.value(rhs)?;
        // `probe == "name"` compares the attach point's name: against a
        // literal, as the probe index it names (none: never equal).
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            let (probe, other) = match (&l.ty, &r.ty) {
                (Type::ProbeName, Type::Str { .. }) => (&l, &r),
                (Type::Str { .. }, Type::ProbeName) => (&r, &l),
                _ => (&l, &l),
            };
            if let (Type::ProbeName, TExprKind::Str(text)) = (&probe.ty, &other.kind) {
                let index = self.inst.attach.iter().map(|(_, i)| *i).find(|i| {
                    self.probe_names.get(*i as usize).map(|n| n.as_bytes()) == Some(text.as_slice())
                });
                let Some(index) = index else {
                    return Ok(texpr(TExprKind::Bool(op == BinOp::Ne), Type::Bool, span));
                };
                let number = texpr(TExprKind::Int(u64::from(index)), Type::U64, span);
                return Ok(texpr(
                    TExprKind::Binary {
                        op,
                        lhs: Box::new(probe.clone()),
                        rhs: Box::new(number),
                    },
                    Type::Bool,
                    span,
                ));
            }
        }
        match (&l.ty, &r.ty) {
            (Type::ProbeName, Type::Str { .. }) => l = self.probe_as_string(l)?,
            (Type::Str { .. }, Type::ProbeName) => r = self.probe_as_string(r)?,
            _ => {}
        }
        let node = |ty: Type, l: TExpr, r: TExpr| {
            texpr(
                TExprKind::Binary {
                    op,
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                },
                ty,
                span,
            )
        };
        if op == BinOp::LogicalAnd || op == BinOp::LogicalOr {
            for side in [&l, &r] {
                if !side.ty.is_integer_like() {
                    return Err(mismatch(op, &l.ty, &r.ty, span));
                }
            }
            return Ok(node(Type::Bool, l, r));
        }
        if let (Type::Buffer { .. }, Type::Buffer { .. }) = (&l.ty, &r.ty) {
            return match op {
                BinOp::Eq | BinOp::Ne => Ok(node(Type::Bool, l, r)),
                _ => Err(Diagnostic::error(
                    span,
                    format!("The {} operator can not be used on buffers", op.symbol()),
                )),
            };
        }
        if let (Type::Str { .. }, Type::Str { .. }) = (&l.ty, &r.ty) {
            return match op {
                BinOp::Eq | BinOp::Ne => Ok(node(Type::Bool, l, r)),
                _ => Err(Diagnostic::error(
                    span,
                    format!("The {} operator can not be used on strings", op.symbol()),
                )),
            };
        }
        if let (Type::Tuple(_), Type::Tuple(_)) = (&l.ty, &r.ty) {
            // Tuples of the same shape compare field by field (their
            // strings may differ in buffer size).
            if matches!(op, BinOp::Eq | BinOp::Ne) && unify(&l.ty, &r.ty).is_some() {
                return Ok(node(Type::Bool, l, r));
            }
            return Err(mismatch(op, &l.ty, &r.ty, span));
        }
        if let (Type::Array { .. }, Type::Array { .. }) = (&l.ty, &r.ty) {
            // Arrays of the same type compare byte for byte.
            if l.ty == r.ty && matches!(op, BinOp::Eq | BinOp::Ne) {
                return Ok(node(Type::Bool, l, r));
            }
        }
        if matches!(l.ty, Type::Username | Type::ProbeName | Type::FuncName)
            && l.ty == r.ty
            && matches!(op, BinOp::Eq | BinOp::Ne)
        {
            // Kept as the number they are printed from (uid, probe index,
            // address), so equal numbers are equal values.
            return Ok(node(Type::Bool, l, r));
        }
        if !l.ty.is_integer_like() || !r.ty.is_integer_like() {
            return Err(mismatch(op, &l.ty, &r.ty, span));
        }
        if op.is_comparison() {
            return Ok(node(Type::Bool, l, r));
        }
        if matches!(op, BinOp::Add | BinOp::Sub) {
            match (&l.ty, &r.ty) {
                (Type::Ptr { .. }, Type::Ptr { .. }) => {}
                (p @ Type::Ptr { .. }, _) => {
                    let (ty, stride) = (p.clone(), p.stride());
                    return Ok(node(ty, l, scaled(r, stride)));
                }
                (_, p @ Type::Ptr { .. }) if op == BinOp::Add => {
                    let (ty, stride) = (p.clone(), p.stride());
                    return Ok(node(ty, scaled(l, stride), r));
                }
                _ => {}
            }
        }
        let ty = Type::Int {
            bytes: 8,
            signed: arithmetic_is_signed(&l, &r),
        };
        Ok(node(ty, l, r))
    }

    fn unary(&mut self, op: UnOp, expr: &ast::Expr, span: Span) -> Checked<TExpr> {
        let (top, ty) = match op {
            UnOp::Neg => (TUnOp::Neg, Type::I64),
            UnOp::Not => (TUnOp::Not, Type::Bool),
            UnOp::BitNot => (TUnOp::BitNot, Type::U64),
            UnOp::Deref => return self.deref(expr, span),
            UnOp::AddrOf => return self.address_of(expr, span),
        };
        let inner = self.value(expr)?;
        if !inner.ty.is_integer_like() {
            return Err(Diagnostic::error(
                span,
                format!(
                    "The {} operator can not be used on expressions of type '{}'",
                    unop_symbol(op),
                    inner.ty
                ),
            ));
        }
        Ok(texpr(
            TExprKind::Unary {
                op: top,
                expr: Box::new(inner),
            },
            ty,
            span,
        ))
    }

    fn ternary(
        &mut self,
        cond: &ast::Expr,
        then: &ast::Expr,
        otherwise: &ast::Expr,
        span: Span,
    ) -> Checked<TExpr> {
        let cond = self.condition(cond)?;
        let then = self.value(then)?;
        let otherwise = self.value(otherwise)?;
        choose(cond, then, otherwise, span)
    }

    /// `if cond { ... } else { ... }` used for its value.
    fn if_value(
        &mut self,
        cond: &ast::Expr,
        then: &ast::Block,
        otherwise: Option<&ast::Block>,
        span: Span,
    ) -> Checked<TExpr> {
        let Some(otherwise) = otherwise else {
            return Err(Diagnostic::error(span, "this if expression has no value")
                .with_help("give it an else branch: if cond { a } else { b }"));
        };
        let cond = self.condition(cond)?;
        let then = self.block_value(then)?;
        let otherwise = self.block_value(otherwise)?;
        for branch in [&then, &otherwise] {
            if branch.ty == Type::Void {
                return Err(Diagnostic::error(branch.span, "this branch has no value"));
            }
        }
        choose(cond, then, otherwise, span)
    }

    /// `{ statements; value }` used for its value.
    pub(super) fn block_value(&mut self, block: &ast::Block) -> Checked<TExpr> {
        let stmts = self.stmts(&block.stmts)?;
        let Some(value) = &block.expr else {
            return Err(Diagnostic::error(block.span, "this block has no value")
                .with_help("end the block with an expression and no ';': { ...; value }"));
        };
        let value = self.expr(value)?;
        if stmts.is_empty() {
            return Ok(value);
        }
        Ok(texpr(
            TExprKind::Block {
                stmts,
                value: Box::new(value.clone()),
            },
            value.ty,
            block.span,
        ))
    }
}

/// The value of an integer expression made of literals and operators, if
/// it has one the checker can compute.
fn constant_int(e: &TExpr) -> Option<i64> {
    match &e.kind {
        TExprKind::Int(v) => Some(*v as i64),
        TExprKind::Unary {
            op: TUnOp::Neg,
            expr,
        } => constant_int(expr)?.checked_neg(),
        TExprKind::Binary { op, lhs, rhs } => {
            let (a, b) = (constant_int(lhs)?, constant_int(rhs)?);
            match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Div => a.checked_div(b),
                BinOp::Mod => a.checked_rem(b),
                BinOp::Shl => a.checked_shl(u32::try_from(b).ok()?),
                BinOp::Shr => a.checked_shr(u32::try_from(b).ok()?),
                BinOp::BitAnd => Some(a & b),
                BinOp::BitOr => Some(a | b),
                BinOp::BitXor => Some(a ^ b),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The value of `cond ? then : otherwise`, typed to hold either branch.
fn choose(cond: TExpr, then: TExpr, otherwise: TExpr, span: Span) -> Checked<TExpr> {
    let ty = if then.ty == Type::Bool && otherwise.ty == Type::Bool {
        Type::Bool
    } else if then.ty.is_integer_like() && otherwise.ty.is_integer_like() {
        Type::Int {
            bytes: 8,
            signed: arithmetic_is_signed(&then, &otherwise),
        }
    } else {
        unify(&then.ty, &otherwise.ty).ok_or_else(|| {
            Diagnostic::error(
                span,
                format!(
                    "Ternary operator must return the same type: have '{}' and '{}'",
                    then.ty, otherwise.ty
                ),
            )
        })?
    };
    Ok(texpr(
        TExprKind::Ternary {
            cond: Box::new(cond),
            then: Box::new(then),
            otherwise: Box::new(otherwise),
        },
        ty,
        span,
    ))
}

impl Checker<'_> {
    fn field(&mut self, base: &ast::Expr, field: &str, span: Span) -> Checked<TExpr> {
        let base = self.expr(base)?;
        match &base.ty {
            Type::TracepointArgs if self.inst.kind == (ProbeKind::Uprobe { ret: false }) => {
                self.uprobe_arg(field, span)
            }
            Type::TracepointArgs if self.inst.kind == ProbeKind::RawTracepoint => {
                self.raw_tracepoint_arg(field, span)
            }
            Type::TracepointArgs if self.inst.kind.has_kernel_function_args() => {
                self.kernel_arg(field, span)
            }
            Type::TracepointArgs => self.tracepoint_field(field, span),
            Type::Tuple(items) => {
                let index: usize = field.parse().map_err(|_| {
                    Diagnostic::error(span, format!("Can not access field '{field}' on a tuple"))
                        .with_help("tuple fields are numbered: .0, .1, ...")
                })?;
                let Some(ty) = items.get(index).cloned() else {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "Invalid tuple index: {index}. Found {} elements in tuple.",
                            items.len()
                        ),
                    ));
                };
                Ok(texpr(
                    TExprKind::TupleField {
                        tuple: Box::new(base),
                        index,
                    },
                    ty,
                    span,
                ))
            }
            Type::NamedTuple { names, fields } => {
                let Some(index) = names.iter().position(|n| n == field) else {
                    return Err(Diagnostic::error(
                        span,
                        format!("Record does not contain a field named '{field}'"),
                    )
                    .with_help(format!("its fields are: {}", names.join(", "))));
                };
                let ty = fields[index].clone();
                Ok(texpr(
                    TExprKind::TupleField {
                        tuple: Box::new(base),
                        index,
                    },
                    ty,
                    span,
                ))
            }
            _ => self.record_field(base, field, span),
        }
    }

    fn tracepoint_field(&mut self, name: &str, span: Span) -> Checked<TExpr> {
        let fields = self.inst.fields.as_deref().unwrap_or_default();
        let Some(field) = fields.iter().find(|f| f.name == name) else {
            let known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            let point = self.tracepoint_name();
            return Err(
                Diagnostic::error(span, format!("Can't find a field {name} in {point}"))
                    .with_help(format!("its fields are: {}", known.join(", "))),
            );
        };
        let (kind, ty) = match field.kind {
            FieldKind::Int => (
                FieldReadKind::Int {
                    size: field.size as u8,
                    signed: field.signed,
                },
                // `enum skb_drop_reason reason` prints by name when the
                // kernel's BTF knows the enum.
                match field
                    .c_type
                    .starts_with("enum ")
                    .then(|| self.types.enum_def(field.c_type.trim()))
                    .flatten()
                {
                    Some(def) => Type::Enum(def),
                    None => Type::Int {
                        bytes: field.size as u8,
                        signed: field.signed,
                    },
                },
            ),
            FieldKind::Pointer { char_ptr } => {
                let user = self.inst.user_pointers;
                let ty = if char_ptr {
                    Type::ptr(
                        Type::Int {
                            bytes: 1,
                            signed: true,
                        },
                        user,
                    )
                } else {
                    self.c_pointer_type(&field.c_type, user)
                };
                (FieldReadKind::Pointer, ty)
            }
            FieldKind::CharArray => (
                FieldReadKind::CharArray { len: field.size },
                Type::Str { size: field.size },
            ),
            FieldKind::DataLocString => (
                FieldReadKind::DataLocString,
                Type::Str {
                    size: self.opts.strlen,
                },
            ),
            FieldKind::IntArray { .. } => {
                return Err(Diagnostic::error(
                    span,
                    format!("args.{name} is an array ({}); index it", field.c_type),
                ))
            }
            FieldKind::Other => {
                return Err(Diagnostic::error(
                    span,
                    format!(
                        "args.{name} has type '{}', which cannot be read yet",
                        field.c_type
                    ),
                ))
            }
        };
        Ok(texpr(
            TExprKind::Field(FieldRead {
                offset: field.offset,
                kind,
            }),
            ty,
            span,
        ))
    }

    fn tracepoint_name(&self) -> String {
        match self.inst.attach.first() {
            Some((crate::sema::probes::Attach::Tracepoint { category, name }, _)) => {
                format!("tracepoint {category}:{name}")
            }
            _ => "args".into(),
        }
    }

    fn index(&mut self, base: &ast::Expr, index: &ast::Expr, span: Span) -> Checked<TExpr> {
        let field = match &base.kind {
            ExprKind::Field { expr, field, .. }
                if matches!(&expr.kind, ExprKind::Ident(n) if n == "args")
                    && self.inst.kind == ProbeKind::Tracepoint =>
            {
                field
            }
            _ => {
                let base = self.value(base)?;
                return match base.ty.clone() {
                    Type::Tuple(items) => self.tuple_index(base, &items, index, span),
                    // A string's bytes, as an array of int8 over its buffer.
                    Type::Str { size } => {
                        let bytes = TExpr {
                            ty: Type::Array {
                                elem: Box::new(Type::Int {
                                    bytes: 1,
                                    signed: true,
                                }),
                                len: size,
                            },
                            ..base
                        };
                        self.element(bytes, index, span)
                    }
                    _ => self.element(base, index, span),
                };
            }
        };
        if self.inst.kind != ProbeKind::Tracepoint {
            return Err(Diagnostic::error(
                span,
                "args can only be used with tracepoint probes here",
            ));
        }
        let fields = self.inst.fields.as_deref().unwrap_or_default();
        let Some(found) = fields.iter().find(|f| &f.name == field) else {
            return self.tracepoint_field(field, base.span);
        };
        let FieldKind::IntArray { elem_size, len } = found.kind else {
            // A pointer field (`const char *const *argv`) indexes memory.
            let base = self.value(base)?;
            return self.element(base, index, span);
        };
        let i = match self.expr(index)?.kind {
            TExprKind::Int(i) => i,
            _ => {
                return Err(Diagnostic::error(
                    index.span,
                    "array index must be a constant integer",
                ))
            }
        };
        if i >= len as u64 {
            return Err(Diagnostic::error(
                index.span,
                format!("the index {i} is out of bounds for array of size {len}"),
            ));
        }
        let ty = Type::Int {
            bytes: elem_size as u8,
            signed: found.signed,
        };
        Ok(texpr(
            TExprKind::Field(FieldRead {
                offset: found.offset + i as u32 * elem_size,
                kind: FieldReadKind::Int {
                    size: elem_size as u8,
                    signed: found.signed,
                },
            }),
            ty,
            span,
        ))
    }
}

pub(super) fn int_literal(v: u64, span: Span) -> TExpr {
    let ty = if v > i64::MAX as u64 {
        Type::U64
    } else {
        Type::I64
    };
    texpr(TExprKind::Int(v), ty, span)
}

impl Checker<'_> {
    /// `probe` where a string is wanted: the name of the attach point this
    /// program runs for, chosen by the probe index when it serves several
    /// (a chain of choices: up to [`MAX_PROBE_NAMES`] of them).
    pub(super) fn probe_as_string(&self, probe: TExpr) -> Checked<TExpr> {
        let span = probe.span;
        if self.inst.attach.len() > MAX_PROBE_NAMES {
            return Err(Diagnostic::error(
                span,
                format!(
                    "probe as a string in a probe of {} attach points (at most {MAX_PROBE_NAMES})",
                    self.inst.attach.len()
                ),
            )
            .with_help(
                "compare it with == \"name\", use it as a map key, or attach to fewer points",
            ));
        }
        let names: Vec<(u32, &[u8])> = self
            .inst
            .attach
            .iter()
            .map(|(_, index)| {
                let name = self.probe_names.get(*index as usize);
                (*index, name.map_or(&b""[..], |n| n.as_bytes()))
            })
            .collect();
        let size = names.iter().map(|(_, n)| n.len()).max().unwrap_or(0) as u32 + 1;
        let ty = Type::Str { size };
        let literal = |name: &[u8]| texpr(TExprKind::Str(name.to_vec()), ty.clone(), span);
        let Some(((_, last), rest)) = names.split_last() else {
            return Ok(literal(b""));
        };
        Ok(rest
            .iter()
            .rev()
            .fold(literal(last), |otherwise, (index, name)| {
                let cond = texpr(
                    TExprKind::Binary {
                        op: BinOp::Eq,
                        lhs: Box::new(probe.clone()),
                        rhs: Box::new(texpr(TExprKind::Int(u64::from(*index)), Type::U64, span)),
                    },
                    Type::Bool,
                    span,
                );
                texpr(
                    TExprKind::Ternary {
                        cond: Box::new(cond),
                        then: Box::new(literal(name)),
                        otherwise: Box::new(otherwise),
                    },
                    ty.clone(),
                    span,
                )
            }))
    }
}

/// Attach points `probe` can be told apart by when it is used as a string.
const MAX_PROBE_NAMES: usize = 64;

pub(super) fn str_literal(mut bytes: Vec<u8>, span: Span) -> TExpr {
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        bytes.truncate(nul);
    }
    let size = bytes.len() as u32 + 1;
    texpr(TExprKind::Str(bytes), Type::Str { size }, span)
}

/// The offset `e` elements of `stride` bytes make, for pointer arithmetic.
fn scaled(e: TExpr, stride: u32) -> TExpr {
    if stride == 1 {
        return e;
    }
    let span = e.span;
    if let TExprKind::Int(v) = e.kind {
        return texpr(
            TExprKind::Int(v.wrapping_mul(stride as u64)),
            e.ty.clone(),
            span,
        );
    }
    let ty = Type::Int {
        bytes: 8,
        signed: e.ty.is_signed(),
    };
    texpr(
        TExprKind::Binary {
            op: BinOp::Mul,
            lhs: Box::new(e),
            rhs: Box::new(texpr(TExprKind::Int(stride as u64), Type::I64, span)),
        },
        ty,
        span,
    )
}

/// Signed arithmetic only when both sides are signed; a literal takes the
/// signedness of the other side, as in C's usual conversions.
fn arithmetic_is_signed(l: &TExpr, r: &TExpr) -> bool {
    let literal = |e: &TExpr| matches!(e.kind, TExprKind::Int(v) if v <= i64::MAX as u64);
    match (literal(l), literal(r)) {
        (true, false) => r.ty.is_signed() || r.ty == Type::Bool,
        (false, true) => l.ty.is_signed() || l.ty == Type::Bool,
        _ => {
            let signed = |t: &Type| t.is_signed() || *t == Type::Bool;
            signed(&l.ty) && signed(&r.ty)
        }
    }
}

fn mismatch(op: BinOp, l: &Type, r: &Type, span: Span) -> Diagnostic {
    Diagnostic::error(
        span,
        format!(
            "Type mismatch for '{}': comparing '{l}' with '{r}'",
            op.symbol()
        ),
    )
}

fn unop_symbol(op: UnOp) -> &'static str {
    match op {
        UnOp::Neg => "-",
        UnOp::Not => "!",
        UnOp::BitNot => "~",
        UnOp::Deref => "*",
        UnOp::AddrOf => "&",
    }
}

fn arg_number(name: &str) -> Option<u8> {
    let digits = name.strip_prefix("arg")?;
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// An integer as bpftrace reads positional parameters: decimal, `0x` hex,
/// `0` octal, optionally negative.
pub(super) fn parse_int_text(text: &str) -> Option<u64> {
    let t = text.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let value = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse::<u64>().ok()?
    };
    Some(if neg { value.wrapping_neg() } else { value })
}
