//! [`KernelEnv`]: what the compiler asks about the kernel, answered from
//! tracefs, read lazily and remembered.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use sonde_lang::sema::env::{
    Facility, KernelTypes, ProbeEnv, UsdtSite, UserArg, UserQuery, UserSite, UserSymbol,
};
use sonde_sys::{AttachType, Tracefs};

use crate::kernel_btf::KernelBtf;
use crate::user_env::UserFiles;

/// The running kernel's tracepoints. Nothing is read until asked; each
/// file is read at most once.
#[derive(Debug, Default)]
pub struct KernelEnv {
    /// `None` until first use; then the process-wide tracefs or a fixed one.
    tracefs: OnceCell<Result<Tracefs, String>>,
    fixed_root: Option<Tracefs>,
    events: OnceCell<Result<Vec<(String, String)>, String>>,
    formats: RefCell<HashMap<(String, String), Option<String>>>,
    /// The kernel's BTF, read the first time a script needs a kernel type.
    btf: OnceCell<Option<KernelBtf>>,
    user: UserFiles,
    /// `/proc/kallsyms` by name, read when `kaddr` first asks.
    kallsyms: OnceCell<HashMap<String, u64>>,
    functions: OnceCell<Result<Vec<(String, String)>, String>>,
    facilities: RefCell<HashMap<Facility, Option<String>>>,
}

/// Kernel symbols by name; the first address of a name wins. Empty when
/// the file cannot be read or shows zeros (no privilege).
fn read_kallsyms() -> HashMap<String, u64> {
    let Ok(text) = std::fs::read_to_string("/proc/kallsyms") else {
        return HashMap::new();
    };
    let mut out = HashMap::new();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let (Some(addr), Some(_kind), Some(name)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if let Ok(addr) = u64::from_str_radix(addr, 16) {
            if addr != 0 {
                out.entry(name.to_string()).or_insert(addr);
            }
        }
    }
    out
}

/// Where the kernel publishes its own BTF (`vmlinux`) and its modules'.
const BTF_DIR: &str = "/sys/kernel/btf";

impl KernelEnv {
    /// Over the system's tracefs (found or mounted on first use).
    pub fn new() -> KernelEnv {
        KernelEnv::default()
    }

    /// Over a tracefs at a known place (tests, unusual mounts).
    pub fn with_tracefs(tracefs: Tracefs) -> KernelEnv {
        KernelEnv {
            fixed_root: Some(tracefs),
            ..KernelEnv::default()
        }
    }

    /// Directories searched first for separate debug files (`--debuginfo`).
    pub fn set_debuginfo_dirs(&self, dirs: Vec<std::path::PathBuf>) {
        *self.user.debug_dirs.borrow_mut() = dirs;
    }

