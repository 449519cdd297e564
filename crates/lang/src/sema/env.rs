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

    /// The kernel functions kprobes and fentry can name, as `(module,
    /// name)` with module `vmlinux` for the core kernel. An error is a
    /// sentence saying why the list cannot be read.
    fn kernel_functions(&self) -> Result<Vec<(String, String)>, String> {
        Err("this environment lists no kernel functions".into())
    }

    /// Why this kernel cannot provide `facility` (a sentence naming what is
    /// missing), or `None` when it can. Asked only for facilities a script
    /// uses, at most once each.
    fn missing(&self, facility: Facility) -> Option<String> {
        let _ = facility;
        None
    }

    // User-space files: every method has a default saying the feature is
    // missing, so an environment implements only what it has.

    /// Functions of the files `query` names whose names match the glob
    /// `pattern`; `demangled` matches C++/Rust names in their demangled
    /// form. Sorted by path then name.
    fn user_functions(
        &self,
        query: UserQuery<'_>,
        pattern: &str,
        demangled: bool,
    ) -> Result<Vec<UserSite>, String> {
        let _ = (query, pattern, demangled);
        Err("user-space probes are not available here".into())
    }

    /// The id of the cgroup v2 directory at `path` (absolute, or under the
    /// cgroup v2 mount), for `cgroupid`.
    fn cgroup_id(&self, path: &str) -> Option<u64> {
        let _ = path;
        None
    }

    /// The address of kernel symbol `name` (for `kaddr`), if it has one.
    fn kernel_symbol(&self, name: &str) -> Option<u64> {
        let _ = name;
        None
    }

    /// Symbol `name` (a function or a variable) of the file at `path`, for
    /// `uaddr`.
    fn user_symbol(&self, path: &str, name: &str) -> Option<UserSymbol> {
        let _ = (path, name);
        None
    }

    /// The parameters of function `func` of the file at `path`, from its
    /// debug info, for typed `args` of uprobes.
    fn user_function_args(&self, path: &str, func: &str) -> Option<Vec<UserArg>> {
        let _ = (path, func);
        None
    }

    /// Record `name` (`struct Foo`) as the debug info of the file at
    /// `path` describes it.
    fn user_record(
        &self,
        path: &str,
        name: &str,
    ) -> Option<std::sync::Arc<super::records::Record>> {
        let _ = (path, name);
        None
    }

    /// Whether an instruction starts at file offset `offset` of the file at
    /// `path`: `Some(false)` inside one, `None` when that cannot be told.
    fn user_starts_instruction(&self, path: &str, offset: u64) -> Option<bool> {
        let _ = (path, offset);
        None
    }

    /// The virtual address of file offset `offset` of the file at `path`.
    fn user_offset_vaddr(&self, path: &str, offset: u64) -> Option<u64> {
        let _ = (path, offset);
        None
    }

    /// The site of `line` of source file `file` (`uprobe:BIN@file.c:42`)
    /// in the one file `query` names.
    fn user_source_line(
        &self,
        query: UserQuery<'_>,
        file: &str,
        line: u64,
    ) -> Result<UserSite, String> {
        let _ = (query, file, line);
        Err("source line probes are not available here".into())
    }

    /// The site at virtual address `addr` of the one file `query` names.
    fn user_address(&self, query: UserQuery<'_>, addr: u64) -> Result<UserSite, String> {
        let _ = (query, addr);
        Err("user-space probes are not available here".into())
    }

    /// The site at file offset `offset` of the one file `query` names when
    /// that file is not an ELF file (a flat binary, mapped executable by a
    /// process): `--unsafe` attaches there blindly.
    fn user_raw_site(&self, query: UserQuery<'_>, offset: u64) -> Result<UserSite, String> {
        let _ = (query, offset);
        Err("user-space probes are not available here".into())
    }

    /// USDT probe sites of the files `query` names whose provider and name
    /// match the globs (an empty provider matches every provider).
    fn usdt_sites(
        &self,
        query: UserQuery<'_>,
        provider: &str,
        name: &str,
    ) -> Result<Vec<UsdtSite>, String> {
        let _ = (query, provider, name);
        Err("USDT probes are not available here".into())
    }
}

/// A place in a user-space file where a uprobe can attach.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserSite {
    /// The file as the probe's name shows it (as written, or resolved when
    /// the probe gave a library name or a wildcard).
    pub path: String,
    /// The file as this process opens it to attach.
    pub attach_path: String,
    /// The function, as `func` shows it (demangled, with its parameters,
    /// when the probe asked for demangled names).
    pub func: String,
    /// The symbol as the file stores it (mangled for C++ and Rust); what a
    /// demangling probe's name shows, as in bpftrace.
    pub symbol: String,
    /// Offset of the site in the file (what the kernel's uprobe API takes).
    pub offset: u64,
    /// The function's size in bytes (0 when the symbol does not say).
    pub size: u64,
}

/// A parameter of a user-space function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserArg {
    pub name: String,
    /// The type as C spells it (`struct Foo*`), for listings.
    pub c_type: String,
    pub ty: super::types::Type,
}

