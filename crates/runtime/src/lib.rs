//! The tracing session: takes an [`sonde_codegen::object::Object`] from the
//! code generator, creates its maps, loads and attaches its programs through
//! `sonde-sys`, runs BEGIN and END, decodes what the programs send and prints
//! it with `sonde-output`, and detaches everything at the end.
//!
//! Also [`KernelEnv`], the compiler's view of the kernel's tracepoints.
//!
//! This crate makes no system call itself (everything goes through
//! `sonde-sys`), compiles nothing and formats nothing.

mod actions;
mod attach;
mod bench;
mod btf_ids;
pub mod decode;
mod env;
mod formats;
mod kernel_btf;
mod loader;
mod options;
mod printer;
pub mod readout;
mod session;
mod symbols;
pub mod testing;
mod tseries;
mod user_env;
mod users;

pub use env::KernelEnv;
pub use loader::verify;
pub use options::{AttachedCallback, OutputFormat, OutputSink, RunOptions, StopHandle};
pub use session::{is_permission_error, Session};
