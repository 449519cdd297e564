//! Every system call the crate makes, and nothing else. The modules above
//! build arguments and give results meaning; only this module hands them to
//! the kernel.
//!
//! Functions return `Err(errno)`; callers attach the operation's name.

use std::ffi::{CStr, CString};
use std::mem::{size_of, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

pub(crate) type SysResult<T> = Result<T, i32>;

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// A `bpf_attr` variant for one command.
///
/// # Safety
/// Implementors are `#[repr(C)]`, contain no implicit padding and no
/// references, and the all-zero bit pattern is a valid value (they are
/// plain integers laid out as in `linux/bpf.h`).
pub(crate) unsafe trait BpfAttr: Sized {}

/// Turn a successful raw return into an owned descriptor.
fn owned_fd(ret: libc::c_long) -> SysResult<OwnedFd> {
    if ret < 0 {
        return Err(last_errno());
    }
    let fd = RawFd::try_from(ret).map_err(|_| libc::EBADF)?;
    // SAFETY: the kernel just returned `fd` as a new descriptor that nothing
    // else owns; wrapping it makes its closing our responsibility alone.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `bpf(cmd, attr, sizeof attr)`, returning the non-negative result.
///
/// # Safety
/// Every address inside `attr` must point to memory that is valid for the
/// access `cmd` makes through it (reads of the stated sizes for inputs,
/// writes of the stated sizes for outputs) for the duration of the call.
pub(crate) unsafe fn bpf<T: BpfAttr>(cmd: u32, attr: &mut T) -> SysResult<i64> {
    // SAFETY: `attr` is a live, exclusively borrowed `#[repr(C)]` value of
    // `size_of::<T>()` bytes (BpfAttr contract); the addresses it carries are
    // valid per this function's own contract.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd as libc::c_long,
            attr as *mut T as *mut libc::c_void,
            size_of::<T>() as libc::c_long,
        )
    };
    if ret < 0 {
        Err(last_errno())
    } else {
        Ok(ret)
    }
}

/// `bpf()` for commands that return a new file descriptor.
///
/// # Safety
/// As for [`bpf`].
pub(crate) unsafe fn bpf_fd<T: BpfAttr>(cmd: u32, attr: &mut T) -> SysResult<OwnedFd> {
    // SAFETY: forwarded contract of this function.
    let ret = unsafe { bpf(cmd, attr) }?;
    owned_fd(ret as libc::c_long)
}

/// `struct perf_event_attr` up to `PERF_ATTR_SIZE_VER5` (112 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PerfEventAttr {
    pub type_: u32,
    pub size: u32,
    pub config: u64,
    pub sample_period_or_freq: u64,
    pub sample_type: u64,
    pub read_format: u64,
    pub flags: u64,
    pub wakeup_events: u32,
    pub bp_type: u32,
    pub config1: u64,
    pub config2: u64,
    pub branch_sample_type: u64,
    pub sample_regs_user: u64,
    pub sample_stack_user: u32,
    pub clockid: i32,
    pub sample_regs_intr: u64,
    pub aux_watermark: u32,
    pub sample_max_stack: u16,
    pub reserved_2: u16,
}

/// `perf_event_open` of a kprobe PMU event whose `config1` is the address
/// of the function name `name` (the kernel copies the string).
pub(crate) fn perf_event_open_named(
    attr: &PerfEventAttr,
    name: &std::ffi::CStr,
    pid: i32,
    cpu: i32,
) -> SysResult<OwnedFd> {
    let mut attr = *attr;
    attr.config1 = name.as_ptr() as u64;
    perf_event_open_raw(attr, pid, cpu)
}

/// `perf_event_open(attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC)`.
///
/// The attributes built by this crate never carry addresses (`config1` is
/// a breakpoint address the kernel does not dereference, never a string
/// pointer), so the call is safe.
pub(crate) fn perf_event_open(attr: &PerfEventAttr, pid: i32, cpu: i32) -> SysResult<OwnedFd> {
    perf_event_open_raw(*attr, pid, cpu)
}

