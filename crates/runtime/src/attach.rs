//! Attaching programs where their probes point, and detaching them all.

use anyhow::{bail, Context};
use sonde_codegen::object::{AttachTarget, ProgKind, Sample};
use std::os::fd::AsRawFd;

use sonde_sys::{
    Link, Map, PerfAttachment, PerfEvent, Program, Sampling, SoftwareEvent, Target, Tracefs,
    UpdateFlags,
};

/// Everything attached by a session. Dropping it detaches serially;
/// [`Attachments::detach_all`] is the fast way.
#[derive(Debug, Default)]
pub struct Attachments {
    perf: Vec<PerfAttachment>,
    links: Vec<Link>,
    /// Attach points, counted as bpftrace counts them: one per probe (a
    /// profile probe on every CPU is one), BEGIN and END included.
    probes: usize,
}

/// Closing a tracepoint perf event waits for RCU grace periods in the
/// kernel (about 80 ms each here); spread the closes over threads. The
/// kernel serialises most of that work under its own locks, so more
/// threads than this buy nothing.
const DETACH_THREADS: usize = 8;

impl Attachments {
    pub fn new() -> Attachments {
        Attachments::default()
    }

    /// Probes counted for `Attached N probes`.
    pub fn probe_count(&self) -> usize {
        self.probes
    }

    /// Attach `prog` at `target`, passing `cookie` (the probe index).
    /// BEGIN and END are only counted: they are run, not attached.
    pub fn attach(
        &mut self,
        prog: &Program,
        kind: ProgKind,
        target: &AttachTarget,
        cookie: u64,
        probe_name: &str,
    ) -> anyhow::Result<()> {
        let expected = match target {
            AttachTarget::Begin | AttachTarget::End => ProgKind::RunOnce,
            AttachTarget::Tracepoint { .. } => ProgKind::Tracepoint,
            AttachTarget::RawTracepoint { .. } => ProgKind::RawTracepoint,
            AttachTarget::Interval { .. } | AttachTarget::Profile { .. } => ProgKind::PerfEvent,
            AttachTarget::SyscallDispatch { .. } | AttachTarget::SyscallTail { .. } => {
                ProgKind::RawTracepoint
            }
        };
        if kind != expected {
            bail!("cannot attach {probe_name}: a {kind:?} program cannot attach to a {expected:?} target");
        }
        let context = || format!("cannot attach {probe_name}");
        match target {
            AttachTarget::Begin | AttachTarget::End => {}
            AttachTarget::Tracepoint { category, name } => {
                let id = Tracefs::get()
                    .and_then(|fs| fs.event_id(category, name))
                    .with_context(context)?;
                let event = PerfEvent::tracepoint(id, Target::cpu(0)).with_context(context)?;
                self.perf
                    .push(PerfAttachment::attach(prog, event, cookie).with_context(context)?);
            }
            AttachTarget::RawTracepoint { name } => {
                self.links
                    .push(Link::raw_tracepoint(prog, name, cookie).with_context(context)?);
            }
            AttachTarget::SyscallDispatch { exit } => {
                let name = if *exit { "sys_exit" } else { "sys_enter" };
                self.links
                    .push(Link::raw_tracepoint(prog, name, 0).with_context(context)?);
                // The dispatcher serves the script's probes; it is not one.
                return Ok(());
            }
            AttachTarget::SyscallTail { .. } => {
                bail!("{probe_name}: a tail-called program is placed with fill_tail, not attached")
            }
            AttachTarget::Interval { period_ns } => {
                let cpu = sonde_sys::cpu::online_cpus()
                    .with_context(context)?
                    .first()
                    .copied()
                    .unwrap_or(0);
                let event = PerfEvent::software(
                    SoftwareEvent::CpuClock,
                    Sampling::Period(*period_ns),
                    Target::cpu(cpu),
                )
                .with_context(context)?;
                self.perf
                    .push(PerfAttachment::attach(prog, event, cookie).with_context(context)?);
            }
            AttachTarget::Profile { sample } => {
                let sampling = match *sample {
                    Sample::Frequency(hz) => Sampling::Frequency(hz),
                    Sample::PeriodNs(ns) => Sampling::Period(ns),
                };
                for cpu in sonde_sys::cpu::online_cpus().with_context(context)? {
                    let event =
                        PerfEvent::software(SoftwareEvent::CpuClock, sampling, Target::cpu(cpu))
                            .with_context(context)?;
                    self.perf
                        .push(PerfAttachment::attach(prog, event, cookie).with_context(context)?);
                }
            }
        }
        self.probes += 1;
        Ok(())
    }

    /// Put `prog` into the program array `tails` at `nr`: the syscall
    /// dispatcher calls it from then on. Counted as a probe.
    pub fn fill_tail(
        &mut self,
        tails: &Map,
        nr: u32,
        prog: &Program,
        probe_name: &str,
    ) -> anyhow::Result<()> {
        let fd = prog.fd().as_raw_fd() as u32;
        tails
            .update(&nr.to_le_bytes(), &fd.to_le_bytes(), UpdateFlags::Any)
            .with_context(|| format!("cannot attach {probe_name}"))?;
        self.probes += 1;
        Ok(())
    }

    /// Detach everything: raw tracepoint links first (cheap), then the
    /// perf events, closed from several threads at once.
    pub fn detach_all(&mut self) {
        self.links.clear();
        let mut perf = std::mem::take(&mut self.perf);
        if perf.len() < 2 {
            return;
        }
        let threads = DETACH_THREADS.min(perf.len());
        let chunk = perf.len().div_ceil(threads);
        std::thread::scope(|scope| {
            while !perf.is_empty() {
                let part = perf.split_off(perf.len().saturating_sub(chunk));
                // If no thread can be made, the closure (and its part) is
                // dropped right here: detached serially instead.
                let _ = std::thread::Builder::new().spawn_scoped(scope, move || drop(part));
            }
        });
    }
}
