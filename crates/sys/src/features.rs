//! What this kernel supports, for `--info`. Each probe loads or creates
//! something small and throws it away; nothing on a tracing session's start
//! path calls these.

use std::os::fd::AsRawFd;

use crate::attr::{self, cmd};
use crate::syscall;
use crate::{Map, MapSpec, MapType, ProgSpec, ProgType, Program};

/// `r0 = 0; exit`.
const RETURN_ZERO: [u8; 16] = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];

/// Can a trivial program of this type be loaded?
pub fn prog_type_supported(prog_type: ProgType) -> bool {
    Program::load(&ProgSpec::new("probe_prog", prog_type, &RETURN_ZERO)).is_ok()
}

/// Can a small map of this type be created?
pub fn map_type_supported(map_type: MapType) -> bool {
    let (key_size, value_size, max_entries) = match map_type {
        MapType::RingBuf => (0, 0, crate::syscall::page_size() as u32),
        _ => (4, 8, 1),
    };
    Map::create(&MapSpec {
        name: "probe_map".into(),
        map_type,
        key_size,
        value_size,
        max_entries,
        flags: 0,
    })
    .is_ok()
}

/// Can a program of `prog_type` call helper number `helper`? The verifier
/// says so in its log when a helper is unknown or not allowed for the type;
/// any other rejection (arguments are not set up) means it is usable.
pub fn helper_supported(prog_type: ProgType, helper: i32) -> bool {
    let call = [0x85u8, 0, 0, 0];
    let mut insns = Vec::with_capacity(24);
    insns.extend_from_slice(&call);
    insns.extend_from_slice(&helper.to_le_bytes());
    insns.extend_from_slice(&RETURN_ZERO);
    match Program::load(&ProgSpec::new("probe_helper", prog_type, &insns)) {
        Ok(_) => true,
        Err(e) => {
            let log = e.verifier_log().unwrap_or("");
            const REFUSALS: [&str; 3] = ["invalid func", "unknown func", "cannot use helper"];
            !log.is_empty() && !REFUSALS.iter().any(|refusal| log.contains(refusal))
        }
    }
}

/// `BPF_LINK_CREATE` on perf events (Linux 5.15): with a bad target the
/// kernel answers EBADF if it knows the attach type, EINVAL if not.
pub fn perf_link_supported() -> bool {
    let Ok(prog) = Program::load(&ProgSpec::new(
        "probe_perflink",
        ProgType::Tracepoint,
        &RETURN_ZERO,
    )) else {
        return false;
    };
    let mut attr = attr::LinkCreate {
        prog_fd: prog.fd().as_raw_fd() as u32,
        target_fd: u32::MAX,
        attach_type: crate::AttachType::PerfEvent.kernel_id(),
        ..Default::default()
    };
    // SAFETY: BPF_LINK_CREATE for perf events carries no addresses.
    matches!(
        unsafe { syscall::bpf_fd(cmd::LINK_CREATE, &mut attr) },
        Err(libc::EBADF)
    )
}

/// `bpf_get_attach_cookie` from tracepoint programs (Linux 5.15).
pub fn bpf_cookie_supported() -> bool {
    helper_supported(ProgType::Tracepoint, 174)
}

/// A cookie on `BPF_RAW_TRACEPOINT_OPEN` (Linux 6.10): a kernel that knows
/// the field looks up the (nonexistent) tracepoint and says ENOENT; an
/// older one rejects the unknown field with EINVAL.
pub fn raw_tracepoint_cookie_supported() -> bool {
    let Ok(prog) = Program::load(&ProgSpec::new(
        "probe_rawtpck",
        ProgType::RawTracepoint,
        &RETURN_ZERO,
    )) else {
        return false;
    };
    let name = b"sonde_no_such_tracepoint\0";
    let mut attr = attr::RawTracepointOpen {
        name: name.as_ptr() as u64,
        prog_fd: prog.fd().as_raw_fd() as u32,
        cookie: 1,
        ..Default::default()
    };
    // SAFETY: `name` is a NUL-terminated static string.
    matches!(
        unsafe { syscall::bpf_fd(cmd::RAW_TRACEPOINT_OPEN, &mut attr) },
        Err(libc::ENOENT)
    )
}

/// Everything `--info` reports, probed in one go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Features {
    pub prog_types: Vec<(ProgType, bool)>,
    pub map_types: Vec<(MapType, bool)>,
    pub ringbuf_output: bool,
    pub get_attach_cookie: bool,
    pub perf_link: bool,
    pub raw_tracepoint_cookie: bool,
}

impl Features {
    pub fn probe() -> Features {
        let prog_types = [
            ProgType::SocketFilter,
            ProgType::Kprobe,
            ProgType::Tracepoint,
            ProgType::Xdp,
            ProgType::PerfEvent,
            ProgType::RawTracepoint,
        ];
        let map_types = [
            MapType::Hash,
            MapType::Array,
            MapType::PercpuHash,
            MapType::PercpuArray,
            MapType::LruHash,
            MapType::LruPercpuHash,
            MapType::RingBuf,
        ];
        Features {
            prog_types: prog_types
                .iter()
                .map(|&t| (t, prog_type_supported(t)))
                .collect(),
            map_types: map_types
                .iter()
                .map(|&t| (t, map_type_supported(t)))
                .collect(),
            ringbuf_output: helper_supported(ProgType::Tracepoint, 130),
            get_attach_cookie: bpf_cookie_supported(),
            perf_link: perf_link_supported(),
            raw_tracepoint_cookie: raw_tracepoint_cookie_supported(),
        }
    }
}

