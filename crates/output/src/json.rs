//! bpftrace's `-f json` output: one JSON object per line (NDJSON). Every
//! function returns one object without the trailing newline.
//!
//! Spacing follows bpftrace: `", "` and `": "` inside objects, a bare `,`
//! between array elements.
use std::fmt::Write;

use crate::hist::{Bound, Histogram};
use crate::order::{self, average, div_signed};
use crate::text;
use crate::{AggValue, MapDump, Value};

/// `{"type": "map", "data": {"@x": 3}}`, with type `hist` for `hist` and
/// `lhist` maps and `stats` for `avg` and `stats` maps. Keyed maps nest an
/// object keyed by the key's text (`{"@m": {"2,y": 1}}`); `top` and `div`
/// act as in [`text::format_map`]. An empty map prints nothing: the
/// result is empty.
pub fn format_map(map: &MapDump, top: Option<usize>, div: Option<u64>) -> String {
    let entries = order::ordered(map, top);
    let Some((_, first)) = entries.first() else {
        return String::new();
    };
    let kind = match first {
        AggValue::Avg { .. } | AggValue::Stats { .. } => "stats",
        AggValue::Hist { .. } | AggValue::LHist { .. } => "hist",
        AggValue::TSeries { .. } => "tseries",
        _ => "map",
    };
    let divisor = order::divisor(div);
    let mut out = String::new();
    let _ = write!(out, r#"{{"type": "{kind}", "data": {{"#);
    write_string(&mut out, map.name.as_bytes());
    out.push_str(": ");
    match entries.as_slice() {
        [(None, value)] => write_agg(&mut out, value, divisor),
        _ => {
            let mut key_text = String::new();
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                key_text.clear();
                text::write_key(&mut key_text, key.as_deref().unwrap_or_default());
                // bpftrace drops every space from keys, not only the ones
                // its own tuple formatting adds.
                key_text.retain(|c| c != ' ');
                write_string(&mut out, key_text.as_bytes());
                out.push_str(": ");
                write_agg(&mut out, value, divisor);
            }
            out.push('}');
        }
    }
    out.push_str("}}");
    out
}

