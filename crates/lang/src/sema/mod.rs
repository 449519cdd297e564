//! Semantic analysis: attach point expansion, types, map value kinds.

pub mod availability;
pub mod btf_types;
mod check;
pub mod ctypes;
pub mod env;
pub mod expand;
pub mod fake_btf;
pub mod fake_env;
pub mod kernel_funcs;
pub mod perf_events;
pub mod probes;
pub mod records;
pub mod scope;
pub mod tracepoint_format;
pub mod typed;
pub mod types;
mod user_probes;

pub use check::{analyse, Options, ProbeFilter};
pub use env::{KernelTypes, ProbeEnv};
