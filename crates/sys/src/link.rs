//! Links: a program attached somewhere, detached when the link closes.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::attr::{self, cmd};
use crate::prog::AttachType;
use crate::syscall;
use crate::{Error, PerfEvent, Program, Result};

/// A BPF link; dropping it detaches the program.
#[derive(Debug)]
pub struct Link {
    fd: OwnedFd,
}

impl Link {
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The kernel's id for this link.
    pub fn id(&self) -> Result<u32> {
        crate::objects::link_info(self.fd.as_fd()).map(|info| info.id)
    }

    /// `BPF_LINK_CREATE` of `prog` on a perf event (attach type
    /// `BPF_PERF_EVENT`), passing `cookie` to `bpf_get_attach_cookie`.
    /// The link holds its own reference to the event, but the event's
    /// descriptor must stay open for the attachment to keep firing.
    pub fn perf_event(prog: &Program, event: &PerfEvent, cookie: u64) -> Result<Link> {
        let mut attr = attr::LinkCreate {
            prog_fd: prog.fd().as_raw_fd() as u32,
            target_fd: event.fd().as_raw_fd() as u32,
            attach_type: AttachType::PerfEvent.kernel_id(),
            word0: cookie,
            ..Default::default()
        };
        // SAFETY: BPF_LINK_CREATE for perf events carries no addresses.
        let fd = unsafe { syscall::bpf_fd(cmd::LINK_CREATE, &mut attr) }.map_err(|errno| {
            Error::os(cmd::op(cmd::LINK_CREATE), errno)
                .with_explanation(format!("attaching `{}` to a perf event", prog.name()))
        })?;
        Ok(Link { fd })
    }

    /// `BPF_RAW_TRACEPOINT_OPEN` of a raw tracepoint program on `name`,
    /// with `cookie` (kernels before 6.10 cannot pass a cookie: there a
    /// non-zero cookie is an error and a zero one is sent the old way).
    ///
    /// `BPF_LINK_CREATE` with `BPF_TRACE_RAW_TP` is not usable here: the
    /// kernel only accepts it for `tp_btf` tracing programs, whose target
    /// comes from BTF rather than a name.
    pub fn raw_tracepoint(prog: &Program, name: &str, cookie: u64) -> Result<Link> {
        let op = cmd::op(cmd::RAW_TRACEPOINT_OPEN);
        let c_name = syscall::cstring(name).ok_or_else(|| {
            Error::invalid(op, format!("tracepoint name `{name}` contains a NUL"))
        })?;
        let result = if cookie == 0 {
            open_raw_tp_v1(prog, &c_name)
        } else {
            let mut attr = attr::RawTracepointOpen {
                name: c_name.as_ptr() as u64,
                prog_fd: prog.fd().as_raw_fd() as u32,
                cookie,
                ..Default::default()
            };
            // SAFETY: `name` points to a NUL-terminated string that outlives
            // the call.
            unsafe { syscall::bpf_fd(cmd::RAW_TRACEPOINT_OPEN, &mut attr) }
        };
        result.map(|fd| Link { fd }).map_err(|errno| {
            let err = Error::os(op, errno);
            if errno == libc::EINVAL && cookie != 0 {
                err.with_explanation(format!("raw tracepoint `{name}`: this kernel cannot pass a BPF cookie to raw tracepoints (needs Linux 6.10)"))
            } else {
                err.with_explanation(format!("raw tracepoint `{name}`"))
            }
        })
    }

    /// `BPF_RAW_TRACEPOINT_OPEN` of a `tp_btf` program: the tracepoint was
    /// fixed when it was loaded (its BTF id), so no name is given. (Linux
    /// 5.5 and later take this; `BPF_LINK_CREATE` only since 6.10.)
    pub fn raw_tracepoint_btf(prog: &Program) -> Result<Link> {
        let mut attr = attr::RawTracepointOpenV1 {
            name: 0,
            prog_fd: prog.fd().as_raw_fd() as u32,
            ..Default::default()
        };
        // SAFETY: the attribute carries no address (a NULL name).
        let fd =
            unsafe { syscall::bpf_fd(cmd::RAW_TRACEPOINT_OPEN, &mut attr) }.map_err(|errno| {
                Error::os(cmd::op(cmd::RAW_TRACEPOINT_OPEN), errno)
                    .with_explanation(format!("attaching `{}`", prog.name()))
            })?;
        Ok(Link { fd })
    }

