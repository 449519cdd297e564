//! The types of the language after checking, and the kinds of map values.

use std::fmt;
use std::sync::Arc;

pub use super::records::{Bitfield, EnumDef, Field, Record};

/// The type of a value. Integers are carried in 64-bit registers; `bytes`
/// and `signed` say how they were produced and how they print.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Int {
        bytes: u8,
        signed: bool,
    },
    Bool,
    /// A NUL-terminated string in a buffer of `size` bytes (NUL included).
    Str {
        size: u32,
    },
    Tuple(Vec<Type>),
    /// A record, `(name = value, ...)`: a tuple whose fields have names,
    /// laid out like one in the order of `names`.
    NamedTuple {
        names: Vec<String>,
        fields: Vec<Type>,
    },
    /// An address of a `pointee` (`Void` for `void *`). `user` says which
    /// address space it points into, which decides whether reads through it
    /// use `probe_read_user` or `probe_read_kernel`.
    Ptr {
        pointee: Box<Type>,
        user: bool,
    },
    /// A struct or union, laid out as in C.
    Record(Arc<Record>),
    /// `len` elements of `elem`, laid out back to back as in C.
    Array {
        elem: Box<Type>,
        len: u32,
    },
    /// An integer whose values have names; prints as the name.
    Enum(Arc<EnumDef>),
    /// A floating-point field of a struct: carried and printed (as `null`,
    /// as bpftrace does) but not computed with.
    Float {
        bytes: u8,
    },
    /// The `probe` builtin: an index into the program's probe names.
    ProbeName,
    /// The `func` builtin of probes on known functions: the probe's index,
    /// printed as the name of the function that probe attaches to.
    FuncName,
    /// `kstack`/`ustack`: a stack id in a stack-trace map (and for user
    /// stacks the pid and probe that took it), printed as the stack's
    /// symbolised frames.
    Stack(StackType),
    /// `ksym(addr)`/`usym(addr)`: an address printed as its symbol (user
    /// addresses carry the pid whose address space they are in).
    Sym {
        user: bool,
    },
    /// `args` of a tracepoint: only its fields can be used.
    TracepointArgs,
    /// What statements such as `printf` produce.
    Void,
    /// A user id kept as a u64 and printed as the user's name (`username`).
    Username,
    /// `buf()`: up to `size` bytes and how many of them there are, printed
    /// with non-printable bytes escaped.
    Buffer {
        size: u32,
    },
    /// An integer kept as it is and turned into text in user space.
    Text(TextKind),
    /// `ntop()`: an address family and up to 16 address bytes.
    Inet,
    /// `macaddr()`: six bytes printed `aa:bb:cc:dd:ee:ff`.
    MacAddr,
}

/// What a [`Type::Text`] integer means.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TextKind {
    /// `strerror(errno)`
    Strerror,
    /// `signal_name(sig)`
    SignalName,
    /// `syscall_name(nr)`
    SyscallName,
    /// `strftime(format, ns)`: boot-clock nanoseconds as wall-clock time.
    Timestamp { format: String },
    /// `cgroup_path(id)`: the cgroup's path, looked up when printed.
    CgroupPath,
}

impl Type {
    pub const U64: Type = Type::Int {
        bytes: 8,
        signed: false,
    };
    pub const I64: Type = Type::Int {
        bytes: 8,
        signed: true,
    };
    pub const U32: Type = Type::Int {
        bytes: 4,
        signed: false,
    };

    /// A pointer to `pointee` in the kernel (`user: false`) or user address space.
    pub fn ptr(pointee: Type, user: bool) -> Type {
        Type::Ptr {
            pointee: Box::new(pointee),
            user,
        }
    }

    /// `void *`: an address whose pointee is unknown.
    pub fn void_ptr(user: bool) -> Type {
        Type::ptr(Type::Void, user)
    }

    pub fn array(elem: Type, len: u32) -> Type {
        Type::Array {
            elem: Box::new(elem),
            len,
        }
    }