/// `{"type": "value", "data": ...}`: integers as numbers, strings as
/// strings, tuples as arrays.
pub fn format_value(v: &Value) -> String {
    let mut out = String::from(r#"{"type": "value", "data": "#);
    write_value(&mut out, v, 1);
    out.push('}');
    out
}

/// `{"type": "printf", "data": "..."}`
pub fn format_printf(text: &str) -> String {
    format_text("printf", text)
}

/// A message whose data is a string: `printf`, `time`, `cat`, `join` and
/// `system` output use types of those names.
pub fn format_text(kind: &str, text: &str) -> String {
    let mut out = String::from(r#"{"type": ""#);
    out.push_str(kind);
    out.push_str(r#"", "data": "#);
    write_string(&mut out, text.as_bytes());
    out.push('}');
    out
}

/// `{"type": "attached_probes", "count": N, "data": {"probes": N}}`
pub fn format_attached(n: usize) -> String {
    format!(r#"{{"type": "attached_probes", "count": {n}, "data": {{"probes": {n}}}}}"#)
}

/// `{"type": "benchmark_result", "data": {"NAME": {"average": NS, "iters": N}}}`:
/// one benchmark's average time per run in nanoseconds.
pub fn format_benchmark(name: &str, average_ns: u64, iters: u64) -> String {
    let mut out = String::from(r#"{"type": "benchmark_result", "data": {"#);
    write_string(&mut out, name.as_bytes());
    out.push_str(&format!(
        r#": {{"average": {average_ns}, "iters": {iters}}}}}}}"#
    ));
    out
}

/// `{"type": "lost_events", "count": N, "data": {"events": N}}`
pub fn format_lost_events(n: u64) -> String {
    format!(r#"{{"type": "lost_events", "count": {n}, "data": {{"events": {n}}}}}"#)
}

fn write_agg(out: &mut String, value: &AggValue, divisor: u64) {
    match *value {
        AggValue::Plain(ref v) => write_value(out, v, divisor),
        AggValue::Count(c) => write_u64(out, c / divisor),
        AggValue::Sum(v) | AggValue::Min(v) | AggValue::Max(v) => {
            write_i64(out, div_signed(v, divisor))
        }
        AggValue::Avg { total, count } => {
            write_i64(out, div_signed(average(total, count), divisor))
        }
        AggValue::Stats { total, count } => {
            out.push_str(r#"{"count": "#);
            write_u64(out, count);
            out.push_str(r#", "average": "#);
            write_i64(out, div_signed(average(total, count), divisor));
            out.push_str(r#", "total": "#);
            write_i64(out, total);
            out.push('}');
        }
        AggValue::Hist { bits, ref buckets } => {
            write_histogram(out, &Histogram::log2(bits, buckets, divisor))
        }
        AggValue::LHist {
            min,
            max,
            step,
            ref buckets,
        } => write_histogram(out, &Histogram::linear(min, max, step, buckets)),
        AggValue::TSeries { ref points, .. } => crate::tseries::write_json(out, points),
    }
}

/// `[{"max": -1, "count": 1},{"min": 0, "max": 0, "count": 1}, ...]`:
/// closed intervals, so `max` is one less than the bucket's upper bound.
fn write_histogram(out: &mut String, hist: &Histogram<'_>) {
    out.push('[');
    for (i, index) in hist.indexes().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        let (lower, upper) = hist.bounds(index);
        if let Some(lower) = lower {
            out.push_str(r#""min": "#);
            write_bound(out, lower);
            out.push_str(", ");
        }
        if let Some(upper) = upper {
            out.push_str(r#""max": "#);
            write_i64(out, one_less(upper));
            out.push_str(", ");
        }
        let _ = write!(out, r#""count": {}}}"#, hist.count(index));
    }
    out.push(']');
}

fn write_bound(out: &mut String, bound: Bound) {
    match bound {
        Bound::Int(v) => write_i64(out, v),
        Bound::Scaled { numeric, .. } => write_u64(out, numeric),
    }
}

fn one_less(bound: Bound) -> i64 {
    match bound {
        Bound::Int(v) => v.wrapping_sub(1),
        Bound::Scaled { numeric: 0, .. } => -1,
        Bound::Scaled { numeric, .. } => (numeric - 1) as i64,
    }
}

fn write_value(out: &mut String, v: &Value, divisor: u64) {
    match v {
        Value::Int(i) => write_i64(out, div_signed(*i, divisor)),
        Value::UInt(u) => write_u64(out, u / divisor),
        Value::Str(bytes) => write_string(out, bytes),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Tuple(fields) | Value::Array(fields) => {
            out.push('[');
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, field, divisor);
            }
            out.push(']');
        }
        // JSON readers get the number behind a pointer or an enum name.
        Value::Symbolic { numeric, .. } => write_u64(out, *numeric),
        Value::Record(fields) => {
            out.push('{');
            for (i, (name, field)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, name.as_bytes());
                out.push_str(": ");
                write_value(out, field, divisor);
            }
            out.push('}');
        }
        Value::None => out.push_str("null"),
        // bpftrace lists a buffer's bytes as (signed) chars.
        Value::Buffer(bytes) => {
            out.push('[');
            for (i, &b) in bytes.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{}", b as i8);
            }
            out.push(']');
        }
    }
}

/// Integers that a double cannot hold exactly print as strings, so that
/// JSON readers do not silently round them.
fn write_i64(out: &mut String, v: i64) {
    // 2^63 as a double: casts at or beyond it do not round-trip.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let f = v as f64;
    if (-LIMIT..LIMIT).contains(&f) && f as i64 == v {
        let _ = write!(out, "{v}");
    } else {
        let _ = write!(out, "\"{v}\"");
    }
}

fn write_u64(out: &mut String, v: u64) {
    // 2^64 as a double.
    const LIMIT: f64 = 18_446_744_073_709_551_616.0;
    let f = v as f64;
    if f < LIMIT && f as u64 == v {
        let _ = write!(out, "{v}");
    } else {
        let _ = write!(out, "\"{v}\"");
    }
}

/// A JSON string. Invalid UTF-8 becomes U+FFFD; control characters are
/// escaped as bpftrace escapes them.
/// `bytes` as a JSON string, quotes included.
pub fn write_json_string(out: &mut String, bytes: &[u8]) {
    write_string(out, bytes)
}

pub(crate) fn write_string(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
