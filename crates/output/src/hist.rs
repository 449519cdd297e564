//! The bucket layout of `hist` and `lhist` values: which buckets print and
//! what bounds label them. Text and JSON render the same layout.
//!
//! As in bpftrace, each printed bucket is described by its upper bound (its
//! "label"); a bucket's lower bound is the previous bucket's label, and the
//! first printed bucket's lower bound is given separately. The last `lhist`
//! bucket has no upper bound.
use std::fmt::{self, Display, Formatter};

/// A bucket bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bound {
    /// A plain number. Two numbers one apart make a one-value bucket, which
    /// prints as `[n]` instead of `[n, n+1)`.
    Int(i64),
    /// A number written with a power-of-1024 suffix (`4K`), or a number from
    /// a layout that uses suffixes. `numeric` is the full value as JSON
    /// prints it, reinterpreted as unsigned like bpftrace does.
    Scaled {
        shown: i128,
        suffix: Option<char>,
        numeric: u64,
    },
}

impl Display for Bound {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self {
            Bound::Int(v) => write!(f, "{v}"),
            Bound::Scaled { shown, suffix, .. } => match suffix {
                Some(suffix) => write!(f, "{shown}{suffix}"),
                None => write!(f, "{shown}"),
            },
        }
    }
}

impl Bound {
    /// True when `self` and `next` enclose exactly one integer.
    pub(crate) fn single_value_before(self, next: Bound) -> bool {
        matches!((self, next), (Bound::Int(a), Bound::Int(b)) if a.checked_add(1) == Some(b))
    }
}

#[derive(Clone, Copy, Debug)]
enum Shape {
    Log2 { bits: u32 },
    Linear { min: i64, max: i64, step: i64 },
}

/// The printable part of one histogram: buckets from the first to the last
/// non-empty one.
pub(crate) struct Histogram<'a> {
    shape: Shape,
    buckets: &'a [u64],
    divisor: u64,
    /// First and last printed bucket indexes; `None` when all are empty.
    range: Option<(usize, usize)>,
}

impl<'a> Histogram<'a> {
    /// A log2 histogram; `divisor` divides its counts (as `print(@h, 0, d)`
    /// does), but which buckets print is decided before dividing.
    pub(crate) fn log2(bits: u32, buckets: &'a [u64], divisor: u64) -> Histogram<'a> {
        Histogram::new(Shape::Log2 { bits }, buckets, divisor)
    }

    /// A linear histogram; bpftrace never divides its counts.
    pub(crate) fn linear(min: i64, max: i64, step: i64, buckets: &'a [u64]) -> Histogram<'a> {
        Histogram::new(Shape::Linear { min, max, step }, buckets, 1)
    }

    fn new(shape: Shape, buckets: &'a [u64], divisor: u64) -> Histogram<'a> {
        let first = buckets.iter().position(|&c| c > 0);
        let last = buckets.iter().rposition(|&c| c > 0);
        Histogram {
            shape,
            buckets,
            divisor: divisor.max(1),
            range: first.zip(last),
        }
    }

    /// Indexes of the printed buckets.
    pub(crate) fn indexes(&self) -> std::ops::Range<usize> {
        match self.range {
            Some((first, last)) => first..last + 1,
            None => 0..0,
        }
    }

    pub(crate) fn count(&self, index: usize) -> u64 {
        self.buckets.get(index).map_or(0, |c| c / self.divisor)
    }

    /// The largest printed count, which gets a full-width bar.
    pub(crate) fn max_count(&self) -> u64 {
        self.indexes().map(|i| self.count(i)).max().unwrap_or(0)
    }

    /// The lower and upper bounds of printed bucket `index`: `None` for the
    /// open end of the underflow and overflow buckets.
    pub(crate) fn bounds(&self, index: usize) -> (Option<Bound>, Option<Bound>) {
        let lower = match self.range {
            Some((first, _)) if index == first => self.lower_bound(),
            _ => index.checked_sub(1).and_then(|i| self.upper_bound(i)),
        };
        (lower, self.upper_bound(index))
    }

    /// The lower bound of the first printed bucket; `None` when it is the
    /// open-ended underflow bucket.
    fn lower_bound(&self) -> Option<Bound> {
        let (first, _) = self.range?;
        let below = first.checked_sub(1)?;
        Some(match self.shape {
            Shape::Log2 { bits } => log2_label(below, bits),
            Shape::Linear { min, step, .. } => {
                linear_label(i128::from(min) + below as i128 * i128::from(step), step)
            }
        })
    }

    /// The upper bound of bucket `index`; `None` for the overflow bucket of
    /// a linear histogram.
    fn upper_bound(&self, index: usize) -> Option<Bound> {
        match self.shape {
            Shape::Log2 { bits } => Some(log2_label(index, bits)),
            Shape::Linear { min, max, step } => {
                let bound = i128::from(min) + index as i128 * i128::from(step);
                (bound <= i128::from(max)).then(|| linear_label(bound, step))
            }
        }
    }
}

/// The upper bound of log2 bucket `index`: the index itself while buckets
/// hold single values, then the start of the next sub-bucket, with a
/// K/M/G/T/P/E suffix for each factor of 1024.
fn log2_label(index: usize, bits: u32) -> Bound {
    let bits = bits.min(16);
    let per_power = 1u128 << bits;
    let index = index as u128;
    if index <= 2 * per_power {
        return Bound::Int(index as i64);
    }
    let part = index & (per_power - 1);
    let power = (index >> bits) - 1;
    let multiplier = per_power + part;
    let numeric = 1u128
        .checked_shl(power.min(127) as u32)
        .and_then(|p| p.checked_mul(multiplier))
        .unwrap_or(u128::MAX) as u64;
    let decade = (power / 10).min(6);
    let suffix = [
        None,
        Some('K'),
        Some('M'),
        Some('G'),
        Some('T'),
        Some('P'),
        Some('E'),
    ][decade as usize];
    let shown = (1i128 << (power - 10 * decade).min(100)).saturating_mul(multiplier as i128);
    Bound::Scaled {
        shown,
        suffix,
        numeric,
    }
}

/// A linear bucket bound. When the step is a multiple of 1024 every bound
/// may take a K or M suffix; otherwise all bounds are plain numbers.
fn linear_label(value: i128, step: i64) -> Bound {
    const KILO: i128 = 1024;
    const MEGA: i128 = 1024 * 1024;
    if step % 1024 != 0 {
        return Bound::Int(value as i64);
    }
    let (shown, suffix) = if value != 0 && value % MEGA == 0 {
        (value / MEGA, Some('M'))
    } else if value != 0 && value % KILO == 0 {
        (value / KILO, Some('K'))
    } else {
        (value, None)
    };
    Bound::Scaled {
        shown,
        suffix,
        numeric: value as i64 as u64,
    }
}
