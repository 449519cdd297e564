//! Program loading and test runs.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::attr::{self, cmd};
use crate::syscall;
use crate::{Error, Result};

/// The program types this crate loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgType {
    SocketFilter,
    /// Also used for uprobes.
    Kprobe,
    Tracepoint,
    Xdp,
    PerfEvent,
    RawTracepoint,
    /// fentry/fexit/tp_btf/iter: needs `expected_attach_type` and
    /// `attach_btf_id`.
    Tracing,
}

impl ProgType {
    pub fn describe(self) -> &'static str {
        match self {
            ProgType::SocketFilter => "socket_filter",
            ProgType::Kprobe => "kprobe",
            ProgType::Tracepoint => "tracepoint",
            ProgType::Xdp => "xdp",
            ProgType::PerfEvent => "perf_event",
            ProgType::RawTracepoint => "raw_tracepoint",
            ProgType::Tracing => "tracing",
        }
    }

    pub fn kernel_id(self) -> u32 {
        match self {
            ProgType::SocketFilter => 1,
            ProgType::Kprobe => 2,
            ProgType::Tracepoint => 5,
            ProgType::Xdp => 6,
            ProgType::PerfEvent => 7,
            ProgType::RawTracepoint => 17,
            ProgType::Tracing => 26,
        }
    }
}

/// `enum bpf_attach_type` values used when loading or linking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachType {
    /// `tp_btf`.
    TraceRawTp,
    TraceFentry,
    TraceFexit,
    TraceIter,
    /// `BPF_PERF_EVENT`, for links on perf events.
    PerfEvent,
    /// `BPF_TRACE_UPROBE_MULTI`: a kprobe-type program attached to many
    /// uprobes by one link (Linux 6.6+).
    TraceUprobeMulti,
    /// `BPF_TRACE_KPROBE_MULTI`: a kprobe-type program attached to many
    /// kernel functions by one link (Linux 5.18+).
    TraceKprobeMulti,
}

impl AttachType {
    pub fn kernel_id(self) -> u32 {
        match self {
            AttachType::TraceRawTp => 23,
            AttachType::TraceFentry => 24,
            AttachType::TraceFexit => 25,
            AttachType::TraceIter => 28,
            AttachType::PerfEvent => 41,
            AttachType::TraceKprobeMulti => 42,
            AttachType::TraceUprobeMulti => 48,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            AttachType::TraceRawTp => "tp_btf",
            AttachType::TraceFentry => "fentry",
            AttachType::TraceFexit => "fexit",
            AttachType::TraceIter => "iter",
            AttachType::PerfEvent => "perf_event",
            AttachType::TraceUprobeMulti => "uprobe_multi",
            AttachType::TraceKprobeMulti => "kprobe_multi",
        }
    }
}

/// What to load.
#[derive(Clone, Debug)]
pub struct ProgSpec<'a> {
    /// At most 15 bytes of `A-Z a-z 0-9 _ .`.
    pub name: &'a str,
    pub prog_type: ProgType,
    /// Encoded instructions (8 bytes each), e.g. from `sonde_isa::encode_all`.
    pub insns: &'a [u8],
    pub expected_attach_type: Option<AttachType>,
    /// BTF type id of the attach target (tracing programs).
    pub attach_btf_id: u32,
    /// Module BTF holding `attach_btf_id`; `None` for vmlinux.
    pub attach_btf_obj_fd: Option<BorrowedFd<'a>>,
    /// BTF describing the program's functions (needed once it has
    /// subprograms), with `func_info`: `struct bpf_func_info` records
    /// (instruction offset, BTF type id; 8 bytes each).
    pub btf: Option<BorrowedFd<'a>>,
    pub func_info: &'a [u8],
}

