//! Decoded values, as the runtime hands them over for printing.

/// A value of the language, decoded from kernel memory.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Int(i64),
    UInt(u64),
    /// A NUL-terminated kernel string with the terminator and what follows removed.
    Str(Vec<u8>),
    Tuple(Vec<Value>),
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
    Avg { total: i64, count: u64 },
    /// `stats()`: count, average, total.
    Stats { total: i64, count: u64 },
    /// `hist(n)`: `buckets[i]` counts bucket `i` where index 0 is
    /// `(..., 0)`, 1 is `[0]`, 2 is `[1]` and index `i >= 3` is
    /// `[2^(i-2), 2^(i-1))`. Trailing zero buckets may be absent.
    Hist(Vec<u64>),
    /// `lhist(n, min, max, step)`: index 0 is `(..., min)`, index
    /// `1 + j` is `[min + j*step, min + (j+1)*step)` and the last index
    /// `1 + (max-min)/step` is `[max, ...)`.
    LHist {
        min: i64,
        max: i64,
        step: i64,
        buckets: Vec<u64>,
    },
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
