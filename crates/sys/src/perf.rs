//! perf events: tracepoints, software timers and breakpoints, the things a
//! program is attached to through a link or `PERF_EVENT_IOC_SET_BPF`.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::syscall::{self, PerfEventAttr};
use crate::{Error, Program, Result};

const PERF_TYPE_HARDWARE: u32 = 0;
const PERF_TYPE_SOFTWARE: u32 = 1;
const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_TYPE_BREAKPOINT: u32 = 5;

/// `attr.flags` bit for `freq`: `sample_freq` instead of `sample_period`.
const FLAG_FREQ: u64 = 1 << 10;
/// `attr.flags` bit for `inherit`: child threads get the event too.
const FLAG_INHERIT: u64 = 1 << 1;

const IOC_ENABLE: libc::c_ulong = 0x2400;
const IOC_DISABLE: libc::c_ulong = 0x2401;
const IOC_SET_BPF: libc::c_ulong = 0x4004_2408;

/// Software events (`PERF_COUNT_SW_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SoftwareEvent {
    CpuClock = 0,
    TaskClock = 1,
    PageFaults = 2,
    ContextSwitches = 3,
    CpuMigrations = 4,
    PageFaultsMin = 5,
    PageFaultsMaj = 6,
    AlignmentFaults = 7,
    EmulationFaults = 8,
    Dummy = 9,
    BpfOutput = 10,
}

impl SoftwareEvent {
    /// The event whose `PERF_COUNT_SW_*` number is `config`.
    pub fn from_config(config: u64) -> Option<SoftwareEvent> {
        use SoftwareEvent::*;
        [
            CpuClock,
            TaskClock,
            PageFaults,
            ContextSwitches,
            CpuMigrations,
            PageFaultsMin,
            PageFaultsMaj,
            AlignmentFaults,
            EmulationFaults,
            Dummy,
            BpfOutput,
        ]
        .into_iter()
        .find(|e| *e as u64 == config)
    }
}

/// When a sampling event fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// Every `n` events (nanoseconds for the clocks).
    Period(u64),
    /// About `hz` times a second.
    Frequency(u64),
}

/// Hardware breakpoint access kinds (`HW_BREAKPOINT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakpointKind {
    Read = 1,
    Write = 2,
    ReadWrite = 3,
    Execute = 4,
}

/// Who and where: `pid` -1 for every process, `cpu` -1 for every CPU (not
/// both -1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub pid: i32,
    pub cpu: i32,
}

impl Target {
    pub fn cpu(cpu: u32) -> Target {
        Target {
            pid: -1,
            cpu: cpu as i32,
        }
    }

    /// One thread (or process: its main thread) on whatever CPU it runs.
    pub fn thread(tid: u32) -> Target {
        Target {
            pid: tid as i32,
            cpu: -1,
        }
    }
}

fn sampling_fields(sampling: Sampling) -> Result<(u64, u64)> {
    let (value, flags) = match sampling {
        Sampling::Period(n) => (n, 0),
        Sampling::Frequency(hz) => (hz, FLAG_FREQ),
    };
    if value == 0 {
        return Err(Error::invalid(
            "perf_event_open",
            "a sampling period or frequency of 0",
        ));
    }
    Ok((value, flags))
}

/// An open perf event; dropping it closes the descriptor, which detaches
/// any program attached to it through `PERF_EVENT_IOC_SET_BPF`.
#[derive(Debug)]
pub struct PerfEvent {
    fd: OwnedFd,
}

impl PerfEvent {
    fn open(attr: &PerfEventAttr, target: Target, what: &str) -> Result<PerfEvent> {
        syscall::perf_event_open(attr, target.pid, target.cpu)
            .map(|fd| PerfEvent { fd })
            .map_err(|errno| Error::os("perf_event_open", errno).with_explanation(what.to_string()))
    }

    /// The tracepoint whose tracefs `id` is given. Enabled at once; it only
    /// runs programs once one is attached.
    pub fn tracepoint(id: u64, target: Target) -> Result<PerfEvent> {
        let attr = PerfEventAttr {
            type_: PERF_TYPE_TRACEPOINT,
            config: id,
            sample_period_or_freq: 1,
            wakeup_events: 1,
            ..Default::default()
        };
        PerfEvent::open(&attr, target, &format!("tracepoint id {id}"))
    }

    /// A software event sampling as `sampling` says.
    pub fn software(event: SoftwareEvent, sampling: Sampling, target: Target) -> Result<PerfEvent> {
        let (value, flags) = sampling_fields(sampling)?;
        let attr = PerfEventAttr {
            type_: PERF_TYPE_SOFTWARE,
            config: event as u64,
            sample_period_or_freq: value,
            flags,
            ..Default::default()
        };
        PerfEvent::open(
            &attr,
            target,
            &format!("software event {event:?} on cpu {}", target.cpu),
        )
    }

