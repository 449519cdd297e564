//! The order in which a map's entries print, `print(@m, top)`'s cut and
//! `print(@m, top, div)`'s divisor: shared by the text and JSON formats.
//!
//! bpftrace sorts counts, sums and integer values by value, min/max by
//! value compared as unsigned, avg/stats by average, histograms by their
//! total count, time series by their latest interval, and anything else by
//! key. Entries that tie are put in key
//! order here so that output does not depend on kernel hash order.
use std::cmp::Ordering;

use crate::{AggValue, MapDump, Value};

pub(crate) type Entry = (Option<Vec<Value>>, AggValue);

/// The entries of `map` in print order, keeping only the last `top` when
/// `top` is non-zero.
pub(crate) fn ordered(map: &MapDump, top: Option<usize>) -> Vec<&Entry> {
    let mut entries: Vec<&Entry> = map.entries.iter().collect();
    let by_value = entries.first().is_some_and(|(_, v)| sort_key(v).is_some());
    entries.sort_by(|a, b| {
        let by_key = || compare_keys(a.0.as_deref(), b.0.as_deref());
        if by_value {
            compare_values(&a.1, &b.1).then_with(by_key)
        } else {
            by_key()
        }
    });
    if let Some(top) = top.filter(|&t| t > 0) {
        let cut = entries.len().saturating_sub(top);
        entries.drain(..cut);
    }
    entries
}

/// `print`'s divisor, where 0 (or none) means "do not divide".
pub(crate) fn divisor(div: Option<u64>) -> u64 {
    div.filter(|&d| d != 0).unwrap_or(1)
}

pub(crate) fn div_signed(value: i64, divisor: u64) -> i64 {
    (i128::from(value) / i128::from(divisor)) as i64
}

/// What an entry sorts by, or `None` for values that sort by key.
fn sort_key(value: &AggValue) -> Option<i128> {
    Some(match value {
        AggValue::Plain(Value::Int(v)) => i128::from(*v),
        AggValue::Plain(Value::UInt(v)) => i128::from(*v),
        AggValue::Plain(_) => return None,
        AggValue::Count(v) => i128::from(*v),
        AggValue::Sum(v) => i128::from(*v),
        // bpftrace compares min and max as unsigned, so negative values
        // sort after positive ones.
        AggValue::Min(v) | AggValue::Max(v) => i128::from(*v as u64),
        AggValue::Avg { total, count } | AggValue::Stats { total, count } => {
            i128::from(average(*total, *count))
        }
        AggValue::Hist { buckets, .. } | AggValue::LHist { buckets, .. } => {
            buckets.iter().map(|&c| i128::from(c)).sum()
        }
        // Least recently written first.
        AggValue::TSeries { latest, .. } => i128::from(*latest),
    })
}

fn compare_values(a: &AggValue, b: &AggValue) -> Ordering {
    match (sort_key(a), sort_key(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => Ordering::Equal,
    }
}

/// `total / count` as bpftrace computes it (0 for no samples, truncating
/// toward zero).
pub(crate) fn average(total: i64, count: u64) -> i64 {
    if count == 0 {
        0
    } else {
        (i128::from(total) / i128::from(count)) as i64
    }
}

/// Keys compare field by field: integers as signed 64-bit values (as
/// bpftrace does, so `u64::MAX` sorts first), strings bytewise; other
/// fields do not take part.
fn compare_keys(a: Option<&[Value]>, b: Option<&[Value]>) -> Ordering {
    let (a, b) = (
        key_fields(a.unwrap_or_default()),
        key_fields(b.unwrap_or_default()),
    );
    a.iter()
        .zip(b)
        .map(|(x, y)| compare_key_field(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// A single tuple key sorts like a multi-key map.
fn key_fields(key: &[Value]) -> &[Value] {
    match key {
        [Value::Tuple(fields)] => fields,
        _ => key,
    }
}

fn compare_key_field(a: &Value, b: &Value) -> Ordering {
    match (as_signed(a), as_signed(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => match (a, b) {
            (Value::Str(x), Value::Str(y)) => x.cmp(y),
            _ => Ordering::Equal,
        },
    }
}

fn as_signed(v: &Value) -> Option<i64> {
    match *v {
        Value::Int(i) => Some(i),
        Value::UInt(u) => Some(u as i64),
        Value::Bool(b) => Some(b as i64),
        _ => None,
    }
}
