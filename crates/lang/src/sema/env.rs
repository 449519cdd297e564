//! What semantic analysis needs to know about the running kernel, asked
//! through a trait so that the compiler stays free of kernel I/O and can be
//! tested with a fake kernel.

/// The kernel's event sources, as the compiler sees them. The runtime
/// implements this over tracefs; tests implement it over fixed tables.
pub trait ProbeEnv {
    /// Every tracepoint as `(category, name)`, e.g. `("syscalls",
    /// "sys_enter_openat")`, in tracefs' `available_events` order. An error
    /// is a sentence saying why the list cannot be read.
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String>;

    /// The text of `events/<category>/<name>/format`, or `None` when the
    /// tracepoint does not exist.
    fn tracepoint_format(&self, category: &str, name: &str) -> Option<String>;
}
