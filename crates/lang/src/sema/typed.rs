//! The checked program: every expression carries its type, every map and
//! variable is resolved to an index, every attach point is expanded. This is
//! what the code generator consumes.

use super::env::UsdtArg;
use super::probes::Attach;
use super::types::{MapValue, Type};
use crate::ast::BinOp;
use crate::span::Span;

#[derive(Clone, Debug)]
pub struct TypedProgram {
    pub probes: Vec<TypedProbe>,
    /// Every `@map` of the script, sorted by name (the order bpftrace prints them).
    pub maps: Vec<MapInfo>,
    /// The `probe` builtin's values: the expanded attach point names.
    pub probe_names: Vec<String>,
    /// Whether stack frames show `@file:line` (config `show_debug_info`).
    pub show_debug_info: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    /// With its `@`.
    pub name: String,
    /// `None` for a map used without keys; otherwise the key type (a tuple
    /// type for `@m[a, b]`).
    pub key: Option<Type>,
    pub value: MapValue,
    /// True when the map is written with several keys (`@m[a, b]`), so that
    /// its key prints as `a, b` rather than as one tuple.
    pub multi_key: bool,
}

/// Which kind of BPF program runs the probe, which fixes what its context is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    Begin,
    End,
    Tracepoint,
    RawTracepoint,
    /// interval and profile timers, software and hardware events,
    /// watchpoints.
    PerfEvent,
    /// kprobe (`ret` false) or kretprobe: a `pt_regs` context.
    Kprobe {
        ret: bool,
    },
    /// uprobe or uretprobe: a `pt_regs` context of user registers.
    Uprobe {
        ret: bool,
    },
    /// A USDT probe site: a uprobe whose arguments come from its note.
    Usdt,
    /// `self:signal:`: run by the tracer when it receives the signal, like
    /// BEGIN.
    Signal,
    /// fentry (`BPF_PROG_TYPE_TRACING` on a trampoline; ctx is the
    /// function's arguments as u64s).
    Fentry,
    /// fexit (as fentry, with the return value after the arguments).
    Fexit,
    /// `iter:` (`BPF_PROG_TYPE_TRACING` iterator; ctx points at the object).
    Iter,
}

impl ProbeKind {
    /// Whether the context is the CPU's registers (`struct pt_regs`).
    pub fn has_pt_regs(self) -> bool {
        matches!(
            self,
            ProbeKind::Kprobe { .. } | ProbeKind::Uprobe { .. } | ProbeKind::Usdt
        )
    }

    /// Whether the probe fires in user space, where addresses the program
    /// sees (`arg0`, `retval`) point into the process.
    pub fn is_user(self) -> bool {
        matches!(self, ProbeKind::Uprobe { .. } | ProbeKind::Usdt)
    }

    /// Whether the probe fires on a function's return.
    pub fn is_return(self) -> bool {
        matches!(
            self,
            ProbeKind::Kprobe { ret: true } | ProbeKind::Uprobe { ret: true }
        )
    }
}

