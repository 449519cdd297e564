//! User-space binaries as the tracer sees them: finding an executable or a
//! shared library by name (as the dynamic linker would), reading its
//! function symbols, converting virtual addresses to the file offsets the
//! kernel's uprobes take, and decoding its USDT notes.
//!
//! Reading files only: no kernel I/O, no knowledge of the language or of
//! BPF. Errors are sentences naming the file.

pub mod archive;
pub mod boundary;
pub mod demangle;
pub mod dwarf;
mod file;
pub mod resolve;
mod units;
pub mod usdt;
mod usdt_args;

pub use file::{ElfFile, Symbol};