/// The call itself. Any address in `attr` (a kprobe name in `config1`) must
/// be valid for the duration of the call: the callers above guarantee it.
fn perf_event_open_raw(mut attr: PerfEventAttr, pid: i32, cpu: i32) -> SysResult<OwnedFd> {
    const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
    attr.size = size_of::<PerfEventAttr>() as u32;
    // SAFETY: `attr` is a valid perf_event_attr whose `size` field matches
    // the bytes we own; the kernel only reads it (and may write back `size`
    // on E2BIG, which stays inside the struct).
    let ret = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &mut attr as *mut PerfEventAttr,
            pid as libc::c_long,
            cpu as libc::c_long,
            -1 as libc::c_long,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    owned_fd(ret)
}

/// `perf_event_open` of a probe event whose `config1` is the address of a
/// NUL-terminated path (the `uprobe` PMU): `attr.config1` is overwritten
/// with `path`'s address for the duration of the call.
pub(crate) fn perf_event_open_path(
    attr: &PerfEventAttr,
    path: &std::ffi::CStr,
    pid: i32,
    cpu: i32,
) -> SysResult<OwnedFd> {
    const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
    let mut attr = *attr;
    attr.size = size_of::<PerfEventAttr>() as u32;
    attr.config1 = path.as_ptr() as u64;
    // SAFETY: as in `perf_event_open`, plus `config1` points at `path`, a
    // NUL-terminated string borrowed for the whole call; the kernel copies
    // it and keeps no reference.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &mut attr as *mut PerfEventAttr,
            pid as libc::c_long,
            cpu as libc::c_long,
            -1 as libc::c_long,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    owned_fd(ret)
}

/// An `ioctl` on a perf event whose argument is an integer, not an address
/// (`PERF_EVENT_IOC_ENABLE`, `_DISABLE`, `_SET_BPF`).
pub(crate) fn perf_ioctl(
    fd: BorrowedFd<'_>,
    request: libc::c_ulong,
    arg: libc::c_ulong,
) -> SysResult<()> {
    // SAFETY: the requests used here take a plain integer argument, so the
    // kernel dereferences no memory of ours; `fd` is a live descriptor.
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg) };
    if ret < 0 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

/// `mmap(NULL, len, prot, MAP_SHARED, fd, offset)`.
pub(crate) fn mmap_shared(
    fd: BorrowedFd<'_>,
    len: usize,
    prot: i32,
    offset: usize,
) -> SysResult<*mut u8> {
    // SAFETY: with a NULL hint and without MAP_FIXED the kernel picks a fresh
    // range, so no existing mapping of ours is replaced.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            offset as libc::off_t,
        )
    };
    if ptr == libc::MAP_FAILED {
        Err(last_errno())
    } else {
        Ok(ptr as *mut u8)
    }
}

/// `munmap(ptr, len)`.
///
/// # Safety
/// `ptr..ptr+len` must be a mapping made by [`mmap_shared`] that nothing
/// will access afterwards.
pub(crate) unsafe fn munmap(ptr: *mut u8, len: usize) {
    // SAFETY: per this function's contract.
    unsafe { libc::munmap(ptr as *mut libc::c_void, len) };
}

pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf reads a constant and touches no memory of ours.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|s| *s > 0)
        .unwrap_or(4096)
}

pub(crate) fn epoll_create() -> SysResult<OwnedFd> {
    // SAFETY: no pointers are passed.
    let ret = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    owned_fd(ret as libc::c_long)
}

pub(crate) fn epoll_add(epoll: BorrowedFd<'_>, fd: BorrowedFd<'_>, token: u64) -> SysResult<()> {
    let mut event = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: token,
    };
    // SAFETY: `event` is a valid epoll_event the kernel reads during the call.
    let ret = unsafe {
        libc::epoll_ctl(
            epoll.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            fd.as_raw_fd(),
            &mut event,
        )
    };
    if ret < 0 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

/// Wait up to `timeout_ms` and push the tokens of ready descriptors.
/// An interrupted wait reports nothing ready.
pub(crate) fn epoll_wait(
    epoll: BorrowedFd<'_>,
    timeout_ms: i32,
    ready: &mut Vec<u64>,
) -> SysResult<()> {
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 16];
    // SAFETY: the kernel writes at most `events.len()` entries into `events`.
    let n = unsafe {
        libc::epoll_wait(
            epoll.as_raw_fd(),
            events.as_mut_ptr(),
            events.len() as i32,
            timeout_ms,
        )
    };
    if n < 0 {
        let errno = last_errno();
        return if errno == libc::EINTR {
            Ok(())
        } else {
            Err(errno)
        };
    }
    ready.extend(events[..n as usize].iter().map(|e| e.u64));
    Ok(())
}