    /// Integers, booleans, enums and pointers: values that live in one register.
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Type::Int { .. }
                | Type::Bool
                | Type::Ptr { .. }
                | Type::Enum(_)
                | Type::ProbeName
                | Type::FuncName
                | Type::Username
                | Type::Text(_)
        )
    }

    pub fn is_integer_like(&self) -> bool {
        matches!(
            self,
            Type::Int { .. } | Type::Bool | Type::Ptr { .. } | Type::Enum(_)
        )
    }

    pub fn is_signed(&self) -> bool {
        matches!(self, Type::Int { signed: true, .. })
    }

    /// Bytes the value takes in kernel memory, as C lays it out: what a
    /// pointer to it steps over, what `sizeof` says.
    pub fn size(&self) -> u32 {
        match self {
            Type::Int { bytes, .. } => *bytes as u32,
            Type::Bool => 1,
            Type::Str { size } => *size,
            Type::Ptr { .. } | Type::ProbeName | Type::FuncName | Type::Username => 8,
            Type::Text(_) => 8,
            Type::Buffer { size } => *size,
            Type::Inet => 20,
            Type::MacAddr => 6,
            Type::Stack(_) | Type::Sym { .. } => self.storage_size(),
            Type::Tuple(_) | Type::NamedTuple { .. } => self.storage_size(),
            Type::Record(r) => r.size,
            Type::Array { elem, len } => elem.size() * len,
            Type::Enum(e) => e.bytes as u32,
            Type::Float { bytes } => *bytes as u32,
            Type::Void | Type::TracepointArgs => 0,
        }
    }

    /// C's alignment of the type, for laying out script-defined structs.
    pub fn align(&self) -> u32 {
        match self {
            Type::Record(r) => r.fields.iter().map(|f| f.ty.align()).max().unwrap_or(1),
            Type::Array { elem, .. } => elem.align(),
            Type::Str { .. } => 1,
            other => other.size().clamp(1, 8),
        }
    }

    /// How far `pointer + 1` moves: the pointee's size, and one byte for
    /// `void *` as in GNU C.
    pub fn stride(&self) -> u32 {
        match self {
            Type::Ptr { pointee, .. } => pointee.size().max(1),
            _ => 1,
        }
    }

    /// Bytes this value takes in a map key, map value, tuple or event record.
    /// Scalars always take 8 so that every field stays 8-byte aligned.
    pub fn storage_size(&self) -> u32 {
        match self {
            Type::Str { size } => size.next_multiple_of(8),
            Type::Tuple(fields) | Type::NamedTuple { fields, .. } => {
                fields.iter().map(Type::storage_size).sum()
            }
            // Records and arrays keep their C layout, padded to 8 bytes.
            Type::Record(_) | Type::Array { .. } => self.size().next_multiple_of(8),
            Type::Void | Type::TracepointArgs => 0,
            // [stack id][pid, probe index] for user stacks; [address][pid,
            // probe index][instruction pointer at the probe] for symbols.
            Type::Stack(StackType { user: true, .. }) => 16,
            Type::Sym { user: true } => 24,
            // [length][bytes]
            Type::Buffer { size } => 8 + size.next_multiple_of(8),
            // [address family][16 address bytes]
            Type::Inet => 24,
            _ => 8,
        }
    }

    /// The fields of a tuple or of a record (a named tuple), in storage order.
    pub fn tuple_fields(&self) -> Option<&[Type]> {
        match self {
            Type::Tuple(fields) | Type::NamedTuple { fields, .. } => Some(fields),
            _ => None,
        }
    }

    /// Byte offsets of a tuple's fields in storage.
    pub fn tuple_offsets(fields: &[Type]) -> Vec<u32> {
        let mut offset = 0;
        fields
            .iter()
            .map(|f| {
                let at = offset;
                offset += f.storage_size();
                at
            })
            .collect()
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Int { bytes, signed } => {
                write!(f, "{}int{}", if *signed { "" } else { "u" }, bytes * 8)
            }
            Type::Bool => f.write_str("bool"),
            Type::Str { size } => write!(f, "string[{size}]"),
            Type::Tuple(fields) => {
                f.write_str("(")?;
                for (i, t) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(")")
            }
            Type::NamedTuple { names, fields } => {
                f.write_str("(")?;
                for (i, (name, t)) in names.iter().zip(fields).enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{name}={t}")?;
                }
                f.write_str(")")
            }
            Type::Ptr { pointee, .. } => match **pointee {
                Type::Void => f.write_str("void *"),
                ref t @ Type::Ptr { .. } => write!(f, "{t}*"),
                ref t => write!(f, "{t} *"),
            },
            Type::Record(r) => f.write_str(&r.name),
            Type::Array { elem, len } => write!(f, "{elem}[{len}]"),
            Type::Enum(e) => f.write_str(&e.name),
            Type::Float { bytes: 4 } => f.write_str("float"),
            Type::Float { .. } => f.write_str("double"),
            Type::ProbeName => f.write_str("probe"),
            Type::FuncName => f.write_str("usym_t"),
            Type::Stack(st) => f.write_str(if st.user { "ustack" } else { "kstack" }),
            Type::Sym { user } => f.write_str(if *user { "usym_t" } else { "ksym_t" }),
            Type::TracepointArgs => f.write_str("args"),
            Type::Void => f.write_str("none"),
            Type::Username => f.write_str("username"),
            Type::Buffer { size } => write!(f, "buffer[{size}]"),
            Type::Text(kind) => f.write_str(match kind {
                TextKind::Strerror => "strerror_t",
                TextKind::SignalName => "signal_t",
                TextKind::SyscallName => "syscall_t",
                TextKind::Timestamp { .. } => "timestamp",
                TextKind::CgroupPath => "cgroup_path_t",
            }),
            Type::Inet => f.write_str("inet"),
            Type::MacAddr => f.write_str("macaddr_t"),
        }
    }
}