#[derive(Clone, Debug)]
pub struct TypedProbe {
    pub kind: ProbeKind,
    /// Where it attaches, with the index of each point's name in `probe_names`.
    pub attach: Vec<(Attach, u32)>,
    pub predicate: Option<TExpr>,
    pub body: Vec<TStmt>,
    /// The type of every `$variable`, by index.
    pub vars: Vec<Type>,
    /// The source of the probe, for messages about it.
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct TExpr {
    pub kind: TExprKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TExprKind {
    Int(u64),
    Bool(bool),
    Str(Vec<u8>),
    Builtin(Builtin),
    /// `argN` of a raw tracepoint: the Nth u64 of the context.
    Arg(u8),
    /// `argN` of a `pt_regs` probe: the Nth integer argument of the
    /// function by the platform's calling convention (a register, or the
    /// stack past the argument registers).
    RegArg(u8),
    /// `retval` of a return probe: the return value register.
    Retval,
    /// `usermode`: 1 when the registers in the context were interrupted in
    /// user mode.
    UserMode,
    /// `reg("name")`: a register of the context's `pt_regs`, by its
    /// kernel field name (`ip`, `sp`, `di`, ...).
    Reg(String),
    /// `argN` of a USDT probe site, as its note describes it.
    UsdtArg(UsdtArg),
    /// `args` of a uprobe as a whole: a record (`ty`) whose fields, at
    /// these offsets, are the function's parameters.
    ArgsRecord(Vec<(u32, TExpr)>),
    /// `kstack`/`ustack`: the current stack, taken into a stack-trace map.
    Stack(super::types::StackType),
    /// `ksym(addr)`/`usym(addr)`: an address to print as a symbol.
    Sym {
        user: bool,
        addr: Box<TExpr>,
    },
    /// `uaddr(name)` in a position-independent file: the symbol's address
    /// in the probed process, computed from where the probe fired (the
    /// instruction pointer at the probe is the probe's `site_vaddr` moved
    /// by the same load bias as the symbol's `vaddr`).
    UserAddr {
        vaddr: u64,
        site_vaddr: u64,
    },
    /// A field of the tracepoint record.
    Field(FieldRead),
    Var(usize),
    /// The value stored under `key` (0 or an empty value when absent).
    MapRead {
        map: usize,
        key: Option<Box<TExpr>>,
    },
    Binary {
        op: BinOp,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    Unary {
        op: TUnOp,
        expr: Box<TExpr>,
    },
    Ternary {
        cond: Box<TExpr>,
        then: Box<TExpr>,
        otherwise: Box<TExpr>,
    },
    Tuple(Vec<TExpr>),
    TupleField {
        tuple: Box<TExpr>,
        index: usize,
    },
    /// `str(ptr[, len])`: read a string from memory into a buffer of `ty`'s size.
    ReadStr {
        ptr: Box<TExpr>,
        len: Option<Box<TExpr>>,
    },
    /// Integer conversion to `ty`, or a test against zero for `bool`; for
    /// an array `ty` or an array operand, the same bytes seen as the other
    /// type (`(int8[8])x`, `(uint32)arr`).
    Cast(Box<TExpr>),
    /// The value of type `ty` in memory at `addr`, read with
    /// `probe_read_user` when `user`, else `probe_read_kernel`.
    Deref {
        addr: Box<TExpr>,
        user: bool,
    },
    /// The part of type `ty` at byte `offset` of the value `base` (a struct
    /// field or an array element of a value held by the program).
    Member {
        base: Box<TExpr>,
        offset: u32,
    },
    /// Element `index` of the array value `base`, checked against its length
    /// at run time (an index out of range reads element 0).
    Element {
        base: Box<TExpr>,
        index: Box<TExpr>,
    },
    /// `&$var`: the address of a variable on the BPF stack.
    AddrOfVar(usize),
    /// `{ statements; value }`: the statements run, then `value` is the result.
    Block {
        stmts: Vec<TStmt>,
        value: Box<TExpr>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TUnOp {
    Neg,
    Not,
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Pid,
    Tid,
    Uid,
    Gid,
    Nsecs,
    Elapsed,
    Cpu,
    Comm,
    Probe,
    Cpid,
    Rand,
    Cgroup,
    Jiffies,
    /// `curtask`: the current `struct task_struct *`.
    CurTask,
    /// The traced function's name (`Type::FuncName`: the probe's index).
    Func,
}

/// How to read one tracepoint field from the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRead {
    pub offset: u32,
    pub kind: FieldReadKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldReadKind {
    Int {
        size: u8,
        signed: bool,
    },
    /// A pointer-sized address.
    Pointer,
    /// `char[len]` stored in the record.
    CharArray {
        len: u32,
    },
    /// `__data_loc char[]`.
    DataLocString,
}

/// Which aggregation a statement like `@m[k] = count()` performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFunc {
    Count,
    Sum,
    Min,
    Max,
    Avg,
    Stats,
    Hist,
    LHist { min: i64, max: i64, step: i64 },
}

#[derive(Clone, Debug)]
pub struct TStmt {
    pub kind: TStmtKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TStmtKind {
    /// An expression evaluated for nothing but its side effects.
    Expr(TExpr),
    AssignVar {
        var: usize,
        value: TExpr,
    },
    /// `let $x;`: the variable starts over as zero.
    ClearVar(usize),
    AssignMap {
        map: usize,
        key: Option<TExpr>,
        value: TExpr,
    },
    Aggregate {
        map: usize,
        key: Option<TExpr>,
        func: AggFunc,
        arg: Option<TExpr>,
    },
    Delete {
        map: usize,
        key: Option<TExpr>,
    },
    Printf {
        format: Vec<u8>,
        args: Vec<TExpr>,
    },
    Print(TExpr),
    PrintMap {
        map: usize,
        top: u64,
        div: u64,
    },
    Clear(usize),
    Zero(usize),
    Exit(Option<TExpr>),
    If {
        cond: TExpr,
        then: Vec<TStmt>,
        otherwise: Vec<TStmt>,
    },
    While {
        cond: TExpr,
        body: Vec<TStmt>,
    },
    Unroll {
        count: u32,
        body: Vec<TStmt>,
    },
    /// `for ($var : @map)`: `var` is `(key, value)` for every entry.
    ForMap {
        var: usize,
        map: usize,
        body: Vec<TStmt>,
    },
    /// `for ($var : start..end)`: `var` takes every integer from `start`
    /// up to (not including) `end`, both evaluated once, before the loop.
    ForRange {
        var: usize,
        start: TExpr,
        end: TExpr,
        body: Vec<TStmt>,
    },
    Break,
    Continue,
    Return,
    /// Statements run in order (a block or `if` expression used as a statement).
    Block(Vec<TStmt>),
}

/// The variables a piece of the typed tree reads, writes or takes the
/// address of: what a `for` loop's body needs from the probe around it.
pub fn variables_used(stmts: &[TStmt], out: &mut std::collections::BTreeSet<usize>) {
    for stmt in stmts {
        let mut expr = |e: &TExpr| expr_variables(e, out);
        match &stmt.kind {
            TStmtKind::Expr(e) | TStmtKind::Print(e) => expr(e),
            TStmtKind::AssignVar { var, value } => {
                expr(value);
                out.insert(*var);
            }
            TStmtKind::ClearVar(var) => {
                out.insert(*var);
            }
            TStmtKind::AssignMap { key, value, .. } => {
                key.iter().for_each(&mut expr);
                expr(value);
            }
            TStmtKind::Aggregate { key, arg, .. } => {
                key.iter().for_each(&mut expr);
                arg.iter().for_each(&mut expr);
            }
            TStmtKind::Delete { key, .. } => key.iter().for_each(expr),
            TStmtKind::Printf { args, .. } => args.iter().for_each(expr),
            TStmtKind::Exit(code) => code.iter().for_each(expr),
            TStmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                expr(cond);
                variables_used(then, out);
                variables_used(otherwise, out);
            }
            TStmtKind::While { cond, body } => {
                expr(cond);
                variables_used(body, out);
            }
            TStmtKind::ForRange {
                var,
                start,
                end,
                body,
            } => {
                expr(start);
                expr(end);
                out.insert(*var);
                variables_used(body, out);
            }
            TStmtKind::ForMap { var, body, .. } => {
                out.insert(*var);
                variables_used(body, out);
            }
            TStmtKind::Unroll { body, .. } | TStmtKind::Block(body) => variables_used(body, out),
            TStmtKind::PrintMap { .. }
            | TStmtKind::Clear(_)
            | TStmtKind::Zero(_)
            | TStmtKind::Break
            | TStmtKind::Continue
            | TStmtKind::Return => {}
        }
    }
}

fn expr_variables(e: &TExpr, out: &mut std::collections::BTreeSet<usize>) {
    match &e.kind {
        TExprKind::Var(v) | TExprKind::AddrOfVar(v) => {
            out.insert(*v);
        }
        TExprKind::Int(_)
        | TExprKind::Bool(_)
        | TExprKind::Str(_)
        | TExprKind::Builtin(_)
        | TExprKind::Arg(_)
        | TExprKind::RegArg(_)
        | TExprKind::Retval
        | TExprKind::UserMode
        | TExprKind::UsdtArg(_)
        | TExprKind::Stack(_)
        | TExprKind::UserAddr { .. }
        | TExprKind::Field(_) => {}
        TExprKind::Sym { addr, .. } => expr_variables(addr, out),
        TExprKind::MapRead { key, .. } => {
            if let Some(k) = key {
                expr_variables(k, out);
            }
        }
        TExprKind::Binary { lhs, rhs, .. } => {
            expr_variables(lhs, out);
            expr_variables(rhs, out);
        }
        TExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            expr_variables(cond, out);
            expr_variables(then, out);
            expr_variables(otherwise, out);
        }
        TExprKind::Tuple(items) => items.iter().for_each(|i| expr_variables(i, out)),
        TExprKind::ReadStr { ptr, len } => {
            expr_variables(ptr, out);
            if let Some(l) = len {
                expr_variables(l, out);
            }
        }
        TExprKind::Unary { expr, .. }
        | TExprKind::TupleField { tuple: expr, .. }
        | TExprKind::Cast(expr)
        | TExprKind::Deref { addr: expr, .. }
        | TExprKind::Member { base: expr, .. } => expr_variables(expr, out),
        TExprKind::Element { base, index } => {
            expr_variables(base, out);
            expr_variables(index, out);
        }
        TExprKind::Block { stmts, value } => {
            variables_used(stmts, out);
            expr_variables(value, out);
        }
    }
}
