//! bpftrace's text output.
use crate::{MapDump, Value};

/// A map as `print(@m)` and the exit dump print it, sorted as bpftrace sorts
/// it. `top` keeps only the last `top` entries of that order; `div` divides
/// every value (not histogram counts). An empty map prints nothing.
pub fn format_map(map: &MapDump, top: Option<usize>, div: Option<u64>) -> String {
    let _ = (map, top, div);
    todo!("output helper")
}

/// `print(value)`: the value and a newline.
pub fn format_value_line(v: &Value) -> String {
    let _ = v;
    todo!("output helper")
}

/// A value as it appears inside map keys and tuples: strings raw, tuples as `(a, b)`.
pub fn format_value(v: &Value) -> String {
    let _ = v;
    todo!("output helper")
}
