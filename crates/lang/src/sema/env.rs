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

    /// The kernel's types, or `None` when the kernel has no BTF. Asked only
    /// when a script needs a kernel type, so it may load them then.
    fn kernel_types(&self) -> Option<&dyn KernelTypes> {
        None
    }
}

/// The kernel's types (its BTF), as the type checker asks for them: by
/// name, only when a script names one. Records come back complete, with
/// records behind pointers as stubs (see [`super::records::Record`]).
pub trait KernelTypes {
    /// `struct task_struct`, `union ...`.
    fn record(&self, name: &str) -> Option<std::sync::Arc<super::records::Record>>;
    /// `enum Foo`.
    fn enum_def(&self, name: &str) -> Option<std::sync::Arc<super::records::EnumDef>>;
    /// The enum that has a variant called `name`, and its value.
    fn enum_variant(&self, name: &str) -> Option<(std::sync::Arc<super::records::EnumDef>, u64)>;
    /// A typedef or base type by name: `size_t`, `u32`, `pid_t`.
    fn type_named(&self, name: &str) -> Option<super::types::Type>;
    /// The arguments of raw tracepoint `name` (from `btf_trace_<name>`),
    /// without the leading context pointer.
    fn raw_tracepoint_args(&self, name: &str) -> Option<Vec<(String, super::types::Type)>>;
}
