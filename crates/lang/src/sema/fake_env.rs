//! A fixed table of tracepoints standing in for the kernel, so that the
//! compiler can be tested (and fuzzed) without root or tracefs.

use super::btf_types::BtfTypes;
use super::env::{Facility, KernelTypes, ProbeEnv};

/// A handful of real tracepoints with their real formats from a 6.x kernel,
/// a few kernel functions, and every facility present unless listed in
/// `missing`.
pub struct FakeEnv {
    pub tracepoints: Vec<(String, String, String)>,
    /// `(module, function)`.
    pub functions: Vec<(String, String)>,
    /// Facilities this fake kernel lacks, with the reason it gives.
    pub missing: Vec<(Facility, String)>,
    /// The kernel's BTF; `None` (a kernel without BTF) unless made by
    /// [`FakeEnv::with_btf`].
    pub btf: Option<BtfTypes>,
}

impl FakeEnv {
    /// The default tables and the BTF of [`super::fake_btf`], which
    /// describes the functions listed.
    pub fn with_btf() -> FakeEnv {
        FakeEnv {
            btf: Some(super::fake_btf::kernel_types()),
            ..FakeEnv::default()
        }
    }
}

const COMMON: &str = "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;
";

impl Default for FakeEnv {
    fn default() -> Self {
        let syscall = |fields: &str| {
            format!("format:\n{COMMON}\n\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n{fields}")
        };
        let rw_enter = syscall(
            "\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:char * buf;\toffset:24;\tsize:8;\tsigned:0;
\tfield:size_t count;\toffset:32;\tsize:8;\tsigned:0;\n",
        );
        let exit = syscall("\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n");
        let openat = syscall(
            "\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;
\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n",
        );
        let sched_switch = format!(
            "format:\n{COMMON}\n\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;
\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;
\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;
\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;
\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
        );
        let raw_enter = format!(
            "format:\n{COMMON}\n\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;
\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n"
        );
        let sched_exec = format!(
            "format:\n{COMMON}\n\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n"
        );
        let t = |c: &str, n: &str, f: &str| (c.to_string(), n.to_string(), f.to_string());
        FakeEnv {
            tracepoints: vec![
                t("syscalls", "sys_enter_read", &rw_enter),
                t("syscalls", "sys_exit_read", &exit),
                t("syscalls", "sys_enter_write", &rw_enter),
                t("syscalls", "sys_exit_write", &exit),
                t("syscalls", "sys_enter_openat", &openat),
                t("syscalls", "sys_exit_openat", &exit),
                t("syscalls", "sys_enter_getppid", &syscall("")),
                t("syscalls", "sys_exit_getppid", &exit),
                t("sched", "sched_switch", &sched_switch),
                t("sched", "sched_process_exec", &sched_exec),
                t("raw_syscalls", "sys_enter", &raw_enter),
            ],
            functions: [
                ("vmlinux", "vfs_read"),
                ("vmlinux", "vfs_readv"),
                ("vmlinux", "vfs_write"),
                ("vmlinux", "do_sys_openat2"),
                ("vmlinux", "do_nanosleep"),
                ("vmlinux", "ksys_read"),
                ("vmlinux", "sched_switch.part.0"),
                ("vmlinux", "pair_sum"),
                ("vmlinux", "triple_sum"),
                ("vmlinux", "mix_sum"),
                ("nf_tables", "nf_tables_newtable"),
            ]
            .iter()
            .map(|(m, f)| (m.to_string(), f.to_string()))
            .collect(),
            missing: Vec::new(),
            btf: None,
        }
    }
}

impl ProbeEnv for FakeEnv {
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
        Ok(self
            .tracepoints
            .iter()
            .map(|(c, n, _)| (c.clone(), n.clone()))
            .collect())
    }

    fn tracepoint_format(&self, category: &str, name: &str) -> Option<String> {
        self.tracepoints
            .iter()
            .find(|(c, n, _)| c == category && n == name)
            .map(|(_, _, f)| f.clone())
    }

    fn kernel_functions(&self) -> Result<Vec<(String, String)>, String> {
        Ok(self.functions.clone())
    }

    fn kernel_types(&self) -> Option<&dyn KernelTypes> {
        self.btf.as_ref().map(|b| b as &dyn KernelTypes)
    }

    fn missing(&self, facility: Facility) -> Option<String> {
        self.missing
            .iter()
            .find(|(f, _)| *f == facility)
            .map(|(_, reason)| reason.clone())
    }
}
