//! What the code generator hands to the runtime: maps to create, programs
//! to load and where to attach them, and how to decode what the programs
//! send back. Plain data: no file descriptors, no kernel I/O.

use sonde_isa::Insn;

#[derive(Clone, Debug, Default)]
pub struct Object {
    pub maps: Vec<MapDef>,
    pub programs: Vec<ProgramDef>,
    /// Index into `maps` of the BPF ring buffer that carries events, if any
    /// program sends one.
    pub ringbuf: Option<usize>,
    /// How to decode a ring-buffer record whose first 8 bytes are `id`:
    /// `events[id]`.
    pub events: Vec<EventDef>,
    /// The script's `@maps`, in the order they are printed at exit (sorted by name).
    pub user_maps: Vec<UserMapDef>,
    /// Probe names by index: the value of the `probe` builtin (`ValueType::ProbeName`).
    pub probe_names: Vec<String>,
    /// Index into `maps` of a per-CPU array with one u64: ring-buffer records
    /// that could not be written (the buffer was full), summed over CPUs.
    pub lost_events: Option<usize>,
    /// True when the script has no probes but BEGIN/END: the session ends
    /// right after BEGIN, as bpftrace does.
    pub exit_after_begin: bool,
    /// By probe index: the index in `probe_names` of the name of the
    /// function the probe attaches to (what `func` prints), for probes on
    /// known functions. The runtime passes it in the high half of the BPF
    /// cookie; see [`Object::cookie`].
    pub probe_funcs: Vec<Option<u32>>,
    /// Stack frames leave out `@file:line` (config `show_debug_info = 0`).
    pub hide_debug_info: bool,
    /// Maps are not printed when the session ends (config
    /// `print_maps_on_exit = 0`).
    pub skip_maps_on_exit: bool,
    /// Appended to a printed string that filled its whole buffer, which
    /// means it was cut (config `str_trunc_trailer`).
    pub str_trunc_trailer: String,
    /// The most bytes `cat()` prints of a file (config `max_cat_bytes`).
    pub max_cat_bytes: u64,
}

