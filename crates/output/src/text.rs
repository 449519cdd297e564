//! bpftrace's text output.
use std::fmt::Write;

use crate::hist::{Bound, Histogram};
use crate::order::{self, average, div_signed};
use crate::{AggValue, MapDump, Value};

/// Histogram bars are scaled so that the largest count fills this width.
const BAR_WIDTH: usize = 52;
const BAR: &str = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";
const BAR_PADDING: &str = "                                                    ";

/// A map as `print(@m)` and the exit dump print it, sorted as bpftrace sorts
/// it. `top` keeps only the last `top` entries of that order (0 keeps all);
/// `div` divides every value, the average of `avg`/`stats` and the counts
/// of log2 histograms (bpftrace leaves `lhist` counts and the total and
/// count of `stats` alone). An empty map prints nothing.
///
/// Scalars print as `@name: value`, keyed entries as `@name[k1, k2]: value`
/// with string keys raw, and histograms as a `@name:` (or `@name[key]:`)
/// header, one line per bucket and an empty line.
pub fn format_map(map: &MapDump, top: Option<usize>, div: Option<u64>) -> String {
    let divisor = order::divisor(div);
    let mut out = String::new();
    let mut label = String::new();
    for (key, value) in order::ordered(map, top) {
        out.push_str(&map.name);
        if let Some(key) = key {
            out.push('[');
            write_key(&mut out, key);
            out.push(']');
        }
        match value {
            AggValue::Hist { bits, buckets } => {
                out.push_str(":\n");
                write_histogram(
                    &mut out,
                    &mut label,
                    &Histogram::log2(*bits, buckets, divisor),
                );
            }
            &AggValue::LHist {
                min,
                max,
                step,
                ref buckets,
            } => {
                out.push_str(":\n");
                write_histogram(
                    &mut out,
                    &mut label,
                    &Histogram::linear(min, max, step, buckets),
                );
            }
            AggValue::TSeries { points, .. } => {
                out.push_str(":\n");
                crate::tseries::write_text(&mut out, points);
            }
            _ => {
                out.push_str(": ");
                write_scalar(&mut out, value, divisor);
            }
        }
        out.push('\n');
    }
    out
}

/// `print(value)`: the value and a newline.
pub fn format_value_line(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 1);
    out.push('\n');
    out
}

/// A value as it appears inside map keys and tuples: strings raw, tuples as
/// `(a, b)`, buffers with non-printable bytes as `\xNN`.
pub fn format_value(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 1);
    out
}

/// The start-up line bpftrace writes to stderr unless `-q` is given.
pub fn format_attached(probes: usize) -> String {
    let noun = if probes == 1 { "probe" } else { "probes" };
    format!("Attached {probes} {noun}\n")
}

/// One row of the benchmark table, `names[index]`'s, preceded by the
/// header when it is the first: the name column is as wide as the longest
/// name (at least 40) plus one, the time column 15.
pub fn format_benchmark(names: &[&str], index: usize, average_ns: u64, iters: u64) -> String {
    let width = names.iter().map(|n| n.len()).fold(40, usize::max) + 1;
    let mut out = String::new();
    if index == 0 {
        out.push_str(&format!(
            "{:<width$}{:<15}Iterations\n",
            "Benchmark", "Time(ns)"
        ));
        out.push_str(&"-".repeat(width + 15 + "Iterations".len()));
        out.push('\n');
    }
    let name = names.get(index).copied().unwrap_or("");
    out.push_str(&format!("{name:<width$}{average_ns:<15}{iters}\n"));
    out
}

/// The stderr line for events the kernel dropped from the output buffer.
pub fn format_lost_events(lost: u64) -> String {
    format!("Lost {lost} events\n")
}

/// A value that fits on the map entry's line.
fn write_scalar(out: &mut String, value: &AggValue, divisor: u64) {
    match *value {
        AggValue::Plain(ref v) => write_value(out, v, divisor),
        AggValue::Count(c) => push_display(out, c / divisor),
        AggValue::Sum(v) | AggValue::Min(v) | AggValue::Max(v) => {
            push_display(out, div_signed(v, divisor))
        }
        AggValue::Avg { total, count } => {
            push_display(out, div_signed(average(total, count), divisor))
        }
        AggValue::Stats { total, count } => {
            let average = div_signed(average(total, count), divisor);
            let _ = write!(
                out,
                "{{ .count = {count}, .average = {average}, .total = {total} }}"
            );
        }
        // Histograms take lines of their own; `format_map` handles them.
        AggValue::Hist { .. } | AggValue::LHist { .. } | AggValue::TSeries { .. } => {}
    }
}