/// `uprobe_multi` links (Linux 6.6): a link on the root directory fails
/// with EBADF (not a regular file) when the kernel knows the attach type,
/// with EINVAL when it does not.
pub fn uprobe_multi_supported() -> bool {
    let mut spec = ProgSpec::new("probe_upmulti", ProgType::Kprobe, &RETURN_ZERO);
    spec.expected_attach_type = Some(crate::AttachType::TraceUprobeMulti);
    let Ok(prog) = Program::load(&spec) else {
        return false;
    };
    let site = crate::UprobeSite {
        offset: 0,
        ref_ctr_offset: 0,
        cookie: 0,
    };
    matches!(
        crate::Link::uprobe_multi(&prog, "/", &[site], false, None),
        Err(e) if e.errno() == Some(libc::EBADF)
    )
}

/// `kprobe_multi` links (Linux 5.18, built with CONFIG_FPROBE): a link on
/// a symbol that does not exist fails with ENOENT or ESRCH when the kernel
/// can make such links, with EOPNOTSUPP or EINVAL when it cannot.
pub fn kprobe_multi_supported() -> bool {
    let mut spec = ProgSpec::new("probe_kpmulti", ProgType::Kprobe, &RETURN_ZERO);
    spec.expected_attach_type = Some(crate::AttachType::TraceKprobeMulti);
    let Ok(prog) = Program::load(&spec) else {
        return false;
    };
    matches!(
        crate::Link::kprobe_multi(&prog, &["sonde_no_such_function"], &[0], false),
        Err(e) if matches!(e.errno(), Some(libc::ENOENT | libc::ESRCH))
    )
}

/// Why kprobes cannot be used here, or `None` when the kprobe PMU exists.
pub fn kprobes_missing() -> Option<String> {
    if std::path::Path::new("/sys/bus/event_source/devices/kprobe").exists() {
        return None;
    }
    Some(
        "this kernel was built without CONFIG_KPROBES (there is no kprobe PMU in \
         /sys/bus/event_source/devices)"
            .into(),
    )
}

/// Why `BPF_PROG_TYPE_TRACING` programs of `attach_type` cannot be loaded,
/// or `None` when they can. A program with no target is loaded: a kernel
/// that allows the type rejects the missing target with EINVAL; one that
/// forbids it answers EPERM before looking.
pub fn tracing_refused(attach_type: crate::AttachType) -> Option<String> {
    let mut spec = ProgSpec::new("probe_tracing", ProgType::Tracing, &RETURN_ZERO);
    spec.expected_attach_type = Some(attach_type);
    match Program::load(&spec) {
        Ok(_) => None,
        Err(e) if e.errno() == Some(libc::EPERM) && crate::is_root() => Some(format!(
            "the kernel refuses BPF_PROG_TYPE_TRACING {} programs: loading one fails with \
             EPERM even as root ({})",
            kind_name(attach_type),
            if attach_type == crate::AttachType::TraceIter {
                "forbidden by policy"
            } else {
                "BPF trampolines are disabled or forbidden by policy"
            }
        )),
        Err(e) if e.errno() == Some(libc::EPERM) => {
            Some("loading BPF tracing programs needs root (or CAP_BPF and CAP_PERFMON)".into())
        }
        Err(e) if e.errno() == Some(libc::EINVAL) => None,
        Err(e) => Some(format!(
            "loading a BPF_PROG_TYPE_TRACING {} program fails: {e}",
            kind_name(attach_type)
        )),
    }
}

/// fentry and fexit share trampolines and stand or fall together.
fn kind_name(attach_type: crate::AttachType) -> &'static str {
    match attach_type {
        crate::AttachType::TraceFentry | crate::AttachType::TraceFexit => "fentry/fexit",
        other => other.describe(),
    }
}

/// Why hardware events cannot be counted here, or `None` when a CPU
/// cycles counter opens.
pub fn hardware_events_missing() -> Option<String> {
    let cpu = crate::cpu::online_cpus()
        .ok()
        .and_then(|cpus| cpus.first().copied())
        .unwrap_or(0);
    match crate::PerfEvent::hardware(
        0,
        crate::Sampling::Period(1_000_000_000),
        crate::Target::cpu(cpu),
    ) {
        Ok(_) => None,
        Err(e) => match e.errno() {
            Some(libc::ENOENT | libc::EOPNOTSUPP | libc::ENODEV) => Some(format!(
                "this machine has no hardware performance monitoring unit (perf_event_open of \
                 a PERF_TYPE_HARDWARE event fails with {}; virtual machines often have none)",
                crate::strerror(e.errno().unwrap_or(0))
            )),
            _ => Some(format!("cannot open a hardware event: {e}")),
        },
    }
}

/// Why hardware breakpoints cannot be set here, or `None`.
pub fn breakpoints_missing() -> Option<String> {
    if std::path::Path::new("/sys/bus/event_source/devices/breakpoint").exists() {
        return None;
    }
    Some(
        "this kernel has no hardware breakpoint PMU (CONFIG_HAVE_HW_BREAKPOINT; no \
         /sys/bus/event_source/devices/breakpoint)"
            .into(),
    )
}