pub(crate) fn eventfd() -> SysResult<OwnedFd> {
    // SAFETY: no pointers are passed.
    let ret = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    owned_fd(ret as libc::c_long)
}

/// Read into `buf`; `Ok(0)` at end of file, `Err(EAGAIN)` when a
/// non-blocking descriptor has nothing.
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> SysResult<usize> {
    loop {
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
            )
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let errno = last_errno();
        if errno != libc::EINTR {
            return Err(errno);
        }
    }
}

pub(crate) fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> SysResult<usize> {
    loop {
        // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
        let n = unsafe {
            libc::write(
                fd.as_raw_fd(),
                buf.as_ptr() as *const libc::c_void,
                buf.len(),
            )
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let errno = last_errno();
        if errno != libc::EINTR {
            return Err(errno);
        }
    }
}

/// A signal set built from signal numbers.
pub(crate) fn sigset(signals: &[i32]) -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the whole set; sigaddset only modifies
    // an initialised set, and the numbers come from libc's constants.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        for &signal in signals {
            libc::sigaddset(set.as_mut_ptr(), signal);
        }
        set.assume_init()
    }
}

/// Block `set` in the calling thread, returning the previous mask.
pub(crate) fn block_signals(set: &libc::sigset_t) -> SysResult<libc::sigset_t> {
    let mut old = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: both pointers refer to sigset_t storage; the kernel fills `old`.
    let ret = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, set, old.as_mut_ptr()) };
    if ret != 0 {
        return Err(ret);
    }
    // SAFETY: pthread_sigmask succeeded, so it wrote the old mask.
    Ok(unsafe { old.assume_init() })
}

pub(crate) fn set_signal_mask(mask: &libc::sigset_t) {
    // SAFETY: `mask` is an initialised sigset_t; the old mask is not wanted.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, mask, std::ptr::null_mut()) };
}

pub(crate) fn signalfd(set: &libc::sigset_t) -> SysResult<OwnedFd> {
    // SAFETY: `set` is an initialised sigset_t the kernel copies.
    let ret = unsafe { libc::signalfd(-1, set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
    owned_fd(ret as libc::c_long)
}

/// Read one pending signal from a signalfd, if any.
pub(crate) fn read_signalfd(fd: BorrowedFd<'_>) -> SysResult<Option<i32>> {
    let mut info = MaybeUninit::<libc::signalfd_siginfo>::zeroed();
    let size = size_of::<libc::signalfd_siginfo>();
    // SAFETY: the kernel writes at most `size` bytes into `info`.
    let n = unsafe { libc::read(fd.as_raw_fd(), info.as_mut_ptr() as *mut libc::c_void, size) };
    if n < 0 {
        let errno = last_errno();
        return if errno == libc::EAGAIN {
            Ok(None)
        } else {
            Err(errno)
        };
    }
    if n as usize != size {
        return Ok(None);
    }
    // SAFETY: the struct was zero-initialised and a full record was read.
    Ok(Some(unsafe { info.assume_init() }.ssi_signo as i32))
}

pub(crate) fn pipe() -> SysResult<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: the kernel writes two descriptors into `fds`.
    let ret = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    if ret < 0 {
        return Err(last_errno());
    }
    // SAFETY: pipe2 succeeded, so both are new descriptors owned by no one.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// What the child does between `fork` and `execve`.
pub(crate) struct ChildPlan<'a> {
    pub program: &'a CStr,
    pub argv: &'a [*const libc::c_char],
    pub envp: &'a [*const libc::c_char],
    /// Read end of the "go" pipe: the child blocks on it.
    pub go: RawFd,
    /// Write end of the error pipe (close-on-exec): the child writes its
    /// errno there if `execve` fails.
    pub report: RawFd,
}

/// Fork a child that waits for one byte on `plan.go`, restores an empty
/// signal mask and executes `plan.program`. Returns the child's pid.
///
/// Between fork and exec the child only makes async-signal-safe calls
/// (`read`, `sigprocmask`, `execve`, `write`, `_exit`) on data prepared
/// before the fork, so this is sound in a multi-threaded process.
pub(crate) fn fork_paused_exec(plan: &ChildPlan<'_>) -> SysResult<i32> {
    let empty = sigset(&[]);
    // SAFETY: fork duplicates the process; the child branch below uses only
    // async-signal-safe calls on memory prepared before the fork (the
    // CStrings and pointer arrays borrowed by `plan`, which are
    // NULL-terminated by the caller) and never returns.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(last_errno());
    }
    if pid == 0 {
        // SAFETY: see above; this branch runs in the child only and ends in
        // execve or _exit.
        unsafe {
            let mut byte = 0u8;
            let got = loop {
                let n = libc::read(plan.go, &mut byte as *mut u8 as *mut libc::c_void, 1);
                if n >= 0 || *libc::__errno_location() != libc::EINTR {
                    break n;
                }
            };
            if got != 1 {
                // The tracer went away or gave up: never run the command.
                libc::_exit(127);
            }
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            libc::execve(
                plan.program.as_ptr(),
                plan.argv.as_ptr(),
                plan.envp.as_ptr(),
            );
            let errno = *libc::__errno_location();
            let bytes = errno.to_ne_bytes();
            libc::write(
                plan.report,
                bytes.as_ptr() as *const libc::c_void,
                bytes.len(),
            );
            libc::_exit(127);
        }
    }
    Ok(pid)
}

