//! Output formats: how values, maps, histograms and `printf` text look,
//! byte for byte as bpftrace v0.26.1 prints them, in text and in JSON
//! (NDJSON).
//!
//! This crate owns formatting only: the order entries print in, histogram
//! layout, `printf` conversions, and the text and JSON encodings. It
//! receives decoded values from the runtime and returns strings; it never
//! reads maps, decodes kernel memory or talks to the kernel, and it decides
//! nothing about where output goes.

mod gfp;
mod hist;
mod order;
mod tseries;
mod value;
pub use value::{AggValue, MapDump, TsPoint, Value};

pub mod json;
pub mod printf;
pub mod text;
