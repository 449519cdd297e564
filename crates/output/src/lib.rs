//! Output formats: how values, maps, histograms and `printf` text look,
//! byte for byte as bpftrace prints them, in text and in JSON (NDJSON).
//!
//! This crate owns formatting only. It receives decoded values from the
//! runtime and returns strings; it never reads maps or talks to the kernel.

mod value;
pub use value::{AggValue, MapDump, Value};

pub mod json;
pub mod printf;
pub mod text;