    /// A uprobe (or uretprobe, `ret`) at file offset `offset` of `path`,
    /// through the kernel's `uprobe` PMU. `ref_ctr_offset` (0: none) is the
    /// file offset of a USDT semaphore the kernel increments in every
    /// process that maps the file while the probe exists. `target.pid` -1
    /// probes every process (with `cpu` 0, as uprobes fire on any CPU).
    pub fn uprobe(
        path: &str,
        offset: u64,
        ret: bool,
        ref_ctr_offset: u64,
        target: Target,
    ) -> Result<PerfEvent> {
        let op = "perf_event_open";
        let pmu = UprobePmu::get().map_err(|e| Error::invalid(op, e))?;
        let c_path = syscall::cstring(path)
            .ok_or_else(|| Error::invalid(op, format!("path `{path}` contains a NUL")))?;
        let mut config = 0u64;
        if ret {
            config |= 1 << pmu.retprobe_bit;
        }
        if ref_ctr_offset != 0 {
            config |= ref_ctr_offset << pmu.ref_ctr_shift;
        }
        let attr = PerfEventAttr {
            type_: pmu.type_,
            config,
            config2: offset,
            sample_period_or_freq: 1,
            wakeup_events: 1,
            ..Default::default()
        };
        syscall::perf_event_open_path(&attr, &c_path, target.pid, target.cpu)
            .map(|fd| PerfEvent { fd })
            .map_err(|errno| {
                Error::os(op, errno).with_explanation(format!(
                    "{} at offset {offset:#x} of {path}",
                    if ret { "uretprobe" } else { "uprobe" }
                ))
            })
    }

    /// A hardware event (`PERF_COUNT_HW_*` number `config`) sampling as
    /// `sampling` says. Fails with ENOENT or EOPNOTSUPP where the machine
    /// has no performance monitoring unit (most virtual machines).
    pub fn hardware(config: u64, sampling: Sampling, target: Target) -> Result<PerfEvent> {
        let (value, flags) = sampling_fields(sampling)?;
        let attr = PerfEventAttr {
            type_: PERF_TYPE_HARDWARE,
            config,
            sample_period_or_freq: value,
            flags,
            ..Default::default()
        };
        PerfEvent::open(
            &attr,
            target,
            &format!("hardware event {config} on cpu {}", target.cpu),
        )
    }

    /// A hardware breakpoint on `len` bytes (1, 2, 4 or 8) at `addr`,
    /// enabled at once. With `inherit`, threads the target creates later
    /// get it too (for a thread target).
    pub fn breakpoint(
        addr: u64,
        len: u64,
        kind: BreakpointKind,
        target: Target,
        inherit: bool,
    ) -> Result<PerfEvent> {
        // An execution breakpoint covers one instruction: the kernel wants
        // the length of a long there.
        let len = if kind == BreakpointKind::Execute {
            8
        } else {
            len
        };
        if !matches!(len, 1 | 2 | 4 | 8) {
            return Err(Error::invalid(
                "perf_event_open",
                format!("a breakpoint length of {len}"),
            ));
        }
        let attr = PerfEventAttr {
            type_: PERF_TYPE_BREAKPOINT,
            sample_period_or_freq: 1,
            wakeup_events: 1,
            bp_type: kind as u32,
            config1: addr,
            config2: len,
            flags: if inherit { FLAG_INHERIT } else { 0 },
            ..Default::default()
        };
        PerfEvent::open(&attr, target, &format!("breakpoint at {addr:#x}"))
    }