/// A symbol of a user-space file, for `uaddr`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserSymbol {
    /// Its virtual address in the file's layout.
    pub vaddr: u64,
    pub size: u64,
    /// True when the file is position-independent: the address moves with
    /// where the file is loaded.
    pub relocatable: bool,
}

/// One site of a USDT probe.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UsdtSite {
    pub path: String,
    pub attach_path: String,
    pub provider: String,
    pub name: String,
    /// File offset of the probe site.
    pub offset: u64,
    /// File offset of the probe's semaphore, 0 without one; the kernel
    /// counts attached probes there (uprobe `ref_ctr_offset`).
    pub semaphore_offset: u64,
    pub args: Vec<UsdtArg>,
}

/// Where a USDT argument is at the probe site, and how wide it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UsdtArg {
    pub size: u8,
    pub signed: bool,
    pub location: UsdtArgLocation,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UsdtArgLocation {
    Const(i64),
    /// A register by its kernel `pt_regs` field name (`di`, `r8`; `x0` on arm64).
    Reg(String),
    /// Bits 8 to 15 of a register (x86's `%ah`).
    RegHigh(String),
    /// User memory at `base + index * scale + offset`, either register
    /// absent or both.
    Mem {
        base: Option<String>,
        index: Option<(String, u8)>,
        offset: i64,
    },
    /// User memory at a symbol of the probed file, `from_site` bytes from
    /// the probe site: it moves with the file, as the site does.
    Symbol {
        name: String,
        from_site: i64,
    },
    /// A spec this tracer cannot read (the word as written): an error
    /// where the argument is used, not before.
    Unsupported(String),
}

/// What names a user-space probe's file and function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserQuery<'a> {
    /// A path, a library or executable name, or a wildcard (`*` with a
    /// pid means every file the process maps).
    pub target: &'a str,
    /// `-p PID`: the process whose files and namespaces count.
    pub pid: Option<u32>,
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
    /// The kernel's raw tracepoints as `(module, name)`, `vmlinux` for the
    /// core kernel's, from the `btf_trace_<name>` typedefs each declares.
    /// Empty when the types say nothing of them.
    fn raw_tracepoints(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// The kernel's BPF iterators (`task`, `bpf_map`, `tcp`, ...): each has
    /// a `struct bpf_iter__<name>` context. Empty when the types say
    /// nothing of them.
    fn iterators(&self) -> Vec<String> {
        Vec::new()
    }
    /// The C definition of `struct X`, `union X` or `enum X`, for listings.
    fn c_definition(&self, name: &str) -> Option<String>;
    /// The prototype of kernel function `name`: of `module`'s BTF when one
    /// is given (`vmlinux` being the core kernel's), else the first BTF
    /// that has it. For kprobe and fentry/fexit `args` and fexit `retval`.
    fn function_prototype(&self, module: Option<&str>, name: &str) -> Option<FunctionProto> {
        let _ = (module, name);
        None
    }
    /// The vmlinux BTF id of the kernel's global variable `name`
    /// (`percpu_kaddr`).
    fn kernel_var(&self, name: &str) -> Option<u32> {
        let _ = name;
        None
    }
    /// The prototype of kernel function `name` written as C, for listings
    /// (`sonde -lv fentry:vfs_read`); `module` as for
    /// [`function_prototype`](Self::function_prototype).
    fn function_signature(&self, module: Option<&str>, name: &str) -> Option<CSignature> {
        let _ = (module, name);
        None
    }
}

/// A kernel function's prototype as C: `(C type, name)` of each parameter
/// (`("struct file *", "file")`) and the return type, `None` for `void`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSignature {
    pub params: Vec<(String, String)>,
    pub ret: Option<String>,
}

/// A kernel function's parameters and return type, from its BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionProto {
    /// `(name, type)` in order; a parameter of up to 8 bytes takes one
    /// argument slot (a register, a u64 of a tracing context), a larger
    /// one (a struct passed by value) as many 8-byte slots as it spans.
    pub params: Vec<(String, super::types::Type)>,
    /// `Type::Void` for a function that returns nothing.
    pub ret: super::types::Type,
}

impl FunctionProto {
    /// The argument slot parameter `index` starts at.
    pub fn slot(&self, index: usize) -> usize {
        self.params[..index].iter().map(|(_, ty)| slots(ty)).sum()
    }

    /// Slots taken by all the parameters: where fexit finds the return
    /// value.
    pub fn slots(&self) -> usize {
        self.slot(self.params.len())
    }
}

fn slots(ty: &super::types::Type) -> usize {
    (ty.size() as usize).div_ceil(8).max(1)
}

/// Kernel facilities some attach points need beyond BPF and perf events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Facility {
    /// kprobes and kretprobes (`CONFIG_KPROBES`, the kprobe PMU).
    Kprobes,
    /// fentry/fexit: `BPF_PROG_TYPE_TRACING` programs on BPF trampolines.
    Trampolines,
    /// `iter:` probes: `BPF_PROG_TYPE_TRACING` iterator programs.
    Iterators,
    /// `hardware:` events: a CPU performance monitoring unit.
    HardwarePmu,
    /// `watchpoint:`: the hardware breakpoint PMU.
    Breakpoints,
}
