//! The only crate that talks to the kernel: `bpf(2)` (maps, programs,
//! links, test runs, object listing), `perf_event_open(2)`, the BPF ring
//! buffer, tracefs and bpffs, the `-c` child process, and the signals and
//! descriptors an event loop waits on.
//!
//! Pure Rust over raw system calls: no C library, no libbpf, and no
//! feature probing on any path that starts a session (the probes in
//! [`features`] exist for `--info` only). Every system call is made in the
//! private `syscall` module; the modules above it build arguments and give
//! results meaning. Every kernel object is held by a typed owner whose
//! `Drop` detaches and closes it, so no exit path leaks a program, link,
//! perf event or map.
//!
//! This crate must not know about the tracing language, the code
//! generator's objects or output formats: it deals in bytes, descriptors
//! and kernel ids.

mod attr;
mod btf;
pub mod cpu;
mod error;
pub mod features;
pub mod kfuncs;
mod link;
mod map;
mod mappings;
mod objects;
mod perf;
mod poll;
mod process;
mod prog;
mod ringbuf;
mod socket;
mod syscall;
pub mod time;
pub mod tracefs;

pub use btf::{read_kernel_btf, KernelBtfBytes, LoadedBtf, ModuleBtf};
pub use error::{strerror, Error, Result};
pub use link::{Link, PerfAttachment, UprobeSite};
pub use map::{Map, MapSpec, MapType, UpdateFlags};
pub use mappings::{MappingRecord, MappingTracker};
pub use objects::{
    link_type_name, loaded_links, loaded_maps, loaded_programs, map_type_name, prog_type_name,
    LinkInfo, MapInfo, ProgInfo,
};
pub use perf::{BreakpointKind, PerfEvent, Sampling, SoftwareEvent, Target};
pub use poll::{Notifier, Poller, Signal, SignalFd};
pub use process::{process_threads, resolve_program, ExitStatus, PausedChild};
pub use prog::{AttachType, ProgSpec, ProgType, Program, TestRun};
pub use ringbuf::RingBuf;
pub use socket::socket_cookie;
pub use tracefs::Tracefs;

/// `CLOCK_MONOTONIC` now, in nanoseconds: the clock `bpf_ktime_get_ns`
/// reads.
pub fn monotonic_ns() -> u64 {
    syscall::monotonic_ns()
}

/// The clocks a BPF program can read, for converting their timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// `bpf_ktime_get_ns`.
    Monotonic,
    /// `bpf_ktime_get_boot_ns`: monotonic plus time spent suspended.
    Boottime,
    /// `bpf_ktime_get_tai_ns`.
    Tai,
    /// Wall-clock time.
    Realtime,
}

/// `clock` now, in nanoseconds.
pub fn clock_ns(clock: Clock) -> u64 {
    syscall::clock_ns(match clock {
        Clock::Monotonic => libc::CLOCK_MONOTONIC,
        Clock::Boottime => libc::CLOCK_BOOTTIME,
        Clock::Tai => libc::CLOCK_TAI,
        Clock::Realtime => libc::CLOCK_REALTIME,
    })
}

/// The inode number of the initial pid namespace (`PROC_PID_INIT_INO`).
const INIT_PID_NS_INO: u64 = 0xefff_fffc;

/// The device and inode of this process's pid namespace, or `None` when it
/// is the initial one (or cannot be told).
pub fn pid_namespace() -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata("/proc/self/ns/pid").ok()?;
    (meta.ino() != INIT_PID_NS_INO).then(|| (meta.dev(), meta.ino()))
}

/// The calling thread's id (what the low half of
/// `bpf_get_current_pid_tgid` holds).
pub fn gettid() -> i32 {
    syscall::gettid()
}

/// True when running as root (effective uid 0). Not proof of BPF access:
/// use [`Error::is_permission_denied`] on a real failure for that.
pub fn is_root() -> bool {
    syscall::geteuid() == 0
}