impl Object {
    /// The BPF cookie of an attachment of probe `probe`: the probe's index
    /// in the low 32 bits (the `probe` builtin), the index of its function's
    /// name in the high 32 bits (the `func` builtin).
    pub fn cookie(&self, probe: u32) -> u64 {
        let func = self.probe_funcs.get(probe as usize).copied().flatten();
        probe as u64 | (func.unwrap_or(0) as u64) << 32
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDef {
    /// Kernel object name (at most 15 bytes), e.g. `AT_start`.
    pub name: String,
    pub kind: MapKind,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapKind {
    Hash,
    PercpuHash,
    /// Hash maps that evict the least recently used entries when full
    /// (declared `lruhash`, `percpulruhash`).
    LruHash,
    LruPercpuHash,
    Array,
    PercpuArray,
    /// `max_entries` is the buffer size in bytes (a power-of-two number of pages).
    RingBuf,
    /// Programs reached by `bpf_tail_call`, u32 keys; filled by the runtime
    /// from `AttachTarget::SyscallTail` points.
    ProgArray,
    /// `BPF_MAP_TYPE_STACK_TRACE`: u32 stack ids to `value_size / 8`
    /// instruction pointers, filled by `bpf_get_stackid`.
    StackTrace,
    /// A stack-trace map created with `BPF_F_STACK_BUILD_ID`: u32 stack
    /// ids to `value_size / 32` `struct bpf_stack_build_id` (s32 status,
    /// 20 bytes of build id, u64 file offset or address at byte 24).
    StackTraceBuildId,
}

#[derive(Clone, Debug)]
pub struct ProgramDef {
    /// Kernel object name (at most 15 bytes).
    pub name: String,
    pub kind: ProgKind,
    pub insns: Vec<Insn>,
    pub relocs: Vec<Reloc>,
    /// Every place this program is attached; one entry per expanded probe.
    pub attach: Vec<AttachPoint>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgKind {
    /// `BPF_PROG_TYPE_TRACEPOINT`: ctx is the raw tracepoint record.
    Tracepoint,
    /// `BPF_PROG_TYPE_RAW_TRACEPOINT`: ctx is an array of u64 arguments.
    RawTracepoint,
    /// `BPF_PROG_TYPE_PERF_EVENT`: `profile`, `interval`, `software`.
    PerfEvent,
    /// BEGIN/END and `self:signal:`: a `BPF_PROG_TYPE_RAW_TRACEPOINT`
    /// program that is never attached but run with `BPF_PROG_TEST_RUN`.
    RunOnce,
    /// `BPF_PROG_TYPE_KPROBE`: ctx is `struct pt_regs` (kprobes, uprobes,
    /// USDT).
    Kprobe,
    /// `BPF_PROG_TYPE_TRACING` fentry/fexit; the target is fixed at load
    /// time, so such a program has exactly one attach point.
    Fentry,
    Fexit,
    /// `BPF_PROG_TYPE_TRACING` iterator; one attach point.
    Iter,
    /// `rawtracepoint:`, a `BPF_PROG_TYPE_TRACING` program bound at load
    /// time to the tracepoint's BTF (`tp_btf`), as bpftrace loads them; ctx
    /// is the array of the tracepoint's arguments, as for a
    /// `RawTracepoint` program, which the runtime loads instead where the
    /// kernel refuses these. One attach point.
    TpBtf,
    /// `bench:`: a `BPF_PROG_TYPE_XDP` program, never attached but run
    /// with `BPF_PROG_TEST_RUN` and a repeat count, the one program type
    /// whose test runs time many repetitions and that any kernel with BPF
    /// has. Its body may use only the helpers every program type has.
    Bench,
}

/// A patch the runtime applies to `insns[insn]` (the first slot of an
/// `ld_imm64`) before loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reloc {
    pub insn: usize,
    pub kind: RelocKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocKind {
    /// `src = BPF_PSEUDO_MAP_FD`, `imm = fd of maps[i]`.
    MapFd(usize),
    /// The 64-bit immediate becomes the session's start time in
    /// `CLOCK_BOOTTIME` nanoseconds (what `bpf_ktime_get_boot_ns` counts),
    /// for `elapsed`.
    StartTimeNs,
    /// `CLOCK_TAI` minus `CLOCK_MONOTONIC` when the session starts, for
    /// `nsecs(sw_tai)`.
    TaiOffsetNs,
    /// The number of possible CPUs, for `ncpus`.
    NumCpus,
    /// The 64-bit immediate becomes the pid of the `-c` child (0 without one),
    /// for `cpid`.
    ChildPid,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachPoint {
    pub target: AttachTarget,
    /// Index into `Object::probe_names`; also passed as the BPF cookie.
    pub probe: u32,
    /// The script's probe block this point belongs to: `Attached N
    /// probes` counts each (block, probe) once.
    pub block: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachTarget {
    Begin,
    End,
    Tracepoint {
        category: String,
        name: String,
    },
    RawTracepoint {
        name: String,
    },
    /// A timer on one CPU firing every `period_ns`.
    Interval {
        period_ns: u64,
    },
    /// A timer on every online CPU.
    Profile {
        sample: Sample,
    },
    /// The one raw tracepoint (`raw_syscalls:sys_enter`, or `sys_exit`
    /// when `exit`) through which many syscall tracepoints are served: the
    /// program tail-calls into a program array by syscall number. Not a
    /// probe of the script, so not counted in `Attached N probes`.
    SyscallDispatch {
        exit: bool,
    },
    /// A syscall tracepoint served by the dispatcher: the program goes into
    /// program array `maps[map]` at key `nr` (the syscall number).
    SyscallTail {
        map: usize,
        nr: u32,
    },
    /// A uprobe (or uretprobe, `ret`) at `offset` of the file at `path`;
    /// `ref_ctr_offset` (0: none) is the file offset of a USDT semaphore
    /// the kernel increments while the probe is attached.
    Uprobe {
        path: String,
        offset: u64,
        ret: bool,
        ref_ctr_offset: u64,
    },
    /// A software perf event (`PERF_COUNT_SW_*` `config`) on every online
    /// CPU, firing every `period` events.
    Software {
        config: u64,
        period: u64,
    },
    /// A hardware perf event (`PERF_COUNT_HW_*` `config`) on every online CPU.
    Hardware {
        config: u64,
        period: u64,
    },
    /// A hardware breakpoint: on every CPU, or on every thread of the traced
    /// process (`-p`/`-c`) and the threads it creates.
    Watchpoint {
        addr: u64,
        len: u8,
        /// `HW_BREAKPOINT_R` (1), `_W` (2), `_X` (4) bits.
        access: u8,
    },
    /// Run when the tracer receives signal number `signal`.
    Signal {
        signal: i32,
    },
    /// kprobe or kretprobe on `function` + `offset`, or at `addr`.
    Kprobe {
        module: Option<String>,
        function: String,
        offset: u64,
        addr: Option<u64>,
        ret: bool,
    },
    /// fentry/fexit on `function` in `module`'s BTF.
    Fentry {
        module: String,
        function: String,
        ret: bool,
    },
    /// A benchmark, run under `--mode bench` only; `name` is what follows
    /// `bench:`, the name its result is printed under.
    Bench {
        name: String,
    },
    /// A BPF iterator over `bpf_iter_<target>` objects, run once after
    /// every probe is attached (or pinned at `pin`).
    Iter {
        target: String,
        pin: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sample {
    /// Fire `hz` times per second.
    Frequency(u64),
    /// Fire every `ns` nanoseconds.
    PeriodNs(u64),
}

/// How to decode bytes of kernel memory into an output value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// A little-endian integer of `size` bytes (1, 2, 4 or 8).
    Int { size: u8, signed: bool },
    /// A u64 that is 0 or 1, printed `false` or `true`.
    Bool,
    /// A one-byte C `bool` (a struct field, an element of `(bool[2])x`):
    /// printed `true` when not zero.
    ByteBool,
    /// A NUL-terminated string in a buffer of `size` bytes.
    Str { size: u32 },
    /// Fields at their byte offsets from the tuple's start.
    Tuple(Vec<(u32, ValueType)>),
    /// A u64 index into `Object::probe_names`, printed as the name.
    ProbeName,
    /// A u64 address, printed in hex (`0x7ffd...`).
    Pointer,
    /// A C struct or union of `size` bytes.
    Record { size: u32, fields: Vec<RecordField> },
    /// `len` elements laid out every `elem.size()` bytes.
    Array { elem: Box<ValueType>, len: u32 },
    /// `size` bytes with no printable form (a float): printed as `null`.
    Opaque { size: u32 },
    /// An integer of `size` bytes printed as the name of its variant when
    /// it has one.
    Enum {
        size: u8,
        variants: Vec<(u64, String)>,
    },
    /// A stack: an i64 stack id into the stack-trace map called
    /// [`stack_map_name`]`(user, limit, mode == BuildId)` (negative when
    /// none was taken),
    /// followed for user stacks by the u32 pid and u32 probe index that
    /// took it. Printed as its frames, symbolised as `mode` says.
    Stack {
        user: bool,
        mode: StackMode,
        limit: u32,
    },
    /// A u64 address printed as its symbol; for user addresses followed by
    /// the u32 pid whose address space it is in, the u32 probe index and
    /// the u64 instruction pointer at the probe (0 outside uprobes), which
    /// tells where the probed file was loaded once the process is gone.
    Sym { user: bool },
    /// A u64 user id, printed as the user's name.
    Username,
    /// `buf()`: a u64 length, then up to `size` bytes.
    Buffer { size: u32 },
    /// A u64 turned into text in user space.
    Text(TextFormat),
    /// `ntop()`: a u64 address family (2 for IPv4, 10 for IPv6), then 16
    /// address bytes (4 for IPv4).
    Inet,
    /// `macaddr()`: six bytes.
    MacAddr,
}

/// How a [`ValueType::Text`] integer becomes text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TextFormat {
    /// An errno as `strerror(3)` words it.
    Strerror,
    /// A signal number as `strsignal(3)` words it; `N/A` out of range.
    SignalName,
    /// A system call number as its name.
    SyscallName,
    /// `CLOCK_BOOTTIME` nanoseconds as wall-clock time, by `strftime(3)`
    /// with `%f` for microseconds.
    Timestamp { format: String },
    /// A cgroup id as the cgroup's path.
    CgroupPath,
}

/// How a stack prints (bpftrace's stack modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StackMode {
    /// `symbol+offset`, indented.
    Bpftrace,
    /// `\taddress symbol+offset (module)`.
    Perf,
    /// Addresses in hex.
    Raw,
    /// `build-id-in-hex 0xoffset` per frame (user stacks only).
    BuildId,
}

/// The name of the stack-trace map holding stacks of this kind and depth
/// (user stacks as build ids and offsets with `build_id`).
pub fn stack_map_name(user: bool, limit: u32, build_id: bool) -> String {
    let kind = match (user, build_id) {
        (_, true) => 'b',
        (true, false) => 'u',
        (false, false) => 'k',
    };
    format!("stack_{kind}{limit}")
}

/// One field of a [`ValueType::Record`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordField {
    pub name: String,
    /// From the record's start.
    pub offset: u32,
    pub ty: ValueType,
    /// For a bitfield, `(shift, bits)`: the integer read at `offset` is
    /// shifted right by `shift` and cut to `bits` bits.
    pub bitfield: Option<(u8, u8)>,
}

impl ValueType {
    pub fn size(&self) -> u32 {
        match self {
            ValueType::Int { size, .. } => *size as u32,
            ValueType::Str { size } => *size,
            ValueType::Tuple(fields) => fields
                .iter()
                .map(|(off, t)| off + t.size())
                .max()
                .map(|end| end.next_multiple_of(8))
                .unwrap_or(0),
            ValueType::ByteBool => 1,
            ValueType::ProbeName
            | ValueType::Bool
            | ValueType::Pointer
            | ValueType::Username
            | ValueType::Text(_)
            | ValueType::MacAddr => 8,
            ValueType::Buffer { size } => 8 + size,
            ValueType::Inet => 24,
            ValueType::Stack { user: true, .. } => 16,
            ValueType::Sym { user: true } => 24,
            ValueType::Stack { .. } | ValueType::Sym { .. } => 8,
            ValueType::Record { size, .. } => *size,
            ValueType::Array { elem, len } => elem.size() * len,
            ValueType::Enum { size, .. } => *size as u32,
            ValueType::Opaque { size } => *size,
        }
    }
}

/// One kind of ring-buffer record. The record is `[u64 id][payload]`;
/// offsets below are from the start of the payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventDef {
    Printf {
        format: Vec<u8>,
        args: Vec<(u32, ValueType)>,
    },
    /// `print(value)`
    PrintValue { value: ValueType },
    /// `print(@m[, top[, div]])`; index into `Object::user_maps`.
    PrintMap { map: usize, top: u64, div: u64 },
    /// `clear(@m)`: delete every entry.
    ClearMap { map: usize },
    /// `zero(@m)`: set every value to zero, keeping the keys.
    ZeroMap { map: usize },
    /// A problem found while the program ran (an array index out of
    /// bounds): printed on stderr as `text`, which the caller of the code
    /// generator renders with the script's source (`stdin:1:5-9: WARNING:
    /// ...`); `message` alone until then.
    Warning {
        span: sonde_lang::Span,
        message: String,
        text: String,
    },
    /// `exit()`: stop the session; the payload's first u64 is the exit code.
    Exit,
    /// `system()`: run the formatted text with `sh -c`; its output is the
    /// script's.
    System {
        format: Vec<u8>,
        args: Vec<(u32, ValueType)>,
    },
    /// `cat()`: print the contents of the file the formatted text names
    /// (at most `Object::max_cat_bytes` of them).
    Cat {
        format: Vec<u8>,
        args: Vec<(u32, ValueType)>,
    },
    /// `errorf()`, `warnf()`, a failed `assert`: the formatted message on
    /// stderr as `text` says, where `\u{1}` stands for the message. The
    /// caller of the code generator renders `text` with the script's
    /// source (`stdin:1:5-9: ERROR: \u{1}` and the line) unless it is set.
    Diagnostic {
        error: bool,
        span: sonde_lang::Span,
        format: Vec<u8>,
        args: Vec<(u32, ValueType)>,
        text: String,
    },
    /// A helper that failed (a full map, a missing key, an unreadable
    /// address): the payload is the i64 return code. Printed as bpftrace's
    /// warning about helper `helper` (the kernel's name without `bpf_`) at
    /// `span`: `text` (rendered by the caller of the code generator, where
    /// `\u{1}` stands for the message) or, in JSON, a `helper_error` at
    /// `line`:`col` of `filename`.
    HelperError {
        helper: String,
        span: sonde_lang::Span,
        text: String,
        filename: String,
        line: u32,
        col: u32,
    },
    /// `time()`: the wall-clock time when the record is printed.
    Time { format: Vec<u8> },
    /// `join()`: a u64 count, then that many strings of `size` bytes,
    /// printed joined by `sep`.
    Join { sep: Vec<u8>, size: u32 },
}

/// A map of the script, with what the runtime needs to print it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserMapDef {
    /// With the `@`: `@`, `@start`.
    pub name: String,
    /// Index into `Object::maps`.
    pub map: usize,
    /// `None` for a map without keys (the kernel key is then a u64 zero and
    /// `key_size` is 8). For keyed maps, the key fields at their offsets;
    /// several fields for `@m[a, b]`.
    pub key: Option<Vec<(u32, ValueType)>>,
    /// Size of the key the user wrote, a multiple of 8 (the kernel key of a
    /// histogram map is this plus an 8-byte bucket index).
    pub key_size: u32,
    pub value: MapValueKind,
}

/// The per-entry value layout in the kernel map. Per-CPU kinds are summed
/// over CPUs by the runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapValueKind {
    /// Written by assignment; not per-CPU.
    Plain(ValueType),
    /// Per-CPU u64.
    Count,
    /// Per-CPU i64.
    Sum,
    /// Per-CPU `{ i64 value; u64 set }`; CPUs with `set == 0` are ignored.
    Min,
    Max,
    /// Per-CPU `{ i64 total; u64 count }`.
    Avg,
    Stats,
    /// Per-CPU u64 counts; the kernel key is the user key followed by a
    /// u64 bucket index (see `sonde_output::AggValue::Hist`).
    Hist {
        bits: u8,
    },
    LHist {
        min: i64,
        max: i64,
        step: i64,
    },
    /// Per-CPU `{ value; meta; u64 epoch }` (value and meta i64 or u64 as
    /// `signed` says); the kernel key is the user key followed by a u64
    /// slot, `epoch % intervals`, where `epoch` is the time divided by
    /// `interval_ns`. `meta` is the time of the write for `Last`, the
    /// number of values for `Avg` and 1 once set for `Min` and `Max`. A
    /// slot of epoch 0 was never written.
    TSeries {
        interval_ns: u64,
        intervals: u64,
        agg: TSeriesReduce,
        signed: bool,
    },
}

/// How the values of one `tseries` interval combine, within a CPU's slot
/// and across CPUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TSeriesReduce {
    /// The latest value (by `meta`, its time).
    Last,
    Sum,
    Min,
    Max,
    /// Sum of values over sum of counts.
    Avg,
}

impl MapValueKind {
    pub fn is_percpu(&self) -> bool {
        !matches!(self, MapValueKind::Plain(_))
    }
}