pub(crate) fn kill(pid: i32, signal: i32) -> SysResult<()> {
    // SAFETY: no pointers are passed.
    let ret = unsafe { libc::kill(pid, signal) };
    if ret < 0 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

/// `waitpid(pid, &status, WNOHANG or 0)`: `Some(status)` once reaped.
pub(crate) fn waitpid(pid: i32, block: bool) -> SysResult<Option<i32>> {
    let mut status = 0;
    let flags = if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: the kernel writes one int into `status`.
        let ret = unsafe { libc::waitpid(pid, &mut status, flags) };
        if ret == pid {
            return Ok(Some(status));
        }
        if ret == 0 {
            return Ok(None);
        }
        let errno = last_errno();
        if errno != libc::EINTR {
            return Err(errno);
        }
    }
}

/// `pidfd_open(pid, 0)`: a descriptor that becomes readable when `pid` exits.
pub(crate) fn pidfd_open(pid: i32) -> SysResult<OwnedFd> {
    // SAFETY: no pointers are passed.
    let ret =
        unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::c_long, 0 as libc::c_long) };
    owned_fd(ret)
}

pub(crate) fn mount(
    source: &CStr,
    target: &CStr,
    fstype: &CStr,
    data: Option<&CStr>,
) -> SysResult<()> {
    let data_ptr = data.map_or(std::ptr::null(), |d| d.as_ptr() as *const libc::c_void);
    // SAFETY: all strings are NUL-terminated and live across the call.
    let ret = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            data_ptr,
        )
    };
    if ret < 0 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

/// The `f_type` magic of the file system holding `path`.
pub(crate) fn statfs_magic(path: &CStr) -> SysResult<i64> {
    let mut buf = MaybeUninit::<libc::statfs>::zeroed();
    // SAFETY: `path` is NUL-terminated; the kernel fills `buf`.
    let ret = unsafe { libc::statfs(path.as_ptr(), buf.as_mut_ptr()) };
    if ret < 0 {
        return Err(last_errno());
    }
    // SAFETY: statfs succeeded and filled the zero-initialised struct.
    Ok(unsafe { buf.assume_init() }.f_type)
}

/// `CLOCK_MONOTONIC` in nanoseconds: what `bpf_ktime_get_ns` counts.
pub(crate) fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// The clock `id` in nanoseconds (0 if the kernel does not know it).
pub(crate) fn clock_ns(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: the kernel writes one timespec into `ts`.
    if unsafe { libc::clock_gettime(id, &mut ts) } != 0 {
        return 0;
    }
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

pub(crate) fn gettid() -> i32 {
    // SAFETY: no pointers are passed.
    unsafe { libc::gettid() }
}

pub(crate) fn geteuid() -> u32 {
    // SAFETY: no pointers are passed.
    unsafe { libc::geteuid() }
}

/// Build a C string, refusing interior NULs.
pub(crate) fn cstring(text: &str) -> Option<CString> {
    CString::new(text).ok()
}

/// Send `signal` to the calling thread only.
#[cfg(test)]
pub(crate) fn signal_this_thread(signal: i32) {
    // SAFETY: no pointers are passed; the target is this very thread.
    unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), libc::gettid(), signal) };
}