fn push_display(out: &mut String, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

/// One bucket per line, from the first to the last non-empty bucket, and
/// the empty line that ends every histogram.
fn write_histogram(out: &mut String, label: &mut String, hist: &Histogram<'_>) {
    let max = hist.max_count();
    for index in hist.indexes() {
        let count = hist.count(index);
        label.clear();
        let (lower, upper) = hist.bounds(index);
        write_bucket_label(label, lower, upper);
        let _ = write!(out, "{label:<16}{count:>8} |");
        let filled = bar_length(count, max);
        out.push_str(&BAR[..filled]);
        out.push_str(&BAR_PADDING[filled..]);
        out.push_str("|\n");
    }
}

fn write_bucket_label(out: &mut String, lower: Option<Bound>, upper: Option<Bound>) {
    let _ = match (lower, upper) {
        (None, Some(upper)) => write!(out, "(..., {upper})"),
        (None, None) => write!(out, "(..., ...)"),
        (Some(lower), None) => write!(out, "[{lower}, ...)"),
        (Some(lower), Some(upper)) if lower.single_value_before(upper) => {
            write!(out, "[{lower}]")
        }
        (Some(lower), Some(upper)) => write!(out, "[{lower}, {upper})"),
    };
}

/// bpftrace scales bars in single precision and truncates; doing the same
/// keeps bar lengths identical at the rounding edges.
fn bar_length(count: u64, max: u64) -> usize {
    if max == 0 {
        return 0;
    }
    let scaled = (count as f32 / max as f32) * BAR_WIDTH as f32;
    (scaled as usize).min(BAR_WIDTH)
}

/// A map key as it prints between the brackets: the fields of a multi-key
/// (or tuple) key separated by `, ` without the tuple's parentheses.
pub(crate) fn write_key(out: &mut String, key: &[Value]) {
    let start = out.len();
    match key {
        [single] => {
            write_value(out, single, 1);
            // bpftrace strips the parentheses off the key's text, whatever
            // the key is: a string key `(x)` prints as `x` too.
            let written = &out[start..];
            if written.len() >= 2 && written.starts_with('(') && written.ends_with(')') {
                out.pop();
                out.remove(start);
            }
        }
        fields => write_joined(out, fields),
    }
}

pub(crate) fn write_value(out: &mut String, v: &Value, divisor: u64) {
    match v {
        Value::Int(i) => push_display(out, div_signed(*i, divisor)),
        Value::UInt(u) => push_display(out, u / divisor),
        Value::Str(bytes) => out.push_str(&String::from_utf8_lossy(bytes)),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Tuple(fields) => {
            out.push('(');
            write_joined_div(out, fields, divisor);
            out.push(')');
        }
        Value::Buffer(bytes) => write_buffer(out, bytes, BufferStyle::Printable),
        Value::Symbolic { text, .. } => out.push_str(text),
        Value::Record(fields) if fields.is_empty() => out.push_str("{}"),
        Value::Record(fields) => {
            out.push_str("{ ");
            for (i, (name, field)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push('.');
                out.push_str(name);
                out.push_str(" = ");
                write_value(out, field, divisor);
            }
            out.push_str(" }");
        }
        // Arrays have no spaces between elements, unlike tuples.
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, divisor);
            }
            out.push(']');
        }
        Value::None => out.push_str("null"),
    }
}

fn write_joined(out: &mut String, fields: &[Value]) {
    write_joined_div(out, fields, 1);
}

fn write_joined_div(out: &mut String, fields: &[Value], divisor: u64) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_value(out, field, divisor);
    }
}

/// How buffer bytes print (`%r`, `%rx`, `%rh`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BufferStyle {
    /// Printable ASCII as is, other bytes as `\xNN`.
    Printable,
    /// Every byte as `\xNN`.
    Escaped,
    /// Every byte as two hex digits, separated by spaces.
    Hex,
}

pub(crate) fn write_buffer(out: &mut String, bytes: &[u8], style: BufferStyle) {
    for (i, &b) in bytes.iter().enumerate() {
        let _ = match style {
            BufferStyle::Printable if (0x20..=0x7e).contains(&b) => {
                out.push(char::from(b));
                Ok(())
            }
            BufferStyle::Printable | BufferStyle::Escaped => write!(out, "\\x{b:02x}"),
            BufferStyle::Hex if i + 1 == bytes.len() => write!(out, "{b:02x}"),
            BufferStyle::Hex => write!(out, "{b:02x} "),
        };
    }
}