    fn tracefs(&self) -> Result<&Tracefs, String> {
        self.tracefs
            .get_or_init(|| match &self.fixed_root {
                Some(fixed) => Ok(fixed.clone()),
                None => Tracefs::get().cloned().map_err(|e| e.to_string()),
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl ProbeEnv for KernelEnv {
    fn kernel_types(&self) -> Option<&dyn KernelTypes> {
        self.btf
            .get_or_init(|| KernelBtf::open(std::path::Path::new(BTF_DIR)))
            .as_ref()
            .map(|t| t as &dyn KernelTypes)
    }

    fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
        self.events
            .get_or_init(|| self.tracefs()?.tracepoints().map_err(|e| e.to_string()))
            .clone()
    }

    fn tracepoint_format(&self, category: &str, name: &str) -> Option<String> {
        let key = (category.to_string(), name.to_string());
        if let Some(cached) = self.formats.borrow().get(&key) {
            return cached.clone();
        }
        let format = self
            .tracefs()
            .ok()?
            .event_format(category, name)
            .ok()
            .flatten();
        self.formats.borrow_mut().insert(key, format.clone());
        format
    }

    fn user_functions(
        &self,
        query: UserQuery<'_>,
        pattern: &str,
        demangled: bool,
    ) -> Result<Vec<UserSite>, String> {
        self.user.functions(query, pattern, demangled)
    }

    fn cgroup_id(&self, path: &str) -> Option<u64> {
        use std::os::unix::fs::MetadataExt;
        let full = if path.starts_with('/') {
            std::path::PathBuf::from(path)
        } else {
            std::path::Path::new("/sys/fs/cgroup").join(path)
        };
        // A cgroup's id is the inode number of its directory.
        Some(std::fs::metadata(full).ok()?.ino())
    }

    fn kernel_symbol(&self, name: &str) -> Option<u64> {
        self.kallsyms.get_or_init(read_kallsyms).get(name).copied()
    }

    fn user_symbol(&self, path: &str, name: &str) -> Option<UserSymbol> {
        self.user.symbol(path, name)
    }

    fn user_function_args(&self, path: &str, func: &str) -> Option<Vec<UserArg>> {
        self.user.function_args(path, func)
    }

    fn user_record(
        &self,
        path: &str,
        name: &str,
    ) -> Option<std::sync::Arc<sonde_lang::sema::records::Record>> {
        self.user.record(path, name)
    }

    fn user_starts_instruction(&self, path: &str, offset: u64) -> Option<bool> {
        self.user.starts_instruction(path, offset)
    }

    fn user_offset_vaddr(&self, path: &str, offset: u64) -> Option<u64> {
        self.user.offset_vaddr(path, offset)
    }

    fn user_source_line(
        &self,
        query: UserQuery<'_>,
        file: &str,
        line: u64,
    ) -> Result<UserSite, String> {
        self.user.source_line(query, file, line)
    }

    fn user_address(&self, query: UserQuery<'_>, addr: u64) -> Result<UserSite, String> {
        self.user.address(query, addr)
    }

    fn user_raw_site(&self, query: UserQuery<'_>, offset: u64) -> Result<UserSite, String> {
        self.user.raw_site(query, offset)
    }

    fn usdt_sites(
        &self,
        query: UserQuery<'_>,
        provider: &str,
        name: &str,
    ) -> Result<Vec<UsdtSite>, String> {
        self.user.usdt(query, provider, name)
    }

    fn kernel_functions(&self) -> Result<Vec<(String, String)>, String> {
        self.functions
            .get_or_init(|| sonde_sys::kfuncs::kernel_functions().map_err(|e| e.to_string()))
            .clone()
    }

    /// Probed on the running kernel the first time each is asked: a path
    /// check, one perf_event_open, or one program load.
    fn missing(&self, facility: Facility) -> Option<String> {
        if let Some(known) = self.facilities.borrow().get(&facility) {
            return known.clone();
        }
        use sonde_sys::features;
        let answer = match facility {
            Facility::Kprobes => features::kprobes_missing(),
            Facility::Trampolines => features::tracing_refused(AttachType::TraceFentry),
            Facility::Iterators => features::tracing_refused(AttachType::TraceIter),
            Facility::HardwarePmu => features::hardware_events_missing(),
            Facility::Breakpoints => features::breakpoints_missing(),
        };
        self.facilities
            .borrow_mut()
            .insert(facility, answer.clone());
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_tracefs(tag: &str) -> std::path::PathBuf {
        let root = std::env::temp_dir().join(format!("sonde-env-{tag}-{}", std::process::id()));
        let dir = root.join("events/sched/sched_switch");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            root.join("available_events"),
            "sched:sched_switch\nsyscalls:sys_enter_read\n",
        )
        .unwrap();
        std::fs::write(dir.join("format"), "name: sched_switch\nID: 7\n").unwrap();
        root
    }

    #[test]
    fn reads_events_and_formats_from_tracefs_and_caches_them() {
        let root = fake_tracefs("cache");
        let env = KernelEnv::with_tracefs(Tracefs::at(&root));
        assert_eq!(
            env.tracepoints().unwrap(),
            vec![
                ("sched".to_string(), "sched_switch".to_string()),
                ("syscalls".to_string(), "sys_enter_read".to_string())
            ]
        );
        assert_eq!(
            env.tracepoint_format("sched", "sched_switch").as_deref(),
            Some("name: sched_switch\nID: 7\n")
        );
        assert_eq!(env.tracepoint_format("syscalls", "sys_enter_read"), None);
        // Served from the cache once read, even after the files go.
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(env.tracepoints().unwrap().len(), 2);
        assert_eq!(
            env.tracepoint_format("sched", "sched_switch").as_deref(),
            Some("name: sched_switch\nID: 7\n")
        );
    }

    #[test]
    fn a_missing_tracefs_is_a_sentence() {
        let env = KernelEnv::with_tracefs(Tracefs::at("/nonexistent/tracing"));
        assert_eq!(
            env.tracepoints().unwrap_err(),
            "read /nonexistent/tracing/available_events: No such file or directory"
        );
    }
}
