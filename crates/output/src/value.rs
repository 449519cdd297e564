//! Decoded values, as the runtime hands them over for printing.

/// A value of the language, decoded from kernel memory.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    /// A signed integer; prints with a sign when negative.
    Int(i64),
    /// An unsigned integer; never prints a sign.
    UInt(u64),
    /// A NUL-terminated kernel string with the terminator and what follows
    /// removed (and bpftrace's `..` trailer already appended if it was cut).
    Str(Vec<u8>),
    /// `true` or `false`.
    Bool(bool),
    Tuple(Vec<Value>),
    /// A number shown as text: a pointer (`0x7f..`), an enum variant's
    /// name. Text output prints `text`; JSON prints `numeric`.
    Symbolic {
        text: String,
        numeric: u64,
    },
    /// A struct or union: its fields by name, in declaration order.
    Record(Vec<(String, Value)>),
    /// A C array: `[1,2,3]`.
    Array(Vec<Value>),
    /// A value with no representation (a float field): `null`.
    None,
    /// The bytes of a `buf()`: printed with printable ASCII kept and other
    /// bytes as `\xNN`.
    Buffer(Vec<u8>),
}

/// The value of one map entry, already summed over CPUs for per-CPU maps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AggValue {
    /// A plain assigned value (`@x = 5`, `@s = comm`).
    Plain(Value),
    Count(u64),
    Sum(i64),
    Min(i64),
    Max(i64),
    /// `avg()`: printed as `total / count` (integer division).
    Avg {
        total: i64,
        count: u64,
    },
    /// `stats()`: count, average, total.
    Stats {
        total: i64,
        count: u64,
    },
    /// `hist(n, bits)`: each power of two is split into `2^bits` buckets
    /// (`bits` is 0 for a plain `hist(n)`). With `N = 2^bits`, index 0
    /// counts negative values, indexes `1..=2N` count the single values
    /// `0..2N`, and after that each run of `N` indexes splits the next power
    /// of two into equal parts. For `bits = 0`: 0 is `(..., 0)`, 1 is `[0]`,
    /// 2 is `[1]`, and `i >= 3` is `[2^(i-2), 2^(i-1))`. Trailing zero
    /// buckets may be absent.
    Hist {
        bits: u32,
        buckets: Vec<u64>,
    },
    /// `lhist(n, min, max, step)`: index 0 is `(..., min)`, index
    /// `1 + j` is `[min + j*step, min + (j+1)*step)` and the last index
    /// `1 + (max-min)/step` is `[max, ...)`.
    LHist {
        min: i64,
        max: i64,
        step: i64,
        buckets: Vec<u64>,
    },
    /// `tseries()`: consecutive intervals, oldest first; `latest` is the
    /// newest epoch the entry holds (entries print from least to most
    /// recently written).
    TSeries {
        latest: u64,
        points: Vec<TsPoint>,
    },
}

/// One interval of a time series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsPoint {
    /// When the interval starts, in nanoseconds since the Unix epoch.
    pub start_ns: u64,
    /// That time of day as `HH:MM:SS` in the local time zone (the runtime
    /// knows the zone; this crate does not).
    pub local_time: String,
    /// The interval's value: `Int` or `UInt`; `None` when nothing was
    /// written in it.
    pub value: Option<Value>,
}

/// Everything needed to print one map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDump {
    /// The name with its `@`, e.g. `@` or `@start`.
    pub name: String,
    /// `None` keys for a map without keys (`@x = count()`); `Some(vec![k])`
    /// for one key; several values for a multi-key map `@x[a, b]`.
    pub entries: Vec<(Option<Vec<Value>>, AggValue)>,
}