impl<'a> ProgSpec<'a> {
    pub fn new(name: &'a str, prog_type: ProgType, insns: &'a [u8]) -> ProgSpec<'a> {
        ProgSpec {
            name,
            prog_type,
            insns,
            expected_attach_type: None,
            attach_btf_id: 0,
            attach_btf_obj_fd: None,
            btf: None,
            func_info: &[],
        }
    }
}

/// Bytes of verifier log to ask for when a load fails: the largest size
/// every kernel since 4.x accepts (`UINT_MAX >> 8`).
const LOG_SIZE: usize = (u32::MAX >> 8) as usize;

const LICENSE: &[u8] = b"GPL\0";

/// `sizeof(struct bpf_func_info)`.
const FUNC_INFO_SIZE: u32 = 8;

/// A loaded program; dropping it closes the descriptor (the kernel frees
/// the program when no link or perf event still holds it).
#[derive(Debug)]
pub struct Program {
    fd: OwnedFd,
    name: String,
    prog_type: ProgType,
    attach_type: Option<AttachType>,
}

/// The outcome of one `BPF_PROG_TEST_RUN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestRun {
    /// The program's return value.
    pub retval: u32,
    /// Nanoseconds per run as the kernel measured it.
    pub duration_ns: u32,
}

impl Program {
    /// Load without a verifier log (the fast path); on failure load again
    /// with `log_level = 1` so the error carries the errno of the first
    /// attempt and the verifier's explanation.
    pub fn load(spec: &ProgSpec<'_>) -> Result<Program> {
        let op = cmd::op(cmd::PROG_LOAD);
        if spec.insns.is_empty() || !spec.insns.len().is_multiple_of(8) {
            return Err(Error::invalid(
                op,
                format!(
                    "program `{}` has {} bytes of instructions, not a positive multiple of 8",
                    spec.name,
                    spec.insns.len()
                ),
            ));
        }
        let name = attr::object_name("program", spec.name)?;
        match load_once(spec, name, None) {
            Ok(fd) => Ok(Program {
                fd,
                name: spec.name.to_string(),
                prog_type: spec.prog_type,
                attach_type: spec.expected_attach_type,
            }),
            Err(errno) => {
                let mut log = vec![0u8; LOG_SIZE];
                let second = load_once(spec, name, Some(&mut log));
                let log = attr::name_from_bytes(&log);
                if let Ok(fd) = second {
                    // Loaded the second time: whatever failed was transient.
                    return Ok(Program {
                        fd,
                        name: spec.name.to_string(),
                        prog_type: spec.prog_type,
                        attach_type: spec.expected_attach_type,
                    });
                }
                let mut err = Error::os(op, errno).with_verifier_log(log);
                if spec.prog_type == ProgType::Tracing && errno == libc::EPERM {
                    let kind = spec
                        .expected_attach_type
                        .map_or("tracing", AttachType::describe);
                    err = err.with_explanation(format!(
                        "the kernel refused to load `{}`, a {kind} program (BPF_PROG_TYPE_TRACING); \
                         kernels that forbid BPF trampolines refuse these even to root",
                        spec.name
                    ))
                    .marked_policy_refusal();
                } else {
                    err = err.with_explanation(format!("loading program `{}`", spec.name));
                }
                Err(err)
            }
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// What kind of program this is, as bpftool says: its attach type
    /// where it was loaded with one (`tp_btf`, `fentry`, `uprobe_multi`),
    /// else its type (`raw_tracepoint`, `kprobe`).
    pub fn kind(&self) -> &'static str {
        self.attach_type
            .map_or_else(|| self.prog_type.describe(), AttachType::describe)
    }

    pub fn prog_type(&self) -> ProgType {
        self.prog_type
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// What the kernel reports about this program (id, verified insns...).
    pub fn info(&self) -> Result<crate::ProgInfo> {
        crate::objects::prog_info(self.fd.as_fd())
    }

    /// Run once with `BPF_PROG_TEST_RUN`. For raw tracepoint programs
    /// `ctx_in` is the u64 argument array (`None` for no arguments).
    pub fn test_run(&self, ctx_in: Option<&[u8]>) -> Result<TestRun> {
        let op = cmd::op(cmd::PROG_TEST_RUN);
        let ctx = ctx_in.unwrap_or(&[]);
        let mut attr = attr::TestRun {
            prog_fd: self.fd.as_raw_fd() as u32,
            ctx_size_in: ctx.len() as u32,
            ctx_in: if ctx.is_empty() {
                0
            } else {
                ctx.as_ptr() as u64
            },
            ..Default::default()
        };
        // SAFETY: the only address is `ctx_in`, readable for ctx_size_in
        // bytes; no output buffers are given.
        unsafe { syscall::bpf(cmd::PROG_TEST_RUN, &mut attr) }.map_err(|errno| {
            Error::os(op, errno).with_explanation(format!("running program `{}`", self.name))
        })?;
        Ok(TestRun {
            retval: attr.retval,
            duration_ns: attr.duration,
        })
    }
}

impl Program {
    /// Run `repeat` times in a row with `BPF_PROG_TEST_RUN` on `data_in`
    /// as the packet, for program types whose test runs take one (XDP,
    /// socket filters); `duration_ns` is then the kernel's average per run.
    pub fn test_run_repeat(&self, data_in: &[u8], repeat: u32) -> Result<TestRun> {
        let op = cmd::op(cmd::PROG_TEST_RUN);
        let mut attr = attr::TestRun {
            prog_fd: self.fd.as_raw_fd() as u32,
            data_size_in: data_in.len() as u32,
            data_in: data_in.as_ptr() as u64,
            repeat,
            ..Default::default()
        };
        // SAFETY: the only address is `data_in`, readable for data_size_in
        // bytes; no output buffers are given (the kernel copies nothing
        // back when data_out is 0).
        unsafe { syscall::bpf(cmd::PROG_TEST_RUN, &mut attr) }.map_err(|errno| {
            Error::os(op, errno).with_explanation(format!("running program `{}`", self.name))
        })?;
        Ok(TestRun {
            retval: attr.retval,
            duration_ns: attr.duration,
        })
    }
}

fn load_once(
    spec: &ProgSpec<'_>,
    name: [u8; attr::OBJ_NAME_LEN],
    log: Option<&mut [u8]>,
) -> std::result::Result<OwnedFd, i32> {
    let (log_level, log_size, log_buf) = match log {
        Some(buf) => (1, buf.len() as u32, buf.as_mut_ptr() as u64),
        None => (0, 0, 0),
    };
    let mut attr = attr::ProgLoad {
        prog_type: spec.prog_type.kernel_id(),
        insn_cnt: (spec.insns.len() / 8) as u32,
        insns: spec.insns.as_ptr() as u64,
        license: LICENSE.as_ptr() as u64,
        log_level,
        log_size,
        log_buf,
        prog_name: name,
        expected_attach_type: spec.expected_attach_type.map_or(0, AttachType::kernel_id),
        attach_btf_id: spec.attach_btf_id,
        attach_btf_obj_fd: spec.attach_btf_obj_fd.map_or(0, |fd| fd.as_raw_fd() as u32),
        ..Default::default()
    };
    if let Some(btf) = spec.btf {
        attr.prog_btf_fd = btf.as_raw_fd() as u32;
        attr.func_info_rec_size = FUNC_INFO_SIZE;
        attr.func_info = spec.func_info.as_ptr() as u64;
        attr.func_info_cnt = (spec.func_info.len() / FUNC_INFO_SIZE as usize) as u32;
    }
    // SAFETY: `insns` is readable for insn_cnt * 8 bytes, `license` is a
    // NUL-terminated static, `func_info` (when set) readable for
    // func_info_cnt records, and `log_buf` (when set) is writable for
    // log_size bytes; all outlive the call.
    unsafe { syscall::bpf_fd(cmd::PROG_LOAD, &mut attr) }
}
