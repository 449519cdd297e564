//! bpftrace's `-f json` output: one JSON object per line.
use crate::{MapDump, Value};

/// `{"type": "map", "data": {...}}` (or `hist`/`stats` as bpftrace types them), no trailing newline.
pub fn format_map(map: &MapDump, top: Option<usize>, div: Option<u64>) -> String {
    let _ = (map, top, div);
    todo!("output helper")
}

/// `{"type": "value", "data": ...}`
pub fn format_value(v: &Value) -> String {
    let _ = v;
    todo!("output helper")
}

/// `{"type": "printf", "data": "..."}`
pub fn format_printf(text: &str) -> String {
    let _ = text;
    todo!("output helper")
}

/// `{"type": "attached_probes", "data": {"probes": N}}`
pub fn format_attached(n: usize) -> String {
    let _ = n;
    todo!("output helper")
}