/// Which stack a `kstack`/`ustack` value holds and how it prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StackType {
    pub user: bool,
    pub mode: StackMode,
    /// Frames kept at most.
    pub limit: u32,
}

/// bpftrace's stack printing modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StackMode {
    /// `symbol+offset`, indented.
    Bpftrace,
    /// `\taddress symbol+offset (module)`, as perf prints.
    Perf,
    /// Addresses in hex.
    Raw,
    /// User stacks only: each frame as the build id of its file and the
    /// offset into it, unsymbolised (`BPF_F_STACK_BUILD_ID`).
    BuildId,
}

impl StackMode {
    pub fn from_name(name: &str) -> Option<StackMode> {
        match name {
            "bpftrace" => Some(StackMode::Bpftrace),
            "perf" => Some(StackMode::Perf),
            "raw" => Some(StackMode::Raw),
            "build_id" => Some(StackMode::BuildId),
            _ => None,
        }
    }
}

/// Frames a stack keeps unless the script says otherwise (the kernel's
/// default `perf_event_max_stack`).
pub const DEFAULT_STACK_LIMIT: u32 = 127;

/// How a map stores its values. Aggregations are per-CPU in the kernel and
/// summed in user space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapValue {
    /// Written by assignment.
    Plain(Type),
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
    TSeries(crate::sema::typed::TSeriesSpec),
}

impl MapValue {
    /// The name bpftrace uses in type errors.
    pub fn describe(&self) -> String {
        match self {
            MapValue::Plain(t) => t.to_string(),
            MapValue::Count => "count_t".into(),
            MapValue::Sum => "sum_t".into(),
            MapValue::Min => "min_t".into(),
            MapValue::Max => "max_t".into(),
            MapValue::Avg => "avg_t".into(),
            MapValue::Stats => "stats_t".into(),
            MapValue::Hist { .. } => "hist_t".into(),
            MapValue::LHist { .. } => "lhist_t".into(),
            MapValue::TSeries(_) => "tseries_t".into(),
        }
    }
}
