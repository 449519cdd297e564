//! Attaching to the event sources beyond tracepoints and timers: software
//! and hardware perf events, watchpoints, kprobes, fentry/fexit and
//! iterators.

use anyhow::{bail, Context};
use sonde_codegen::object::AttachTarget;
use sonde_sys::{
    BreakpointKind, Link, PerfAttachment, PerfEvent, Program, Sampling, SoftwareEvent, Target,
};

use super::Attachments;

impl Attachments {
    /// The traced process: `pid` (`-p`) makes software and hardware events
    /// count its threads only; watchpoints follow `pid` or the `-c`
    /// command `child`, as bpftrace does.
    pub fn set_traced(&mut self, pid: Option<u32>, child: Option<u32>) {
        self.target_pid = pid;
        self.watch_pid = pid.or(child);
    }

    pub(super) fn attach_source(
        &mut self,
        prog: &Program,
        target: &AttachTarget,
        cookie: u64,
    ) -> anyhow::Result<()> {
        match *target {
            AttachTarget::Software { config, period } => {
                let event = SoftwareEvent::from_config(config)
                    .with_context(|| format!("software event {config} is unknown"))?;
                self.each_cpu(prog, cookie, |target| {
                    PerfEvent::software(event, Sampling::Period(period), target)
                })
            }
            AttachTarget::Hardware { config, period } => self.each_cpu(prog, cookie, |target| {
                PerfEvent::hardware(config, Sampling::Period(period), target)
            }),
            AttachTarget::Watchpoint { addr, len, access } => {
                self.watchpoint(prog, cookie, addr, len, access)
            }
            AttachTarget::Kprobe {
                ref module,
                ref function,
                offset,
                addr,
                ret,
            } => {
                let symbol = kprobe_symbol(module.as_deref(), function);
                let event =
                    PerfEvent::kprobe(&symbol, offset, addr.unwrap_or(0), ret, Target::cpu(0))?;
                self.perf.push(PerfAttachment::attach(prog, event, cookie)?);
                Ok(())
            }
            AttachTarget::Fentry { ret, .. } => {
                let kind = if ret {
                    sonde_sys::AttachType::TraceFexit
                } else {
                    sonde_sys::AttachType::TraceFentry
                };
                // No cookie: kernels before 6.0 refuse one on tracing
                // links, and the code generator compiles `probe` and
                // `func` into each tracing program instead.
                self.links.push(Link::tracing(prog, kind, 0)?);
                Ok(())
            }
            AttachTarget::Iter { ref pin, .. } => {
                self.iters.push((Link::iter(prog)?, pin.clone()));
                Ok(())
            }
            _ => bail!("not an event source of this module"),
        }
    }

    /// One event per online CPU, for every process or only `-p`'s.
    fn each_cpu(
        &mut self,
        prog: &Program,
        cookie: u64,
        open: impl Fn(Target) -> sonde_sys::Result<PerfEvent>,
    ) -> anyhow::Result<()> {
        let pid = self.target_pid.map_or(-1, |p| p as i32);
        for cpu in sonde_sys::cpu::online_cpus()? {
            let event = open(Target {
                pid,
                cpu: cpu as i32,
            })?;
            self.perf.push(PerfAttachment::attach(prog, event, cookie)?);
        }
        Ok(())
    }

    /// A breakpoint on every CPU, or on every thread of the traced process
    /// (inherited by the threads it creates later). Threads may exit while
    /// this runs: it fails only if no breakpoint could be set.
    fn watchpoint(
        &mut self,
        prog: &Program,
        cookie: u64,
        addr: u64,
        len: u8,
        access: u8,
    ) -> anyhow::Result<()> {
        let kind = match access {
            1 => BreakpointKind::Read,
            2 => BreakpointKind::Write,
            3 => BreakpointKind::ReadWrite,
            4 => BreakpointKind::Execute,
            _ => bail!("watchpoint access bits {access} are not one of r, w, rw or x"),
        };
        let targets: Vec<Target> = match self.watch_pid {
            Some(pid) => sonde_sys::process_threads(pid)?
                .into_iter()
                .map(Target::thread)
                .collect(),
            None => sonde_sys::cpu::online_cpus()?
                .into_iter()
                .map(Target::cpu)
                .collect(),
        };
        let inherit = self.watch_pid.is_some();
        let mut first_error = None;
        let mut attached = 0;
        for target in targets {
            let result = PerfEvent::breakpoint(addr, len.into(), kind, target, inherit)
                .and_then(|event| PerfAttachment::attach(prog, event, cookie));
            match result {
                Ok(attachment) => {
                    self.perf.push(attachment);
                    attached += 1;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) if attached == 0 => {
                let hint = if e.errno() == Some(libc::ENOSPC) {
                    ": no more hardware debug registers left"
                } else {
                    ""
                };
                Err(anyhow::Error::from(e))
                    .context(format!("cannot set a watchpoint at {addr:#x}{hint}"))
            }
            _ => Ok(()),
        }
    }

    /// Run every iterator to its end, handing what its program writes to
    /// its seq_file to `output` and calling `between` after each read (to
    /// drain the ring buffer). Pinned iterators are pinned instead; their
    /// paths are returned.
    pub fn run_iterators(&mut self, mut output: impl FnMut(&[u8])) -> anyhow::Result<Vec<String>> {
        let mut pinned = Vec::new();
        for (link, pin) in &self.iters {
            match pin {
                Some(path) => {
                    let path = if path.starts_with('/') {
                        path.clone()
                    } else {
                        format!("/sys/fs/bpf/{path}")
                    };
                    link.pin(&path)
                        .with_context(|| format!("cannot pin the iterator at {path}"))?;
                    pinned.push(path);
                }
                None => link.run_iter(&mut output)?,
            }
        }
        Ok(pinned)
    }
}

/// The symbol a perf kprobe names: `MODULE:NAME` for a module's function,
/// which the kernel looks up in that module only, so that it is not
/// mistaken for a function of vmlinux with the same name.
fn kprobe_symbol(module: Option<&str>, function: &str) -> String {
    match module {
        Some(module) if module != "vmlinux" && !function.is_empty() => {
            format!("{module}:{function}")
        }
        _ => function.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::kprobe_symbol;

    #[test]
    fn a_module_function_is_named_with_its_module() {
        assert_eq!(
            kprobe_symbol(Some("nf_tables"), "nft_do_chain"),
            "nf_tables:nft_do_chain"
        );
        assert_eq!(kprobe_symbol(Some("vmlinux"), "vfs_read"), "vfs_read");
        assert_eq!(kprobe_symbol(None, "vfs_read"), "vfs_read");
        // An address kprobe has no symbol at all.
        assert_eq!(kprobe_symbol(Some("nf_tables"), ""), "");
    }
}
