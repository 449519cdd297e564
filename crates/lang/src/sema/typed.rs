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
    /// Whether `len()` of a stack appears anywhere: then every stack taken
    /// carries its depth, since any of them may reach that `len()`.
    pub counts_stack_frames: bool,
    /// The script's config block with the environment's `BPFTRACE_*`
    /// variables over it: what the code generator and session apply.
    pub settings: crate::config::Settings,
    /// What the script should hear about but that does not stop it
    /// (attach points skipped under `missing_probes = warn`).
    pub warnings: Vec<crate::diag::Diagnostic>,
    /// Where the copies of macro bodies came from: spans in the typed
    /// program that point into a copy go through
    /// [`Expansions::resolve`](super::expand::Expansions::resolve) before
    /// they are shown.
    pub expansions: super::expand::Expansions,
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
    /// What `let @name = kind(n);` declared, if anything.
    pub decl: Option<MapDecl>,
}

/// A map declaration's effect: an LRU map (`lruhash`, `percpulruhash`),
/// `max_entries` entries. Per-CPU or not follows from the values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapDecl {
    pub lru: bool,
    pub max_entries: u32,
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
    /// `bench:NAME`: run by the tracer many times over under `--mode
    /// bench`, like BEGIN but timed.
    Bench,
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

    /// Whether `args` are the parameters of a kernel function, typed from
    /// its BTF prototype: kprobes (at the entry), fentry and fexit.
    pub fn has_kernel_function_args(self) -> bool {
        matches!(
            self,
            ProbeKind::Kprobe { ret: false } | ProbeKind::Fentry | ProbeKind::Fexit
        )
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
    /// The position of the probe block in the script this instance comes
    /// from: two blocks naming the same point are two probes (bpftrace
    /// counts both in `Attached N probes`), one block split into several
    /// instances is one.
    pub block: u32,
    pub predicate: Option<TExpr>,
    pub body: Vec<TStmt>,
    /// The type of every `$variable`, by index.
    pub vars: Vec<Type>,
    /// The scope each variable belongs to, by index, and the enclosing
    /// scope of each scope (see [`super::scope::ScopeTree`]): variables of
    /// scopes on separate branches may share storage. Empty: one scope.
    pub var_scopes: Vec<usize>,
    pub scope_parents: Vec<Option<usize>>,
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
    /// `percpu_kaddr(name[, cpu])`: the address of the kernel's per-CPU
    /// variable whose vmlinux BTF id is `btf_id`, on CPU `cpu` (0 when that
    /// CPU does not exist), or on the current CPU.
    PercpuAddr {
        btf_id: u32,
        cpu: Option<Box<TExpr>>,
    },
    /// `write_user(dst, src, len)` (`--unsafe`): the first `len` bytes of
    /// `src`, a value held by the program, written to user address `dst`
    /// with `bpf_probe_write_user`; true when written.
    WriteUser {
        dst: Box<TExpr>,
        src: Box<TExpr>,
        len: u32,
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
    /// At most `min(len, limit) + pad` bytes are read, NUL included (and
    /// never more than the destination holds).
    ReadStr {
        ptr: Box<TExpr>,
        len: Option<Box<TExpr>>,
        limit: u32,
        /// 1 to read one byte more than asked, so that a string too long
        /// for its type fills the buffer without a NUL and prints with the
        /// truncation trailer, as bpftrace does when `max_strlen` is below
        /// 1024; else 0.
        pad: u32,
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
    /// The array index `index`, with a run-time warning (bpftrace's "Array
    /// access out of bounds") when it is not below `len`.
    CheckedIndex {
        index: Box<TExpr>,
        len: u32,
    },
    /// `&@map[key]`: the address of the map's value for `key` in kernel
    /// memory, 0 when the map has no such entry.
    AddrOfMap {
        map: usize,
        key: Option<Box<TExpr>>,
    },
    /// `{ statements; value }`: the statements run, then `value` is the result.
    Block {
        stmts: Vec<TStmt>,
        value: Box<TExpr>,
    },
    /// A string function over values held by the program (strings, or any
    /// value for `memcmp`).
    StrFunc {
        func: StrFunc,
        args: Vec<TExpr>,
    },
    /// `bswap(n)`: the bytes of the integer reversed, at `ty`'s width.
    Bswap(Box<TExpr>),
    /// `socket_cookie(sk)`: `bpf_get_socket_cookie` of a typed `struct
    /// sock *`, which only a tracing program (fentry, fexit, tp_btf) holds.
    SocketCookie(Box<TExpr>),
    /// `delete(@m, key)` used for its value: true when the key was there.
    Delete {
        map: usize,
        key: Option<Box<TExpr>>,
    },
    /// `has_key(@m, key)`.
    HasKey {
        map: usize,
        key: Box<TExpr>,
    },
    /// `len(@m)`: the number of entries.
    MapLen(usize),
    /// `len(stack)`: how many frames a `kstack`/`ustack` value has.
    StackLen(Box<TExpr>),
    /// `buf(src[, len])` (a `Type::Buffer`): the bytes of the value `src`,
    /// or at the address `src`, `len` of them (all the type holds without
    /// it, and never more).
    Buf {
        src: Box<TExpr>,
        len: Option<Box<TExpr>>,
    },
    /// `ntop([af, ] addr)` (a `Type::Inet`): the family and the address,
    /// an integer (IPv4, its bytes in memory order) or a byte array.
    Inet {
        af: Box<TExpr>,
        addr: Box<TExpr>,
    },
    /// `macaddr(bytes)` (a `Type::MacAddr`): the first six bytes of a value.
    MacAddr(Box<TExpr>),
    /// Bytes known at compile time, of an array type (`pton("::1")`).
    Bytes(Vec<u8>),
}

/// The string functions, and what they return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrFunc {
    /// `strncmp(a, b, n)`: 0 when the first `n` characters agree, else 1.
    Ncmp(u32),
    /// `strcontains(haystack, needle)`: a bool.
    Contains,
    /// `strstr(haystack, needle)`: the index of the first match, or -1.
    Find,
    /// `strlen(s)`: the number of characters before the NUL.
    Len,
    /// `memcmp(a, b, n)`: 0 when the first `n` bytes agree, else the
    /// difference of the first pair that does not (as signed bytes).
    Memcmp(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TUnOp {
    Neg,
    Not,
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// Process and thread ids, in sonde's pid namespace (`curr_ns`) or in
    /// the initial one (`init`).
    Pid(PidNs),
    Tid(PidNs),
    Uid,
    Gid,
    /// `nsecs(clock)`; plain `nsecs` reads the boot clock.
    Nsecs(Clock),
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
    /// `ctx`: the address of the program's context (what the kernel
    /// passes the program: a tracepoint's record, pt_regs, ...).
    Ctx,
    /// The traced function's name (`Type::FuncName`: the probe's index).
    Func,
    /// The number of CPUs, known when the session starts.
    Ncpus,
    Numaid,
    /// The user id, printed as a name.
    Username,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidNs {
    Current,
    Init,
}

/// The clocks `nsecs()` can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// `CLOCK_BOOTTIME`: the default.
    Boot,
    Monotonic,
    Tai,
    /// TAI computed from the monotonic clock and the offset between the two
    /// clocks when the session started, for kernels without a TAI helper.
    SwTai,
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
    /// `hist(n, bits)`: each power of two split into `2^bits` buckets.
    Hist {
        bits: u8,
    },
    LHist {
        min: i64,
        max: i64,
        step: i64,
    },
    /// `tseries(n, interval, count[, agg])`.
    TSeries(TSeriesSpec),
}

/// What a `tseries()` map records: `intervals` intervals of `interval_ns`
/// nanoseconds, each keeping the values written in it as `agg` says; the
/// values are `signed` or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TSeriesSpec {
    pub interval_ns: u64,
    pub intervals: u64,
    pub agg: TSeriesAgg,
    pub signed: bool,
}

/// How `tseries()` combines the values written in one interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TSeriesAgg {
    /// The value written last (bpftrace's default).
    Last,
    Sum,
    Min,
    Max,
    /// The average, truncated.
    Avg,
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
        /// For `tseries`: the time that picks the interval (`nsecs(sw_tai)`,
        /// or the map `BPFTRACE_DUMMY_TS_MAP` names, for tests).
        clock: Option<TExpr>,
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
    /// `system`, `cat`, `errorf`, `warnf`: a format and its arguments, sent
    /// to user space and acted on there.
    Async {
        action: AsyncAction,
        format: Vec<u8>,
        args: Vec<TExpr>,
    },
    /// `time(format)`: the wall-clock time when user space prints it.
    Time(Vec<u8>),
    /// `join(array[, sep])`: the strings of a NULL-terminated array of
    /// addresses, printed joined by `sep`.
    Join {
        array: TExpr,
        sep: Vec<u8>,
        /// The most bytes read of each string, NUL included.
        size: u32,
    },
    /// `debugf(format, args)`: a line in the kernel's trace buffer.
    Debugf {
        format: Vec<u8>,
        args: Vec<TExpr>,
    },
    /// `signal(sig)` to the current process, or to its thread only.
    Signal {
        sig: TExpr,
        thread: bool,
    },
    /// `override(rc)`: the probed kernel function returns `rc` at once.
    Override(TExpr),
}

/// What user space does with an [`TStmtKind::Async`] format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsyncAction {
    /// Run it as a shell command; its output is the script's.
    System,
    /// Print the contents of the file it names.
    Cat,
    /// Print it as an error at the statement, and go on.
    Errorf,
    /// Print it as a warning at the statement.
    Warnf,
    /// Print it as the error of a failed `assert`, at the place bpftrace
    /// reports those.
    AssertFailed,
}