    /// `BPF_LINK_CREATE` for a loaded tracing program (fentry, fexit,
    /// tp_btf): its target was fixed at load time.
    pub fn tracing(prog: &Program, attach_type: AttachType, cookie: u64) -> Result<Link> {
        let mut attr = attr::LinkCreate {
            prog_fd: prog.fd().as_raw_fd() as u32,
            attach_type: attach_type.kernel_id(),
            word1: cookie,
            ..Default::default()
        };
        // SAFETY: BPF_LINK_CREATE for tracing programs carries no addresses.
        let fd = unsafe { syscall::bpf_fd(cmd::LINK_CREATE, &mut attr) }.map_err(|errno| {
            Error::os(cmd::op(cmd::LINK_CREATE), errno)
                .with_explanation(format!("attaching `{}`", prog.name()))
        })?;
        Ok(Link { fd })
    }

    /// `BPF_LINK_CREATE` of a `uprobe_multi` link: `prog` (loaded with
    /// expected attach type `TraceUprobeMulti`) on every `(offset,
    /// ref_ctr_offset, cookie)` site of the file at `path`, as uretprobes
    /// when `ret`, in process `pid` only when given.
    pub fn uprobe_multi(
        prog: &Program,
        path: &str,
        sites: &[UprobeSite],
        ret: bool,
        pid: Option<u32>,
    ) -> Result<Link> {
        const BPF_F_UPROBE_MULTI_RETURN: u32 = 1;
        let op = cmd::op(cmd::LINK_CREATE);
        let c_path = syscall::cstring(path)
            .ok_or_else(|| Error::invalid(op, format!("path `{path}` contains a NUL")))?;
        if sites.is_empty() {
            return Err(Error::invalid(op, "a uprobe_multi link without sites"));
        }
        let offsets: Vec<u64> = sites.iter().map(|s| s.offset).collect();
        let ref_ctrs: Vec<u64> = sites.iter().map(|s| s.ref_ctr_offset).collect();
        let cookies: Vec<u64> = sites.iter().map(|s| s.cookie).collect();
        let mut attr = attr::LinkCreateUprobeMulti {
            prog_fd: prog.fd().as_raw_fd() as u32,
            attach_type: AttachType::TraceUprobeMulti.kernel_id(),
            path: c_path.as_ptr() as u64,
            offsets: offsets.as_ptr() as u64,
            ref_ctr_offsets: if ref_ctrs.iter().any(|&r| r != 0) {
                ref_ctrs.as_ptr() as u64
            } else {
                0
            },
            cookies: cookies.as_ptr() as u64,
            cnt: sites.len() as u32,
            multi_flags: if ret { BPF_F_UPROBE_MULTI_RETURN } else { 0 },
            pid: pid.unwrap_or(0),
            ..Default::default()
        };
        // SAFETY: `path` is NUL-terminated and the three arrays hold `cnt`
        // u64s each; all outlive the call, and the kernel copies them.
        let fd = unsafe { syscall::bpf_fd(cmd::LINK_CREATE, &mut attr) }.map_err(|errno| {
            Error::os(op, errno).with_explanation(format!(
                "attaching `{}` to {} {} of {path}",
                prog.name(),
                sites.len(),
                if ret { "uretprobes" } else { "uprobes" }
            ))
        })?;
        Ok(Link { fd })
    }

    /// `BPF_LINK_CREATE` of a loaded iterator program (`BPF_TRACE_ITER`)
    /// over every object of its kind.
    pub fn iter(prog: &Program) -> Result<Link> {
        let mut attr = attr::LinkCreate {
            prog_fd: prog.fd().as_raw_fd() as u32,
            attach_type: AttachType::TraceIter.kernel_id(),
            ..Default::default()
        };
        // SAFETY: BPF_LINK_CREATE for iterators without iter_info carries
        // no addresses.
        let fd = unsafe { syscall::bpf_fd(cmd::LINK_CREATE, &mut attr) }.map_err(|errno| {
            Error::os(cmd::op(cmd::LINK_CREATE), errno)
                .with_explanation(format!("creating iterator link of `{}`", prog.name()))
        })?;
        Ok(Link { fd })
    }

    /// Run an iterator link to its end (`BPF_ITER_CREATE`, then `read` to
    /// EOF): its program runs once per object, then once more with no
    /// object. `output` gets what the program wrote to the seq_file.
    pub fn run_iter(&self, mut output: impl FnMut(&[u8])) -> Result<()> {
        let mut attr = attr::IterCreate {
            link_fd: self.fd.as_raw_fd() as u32,
            flags: 0,
        };
        // SAFETY: BPF_ITER_CREATE carries no addresses.
        let iter = unsafe { syscall::bpf_fd(cmd::ITER_CREATE, &mut attr) }
            .map_err(|errno| Error::os(cmd::op(cmd::ITER_CREATE), errno))?;
        let mut buf = vec![0u8; 4096];
        loop {
            let n = syscall::read(iter.as_fd(), &mut buf)
                .map_err(|errno| Error::os("read(bpf iterator)", errno))?;
            if n == 0 {
                return Ok(());
            }
            output(&buf[..n]);
        }
    }

