//! `sonde --info`: what this kernel supports, in bpftrace's layout of
//! `name: yes|no` lines (bpftrace's runtime tests read them to decide which
//! tests can run). Every line is probed on the running kernel.

use std::path::Path;

use sonde_isa::helper;
use sonde_sys::features::{helper_supported, map_type_supported, prog_type_supported};
use sonde_sys::{AttachType, MapType, ProgType};

pub fn print() -> Result<(), String> {
    if !sonde_sys::is_root() {
        return Err("ERROR: --info needs root to probe the kernel's BPF support".into());
    }
    let yes = |b: bool| if b { "yes" } else { "no" };
    let kp = ProgType::Kprobe;
    let has_helper = |id: i32| helper_supported(kp, id);
    let device = |name: &str| {
        Path::new("/sys/bus/event_source/devices")
            .join(name)
            .exists()
    };
    let uname = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();

    let mut out = String::new();
    out.push_str("System\n");
    out.push_str(&format!("  OS: Linux {}\n\n", uname.trim()));
    out.push_str("Build\n");
    out.push_str(&format!("  version: v{}\n", env!("CARGO_PKG_VERSION")));
    out.push_str("  LLVM: none (Sonde generates eBPF itself)\n");
    // Typed uprobe args come from DWARF (gimli).
    out.push_str("  libdw (DWARF support): yes\n");
    out.push_str("  dwunwind (DWARF stack unwinding): no\n");
    // Library names resolve like the dynamic linker (sonde-elf), and USDT
    // semaphores are counted by the kernel (uprobe ref_ctr_offset).
    out.push_str("  bcc library path resolution: yes\n");
    out.push_str("  uprobe refcount (depends on Build:bcc bpf_attach_uprobe refcount): yes\n\n");

    out.push_str("Kernel helpers\n");
    for (name, id) in [
        ("probe_read", helper::PROBE_READ),
        ("probe_read_str", helper::PROBE_READ_STR),
        ("probe_read_user", helper::PROBE_READ_USER),
        ("probe_read_user_str", helper::PROBE_READ_USER_STR),
        ("probe_read_kernel", helper::PROBE_READ_KERNEL),
        ("probe_read_kernel_str", helper::PROBE_READ_KERNEL_STR),
        ("get_current_cgroup_id", helper::GET_CURRENT_CGROUP_ID),
        ("send_signal", helper::SEND_SIGNAL),
        ("override_return", helper::OVERRIDE_RETURN),
        ("get_func_ip", helper::GET_FUNC_IP),
        ("get_tai_ns", helper::KTIME_GET_TAI_NS),
        ("jiffies64", helper::JIFFIES64),
        ("lookup_percpu_elem", helper::MAP_LOOKUP_PERCPU_ELEM),
    ] {
        out.push_str(&format!("  {name}: {}\n", yes(has_helper(id))));
    }
    // d_path and skb_output are only allowed in tracing programs, which
    // this tool cannot load yet.
    out.push_str("  dpath: no\n  skboutput: no\n\n");

    out.push_str("Kernel features\n");
    out.push_str("  Instruction limit: 1000000\n");
    out.push_str("  Loop support: yes\n");
    out.push_str(&format!(
        "  btf: {}\n",
        yes(Path::new("/sys/kernel/btf/vmlinux").exists())
    ));
    out.push_str(&format!(
        "  module btf: {}\n",
        yes(Path::new("/sys/kernel/btf")
            .read_dir()
            .map(|d| d.count() > 1)
            .unwrap_or(false))
    ));
    out.push_str(&format!(
        "  bpf cookie: {}\n\n",
        yes(sonde_sys::features::bpf_cookie_supported())
    ));

    out.push_str("Map types\n");
    for (name, map) in [
        ("hash", MapType::Hash),
        ("percpu hash", MapType::PercpuHash),
        ("array", MapType::Array),
        ("percpu array", MapType::PercpuArray),
        ("ringbuf", MapType::RingBuf),
    ] {
        out.push_str(&format!("  {name}: {}\n", yes(map_type_supported(map))));
    }
    out.push('\n');

    out.push_str("Probe types\n");
    let kprobes = device("kprobe");
    for (name, available) in [
        ("kprobe", kprobes),
        ("tracepoint", prog_type_supported(ProgType::Tracepoint)),
        (
            "rawtracepoint",
            prog_type_supported(ProgType::RawTracepoint),
        ),
        ("perf_event", prog_type_supported(ProgType::PerfEvent)),
        ("uprobe", device("uprobe")),
        (
            "fentry",
            sonde_sys::features::tracing_refused(AttachType::TraceFentry).is_none(),
        ),
        (
            "kprobe_multi",
            sonde_sys::features::kprobe_multi_supported(),
        ),
        ("kprobe_session", false),
        (
            "uprobe_multi",
            sonde_sys::features::uprobe_multi_supported(),
        ),
        (
            "iter",
            sonde_sys::features::tracing_refused(AttachType::TraceIter).is_none(),
        ),
    ] {
        out.push_str(&format!("  {name}: {}\n", yes(available)));
    }
    print!("{out}");
    Ok(())
}