/// How a piece of the typed tree uses the probe's variables: what a `for`
/// loop's body needs from the probe around it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VarUses {
    /// Read, written or addressed.
    pub used: std::collections::BTreeSet<usize>,
    /// Assigned, cleared or bound by a loop.
    pub written: std::collections::BTreeSet<usize>,
    /// Where `&$var` appears.
    pub addressed: Vec<Span>,
}

impl VarUses {
    pub fn of(stmts: &[TStmt]) -> VarUses {
        let mut uses = VarUses::default();
        uses.stmts(stmts);
        uses
    }

    fn write(&mut self, var: usize) {
        self.used.insert(var);
        self.written.insert(var);
    }

    fn stmts(&mut self, stmts: &[TStmt]) {
        for stmt in stmts {
            match &stmt.kind {
                TStmtKind::Expr(e) | TStmtKind::Print(e) => self.expr(e),
                TStmtKind::AssignVar { var, value } => {
                    self.expr(value);
                    self.write(*var);
                }
                TStmtKind::ClearVar(var) => self.write(*var),
                TStmtKind::AssignMap { key, value, .. } => {
                    key.iter().for_each(|k| self.expr(k));
                    self.expr(value);
                }
                TStmtKind::Aggregate {
                    key, arg, clock, ..
                } => {
                    key.iter().for_each(|k| self.expr(k));
                    arg.iter().for_each(|a| self.expr(a));
                    clock.iter().for_each(|c| self.expr(c));
                }
                TStmtKind::Delete { key, .. } => key.iter().for_each(|k| self.expr(k)),
                TStmtKind::Printf { args, .. }
                | TStmtKind::Async { args, .. }
                | TStmtKind::Debugf { args, .. } => args.iter().for_each(|a| self.expr(a)),
                TStmtKind::Join { array: e, .. }
                | TStmtKind::Signal { sig: e, .. }
                | TStmtKind::Override(e) => self.expr(e),
                TStmtKind::Time(_) => {}
                TStmtKind::Exit(code) => code.iter().for_each(|c| self.expr(c)),
                TStmtKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    self.expr(cond);
                    self.stmts(then);
                    self.stmts(otherwise);
                }
                TStmtKind::While { cond, body } => {
                    self.expr(cond);
                    self.stmts(body);
                }
                TStmtKind::ForRange {
                    var,
                    start,
                    end,
                    body,
                } => {
                    self.expr(start);
                    self.expr(end);
                    self.write(*var);
                    self.stmts(body);
                }
                TStmtKind::ForMap { var, body, .. } => {
                    self.write(*var);
                    self.stmts(body);
                }
                TStmtKind::Unroll { body, .. } | TStmtKind::Block(body) => self.stmts(body),
                TStmtKind::PrintMap { .. }
                | TStmtKind::Clear(_)
                | TStmtKind::Zero(_)
                | TStmtKind::Break
                | TStmtKind::Continue
                | TStmtKind::Return => {}
            }
        }
    }

    fn expr(&mut self, e: &TExpr) {
        match &e.kind {
            TExprKind::Var(v) => {
                self.used.insert(*v);
            }
            TExprKind::AddrOfVar(v) => {
                // Written through the pointer, perhaps.
                self.write(*v);
                self.addressed.push(e.span);
            }
            TExprKind::Int(_)
            | TExprKind::Bool(_)
            | TExprKind::Str(_)
            | TExprKind::Builtin(_)
            | TExprKind::Arg(_)
            | TExprKind::RegArg(_)
            | TExprKind::Retval
            | TExprKind::UserMode
            | TExprKind::Reg(_)
            | TExprKind::UsdtArg(_)
            | TExprKind::Stack(_)
            | TExprKind::UserAddr { .. }
            | TExprKind::Field(_) => {}
            TExprKind::Sym { addr, .. } => self.expr(addr),
            TExprKind::PercpuAddr { cpu, .. } => cpu.iter().for_each(|c| self.expr(c)),
            TExprKind::WriteUser { dst, src, .. } => {
                self.expr(dst);
                self.expr(src);
            }
            TExprKind::ArgsRecord(fields) => fields.iter().for_each(|(_, f)| self.expr(f)),
            TExprKind::MapRead { key, .. } | TExprKind::AddrOfMap { key, .. } => {
                key.iter().for_each(|k| self.expr(k))
            }
            TExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            TExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond);
                self.expr(then);
                self.expr(otherwise);
            }
            TExprKind::Tuple(items) => items.iter().for_each(|i| self.expr(i)),
            TExprKind::ReadStr { ptr, len, .. } => {
                self.expr(ptr);
                len.iter().for_each(|l| self.expr(l));
            }
            TExprKind::Unary { expr, .. }
            | TExprKind::TupleField { tuple: expr, .. }
            | TExprKind::Cast(expr)
            | TExprKind::Deref { addr: expr, .. }
            | TExprKind::Member { base: expr, .. }
            | TExprKind::CheckedIndex { index: expr, .. } => self.expr(expr),
            TExprKind::Element { base, index } => {
                self.expr(base);
                self.expr(index);
            }
            TExprKind::Block { stmts, value } => {
                self.stmts(stmts);
                self.expr(value);
            }
            TExprKind::StrFunc { args, .. } => args.iter().for_each(|a| self.expr(a)),
            TExprKind::Bswap(expr) | TExprKind::SocketCookie(expr) => self.expr(expr),
            TExprKind::Delete { key, .. } => key.iter().for_each(|k| self.expr(k)),
            TExprKind::HasKey { key, .. } => self.expr(key),
            TExprKind::MapLen(_) | TExprKind::Bytes(_) => {}
            TExprKind::Buf { src, len } => {
                self.expr(src);
                len.iter().for_each(|l| self.expr(l));
            }
            TExprKind::Inet { af, addr } => {
                self.expr(af);
                self.expr(addr);
            }
            TExprKind::MacAddr(expr) | TExprKind::StackLen(expr) => self.expr(expr),
        }
    }
}