    /// `BPF_LINK_CREATE` of a kprobe program on every function in `names`
    /// at once (`BPF_TRACE_KPROBE_MULTI`, Linux 5.18), each with its cookie;
    /// kretprobes when `ret`.
    pub fn kprobe_multi(
        prog: &Program,
        names: &[&str],
        cookies: &[u64],
        ret: bool,
    ) -> Result<Link> {
        let op = cmd::op(cmd::LINK_CREATE);
        if names.len() != cookies.len() || names.is_empty() {
            return Err(Error::invalid(
                op,
                format!(
                    "{} kprobe_multi symbols with {} cookies",
                    names.len(),
                    cookies.len()
                ),
            ));
        }
        let c_names = names
            .iter()
            .map(|n| {
                syscall::cstring(n)
                    .ok_or_else(|| Error::invalid(op, format!("symbol `{n}` contains a NUL")))
            })
            .collect::<Result<Vec<CString>>>()?;
        let pointers: Vec<u64> = c_names.iter().map(|c| c.as_ptr() as u64).collect();
        let mut attr = attr::LinkCreateKprobeMulti {
            prog_fd: prog.fd().as_raw_fd() as u32,
            attach_type: AttachType::TraceKprobeMulti.kernel_id(),
            kprobe_flags: u32::from(ret),
            cnt: names.len() as u32,
            syms: pointers.as_ptr() as u64,
            cookies: cookies.as_ptr() as u64,
            ..Default::default()
        };
        // SAFETY: `syms` points to `cnt` pointers to NUL-terminated strings
        // and `cookies` to `cnt` u64s; all outlive the call.
        let fd = unsafe { syscall::bpf_fd(cmd::LINK_CREATE, &mut attr) }.map_err(|errno| {
            Error::os(op, errno).with_explanation(format!(
                "attaching `{}` to {} kernel functions",
                prog.name(),
                names.len()
            ))
        })?;
        Ok(Link { fd })
    }

    /// Pin this link at `path` in a bpffs, so it outlives this process.
    pub fn pin(&self, path: &str) -> Result<()> {
        crate::objects::pin(self.fd.as_fd(), path)
    }
}

fn open_raw_tp_v1(prog: &Program, name: &CString) -> std::result::Result<OwnedFd, i32> {
    let mut attr = attr::RawTracepointOpenV1 {
        name: name.as_ptr() as u64,
        prog_fd: prog.fd().as_raw_fd() as u32,
        ..Default::default()
    };
    // SAFETY: `name` points to a NUL-terminated string that outlives the call.
    unsafe { syscall::bpf_fd(cmd::RAW_TRACEPOINT_OPEN, &mut attr) }
}

/// One site of a `uprobe_multi` link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UprobeSite {
    /// File offset of the probed instruction.
    pub offset: u64,
    /// File offset of a USDT semaphore to count in, 0 for none.
    pub ref_ctr_offset: u64,
    /// What `bpf_get_attach_cookie` returns there.
    pub cookie: u64,
}

/// A program attached to a perf event: by link when the kernel has perf
/// links (5.15+), otherwise by `PERF_EVENT_IOC_SET_BPF` without a cookie.
/// Dropping it detaches the program, then closes the event.
#[derive(Debug)]
pub struct PerfAttachment {
    // Field order is drop order: the link goes before the event.
    link: Option<Link>,
    event: PerfEvent,
}

impl PerfAttachment {
    /// Attach `prog` to `event` with `cookie`, falling back to the ioctl
    /// when the kernel does not know `BPF_LINK_CREATE` for perf events.
    pub fn attach(prog: &Program, event: PerfEvent, cookie: u64) -> Result<PerfAttachment> {
        match Link::perf_event(prog, &event, cookie) {
            Ok(link) => Ok(PerfAttachment {
                link: Some(link),
                event,
            }),
            Err(e) if e.errno() == Some(libc::EINVAL) => {
                event.set_bpf(prog)?;
                event.enable()?;
                Ok(PerfAttachment { link: None, event })
            }
            Err(e) => Err(e),
        }
    }

    /// False when the fallback was taken and the program sees cookie 0.
    pub fn has_cookie(&self) -> bool {
        self.link.is_some()
    }

    /// Detach the program now, keeping the event open. Closing a
    /// tracepoint event is slow (the kernel waits for an RCU grace period),
    /// closing its link is not: this lets a caller stop the program at once
    /// and pay for the close later or on another thread. Without a link the
    /// event is disabled instead; the program stays until the event closes.
    pub fn detach_program(&mut self) {
        if self.link.take().is_none() {
            let _ = self.event.disable();
        }
    }

    pub fn event(&self) -> &PerfEvent {
        &self.event
    }

    /// Split into parts so the event can be closed elsewhere.
    pub fn into_parts(self) -> (Option<Link>, PerfEvent) {
        (self.link, self.event)
    }
}
