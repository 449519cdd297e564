//! The tracing language: lexer, parser, syntax tree with source spans,
//! diagnostics, and semantic analysis (types, map value kinds, probe
//! expansion).
//!
//! This crate does no kernel I/O. What it needs to know about the running
//! kernel (which tracepoints exist, what fields they have, and through
//! [`sema::KernelTypes`] which types its BTF describes) it asks through the
//! [`sema::ProbeEnv`] trait, so that it is testable without root.

pub mod ast;
pub mod config;
pub mod diag;
mod lexer;
mod parser;
pub mod sema;
pub mod sources;
pub mod span;
pub mod visit;

pub use diag::{render, render_warning, Diagnostic};
pub use parser::{parse, parse_at};
pub use span::Span;