    /// A kprobe PMU event on `function` + `offset` (a kretprobe when
    /// `ret`), or at the absolute address `addr` when `function` is empty.
    /// Fails where the kernel has no kprobe PMU (built without
    /// CONFIG_KPROBES).
    pub fn kprobe(
        function: &str,
        offset: u64,
        addr: u64,
        ret: bool,
        target: Target,
    ) -> Result<PerfEvent> {
        let what = if function.is_empty() {
            format!("kprobe at {addr:#x}")
        } else {
            format!("kprobe on {function}+{offset}")
        };
        let read = |path: &str| {
            std::fs::read_to_string(path).map_err(|e| {
                Error::os(
                    format!("read {path}"),
                    e.raw_os_error().unwrap_or(libc::EIO),
                )
            })
        };
        let pmu = "/sys/bus/event_source/devices/kprobe";
        let type_: u32 = read(&format!("{pmu}/type"))?.trim().parse().map_err(|_| {
            Error::invalid("perf_event_open", format!("{pmu}/type is not a number"))
        })?;
        let mut config = 0u64;
        if ret {
            // `config:N`: the bit that makes a kretprobe.
            let format = read(&format!("{pmu}/format/retprobe"))?;
            let bit: u32 = format
                .trim()
                .strip_prefix("config:")
                .and_then(|b| b.parse().ok())
                .ok_or_else(|| {
                    Error::invalid(
                        "perf_event_open",
                        format!("{pmu}/format/retprobe says `{}`", format.trim()),
                    )
                })?;
            config |= 1 << bit;
        }
        let attr = PerfEventAttr {
            type_,
            config,
            sample_period_or_freq: 1,
            wakeup_events: 1,
            config2: if function.is_empty() { addr } else { offset },
            ..Default::default()
        };
        let result = if function.is_empty() {
            syscall::perf_event_open(&attr, target.pid, target.cpu)
        } else {
            let name = syscall::cstring(function).ok_or_else(|| {
                Error::invalid(
                    "perf_event_open",
                    format!("function `{function}` contains a NUL"),
                )
            })?;
            syscall::perf_event_open_named(&attr, &name, target.pid, target.cpu)
        };
        result.map(|fd| PerfEvent { fd }).map_err(|errno| {
            let err = Error::os("perf_event_open", errno);
            if errno == libc::EILSEQ {
                // The kernel checked the offset against the function's
                // instructions (bpftrace's words).
                err.with_explanation(format!(
                    "{what}: Possible attachment attempt in the middle of an instruction, try a different offset."
                ))
            } else {
                err.with_explanation(what)
            }
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn enable(&self) -> Result<()> {
        syscall::perf_ioctl(self.fd.as_fd(), IOC_ENABLE, 0)
            .map_err(|errno| Error::os("ioctl(PERF_EVENT_IOC_ENABLE)", errno))
    }

    pub fn disable(&self) -> Result<()> {
        syscall::perf_ioctl(self.fd.as_fd(), IOC_DISABLE, 0)
            .map_err(|errno| Error::os("ioctl(PERF_EVENT_IOC_DISABLE)", errno))
    }

    /// Attach `prog` the pre-link way (no cookie); detached when this event
    /// is closed.
    pub fn set_bpf(&self, prog: &Program) -> Result<()> {
        syscall::perf_ioctl(
            self.fd.as_fd(),
            IOC_SET_BPF,
            prog.fd().as_raw_fd() as libc::c_ulong,
        )
        .map_err(|errno| Error::os("ioctl(PERF_EVENT_IOC_SET_BPF)", errno))
    }
}

/// The kernel's `uprobe` PMU: its type and where its config bits are, read
/// from sysfs once.
#[derive(Clone, Copy, Debug)]
struct UprobePmu {
    type_: u32,
    retprobe_bit: u32,
    ref_ctr_shift: u32,
}

const UPROBE_PMU: &str = "/sys/bus/event_source/devices/uprobe";

impl UprobePmu {
    fn get() -> std::result::Result<UprobePmu, String> {
        static PMU: std::sync::OnceLock<std::result::Result<UprobePmu, String>> =
            std::sync::OnceLock::new();
        PMU.get_or_init(UprobePmu::read).clone()
    }

    fn read() -> std::result::Result<UprobePmu, String> {
        let read = |file: &str| {
            std::fs::read_to_string(format!("{UPROBE_PMU}/{file}")).map_err(|e| {
                format!(
                    "this kernel has no uprobe PMU ({UPROBE_PMU}/{file}: {e}); uprobes need CONFIG_UPROBE_EVENTS"
                )
            })
        };
        let type_ = read("type")?
            .trim()
            .parse()
            .map_err(|_| format!("{UPROBE_PMU}/type is not a number"))?;
        // `config:0` and `config:32-63`: the first bit of each field.
        let first_bit = |text: &str| {
            text.trim()
                .strip_prefix("config:")
                .and_then(|bits| bits.split('-').next())
                .and_then(|b| b.parse::<u32>().ok())
        };
        let retprobe_bit = read("format/retprobe")
            .ok()
            .and_then(|t| first_bit(&t))
            .unwrap_or(0);
        let ref_ctr_shift = read("format/ref_ctr_offset")
            .ok()
            .and_then(|t| first_bit(&t))
            .unwrap_or(32);
        Ok(UprobePmu {
            type_,
            retprobe_bit,
            ref_ctr_shift,
        })
    }
}
