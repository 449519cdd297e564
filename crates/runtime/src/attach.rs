//! Attaching programs where their probes point, and detaching them all.

mod kprobes;
mod sources;

use kprobes::NO_KPROBE_MULTI_ENV;

use std::collections::{BTreeMap, HashSet};

use anyhow::{bail, Context};
use std::os::fd::AsRawFd;

use sonde_codegen::object::{AttachTarget, Object, ProgKind, ProgramDef, Sample};
use sonde_sys::ProgType;
use sonde_sys::{
    Link, Map, PerfAttachment, PerfEvent, Program, Sampling, SoftwareEvent, Target, Tracefs,
    UpdateFlags, UprobeSite,
};

/// Everything attached by a session. Dropping it detaches serially;
/// [`Attachments::detach_all`] is the fast way.
#[derive(Debug)]
pub struct Attachments {
    perf: Vec<PerfAttachment>,
    links: Vec<Link>,
    /// Attach points, counted as bpftrace counts them: one per probe of
    /// each block (a profile probe on every CPU is one, a USDT probe at
    /// several sites is one, two blocks on the same point are two), BEGIN
    /// and END included. Keyed by (block, probe index).
    probes: HashSet<(u32, u32)>,
    /// Set once the kernel refused a `uprobe_multi` link: every later
    /// uprobe goes through perf events.
    no_uprobe_multi: bool,
    /// The same for `kprobe_multi` links and kprobes.
    no_kprobe_multi: bool,
    /// `-p`/`-c`: the one process uprobes fire in.
    uprobe_pid: Option<u32>,
    /// The perf event target of uprobes (any process: CPU 0 stands for all,
    /// as uprobes run their programs on whichever CPU hits them).
    uprobe_target: Target,
    /// Iterator links, run (or pinned at the path) once all is attached.
    iters: Vec<(Link, Option<String>)>,
    /// The process traced with `-p`: software and hardware events count
    /// its threads only.
    target_pid: Option<u32>,
    /// The process whose threads watchpoints watch (`-p` or `-c`).
    watch_pid: Option<u32>,
}

/// Set in the environment, uprobes attach through perf events even where
/// the kernel has `uprobe_multi` links: the path older kernels take, kept
/// testable on new ones.
pub const NO_UPROBE_MULTI_ENV: &str = "SONDE_NO_UPROBE_MULTI";

impl Default for Attachments {
    fn default() -> Self {
        Attachments {
            perf: Vec::new(),
            links: Vec::new(),
            probes: HashSet::new(),
            no_uprobe_multi: std::env::var_os(NO_UPROBE_MULTI_ENV).is_some(),
            no_kprobe_multi: std::env::var_os(NO_KPROBE_MULTI_ENV).is_some(),
            uprobe_pid: None,
            uprobe_target: Target::cpu(0),
            iters: Vec::new(),
            target_pid: None,
            watch_pid: None,
        }
    }
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
        self.probes.len()
    }

    /// Attach `prog` at `target` for probe block `block`, passing `cookie`
    /// (the probe index). BEGIN and END are only counted: they are run,
    /// not attached.
    pub fn attach(
        &mut self,
        prog: &Program,
        kind: ProgKind,
        target: &AttachTarget,
        (block, cookie): (u32, u64),
        probe_name: &str,
    ) -> anyhow::Result<()> {
        let expected = match target {
            AttachTarget::Begin | AttachTarget::End => ProgKind::RunOnce,
            AttachTarget::Tracepoint { .. } => ProgKind::Tracepoint,
            // A tp_btf program is bound to its tracepoint when loaded.
            AttachTarget::RawTracepoint { .. } if kind == ProgKind::TpBtf => ProgKind::TpBtf,
            AttachTarget::RawTracepoint { .. } => ProgKind::RawTracepoint,
            AttachTarget::Interval { .. } | AttachTarget::Profile { .. } => ProgKind::PerfEvent,
            AttachTarget::SyscallDispatch { .. } | AttachTarget::SyscallTail { .. } => {
                ProgKind::RawTracepoint
            }
            AttachTarget::Uprobe { .. } => ProgKind::Kprobe,
            AttachTarget::Software { .. }
            | AttachTarget::Hardware { .. }
            | AttachTarget::Watchpoint { .. } => ProgKind::PerfEvent,
            AttachTarget::Signal { .. } => ProgKind::RunOnce,
            AttachTarget::Kprobe { .. } => ProgKind::Kprobe,
            AttachTarget::Fentry { ret: false, .. } => ProgKind::Fentry,
            AttachTarget::Fentry { ret: true, .. } => ProgKind::Fexit,
            AttachTarget::Iter { .. } => ProgKind::Iter,
            AttachTarget::Bench { .. } => ProgKind::Bench,
        };
        if kind != expected {
            bail!("cannot attach {probe_name}: a {kind:?} program cannot attach to a {expected:?} target");
        }
        let context = || format!("cannot attach {probe_name}");
        match target {
            AttachTarget::Begin | AttachTarget::End | AttachTarget::Signal { .. } => {}
            AttachTarget::Bench { .. } => {
                bail!("cannot attach {probe_name}: benchmarks are run, not attached")
            }
            AttachTarget::Software { .. }
            | AttachTarget::Hardware { .. }
            | AttachTarget::Watchpoint { .. }
            | AttachTarget::Kprobe { .. }
            | AttachTarget::Fentry { .. }
            | AttachTarget::Iter { .. } => self
                .attach_source(prog, target, cookie)
                .with_context(context)?,
            AttachTarget::Tracepoint { category, name } => {
                let id = Tracefs::get()
                    .and_then(|fs| fs.event_id(category, name))
                    .with_context(context)?;
                let event = PerfEvent::tracepoint(id, Target::cpu(0)).with_context(context)?;
                self.perf
                    .push(PerfAttachment::attach(prog, event, cookie).with_context(context)?);
            }
            AttachTarget::RawTracepoint { name } => {
                let link = if prog.prog_type() == ProgType::Tracing {
                    Link::raw_tracepoint_btf(prog)
                } else {
                    Link::raw_tracepoint(prog, name, cookie)
                };
                self.links.push(link.with_context(context)?);
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
            AttachTarget::Uprobe {
                path,
                offset,
                ret,
                ref_ctr_offset,
            } => {
                let (path, offset, ref_ctr_offset) = kernel_file(path, *offset, *ref_ctr_offset)
                    .map_err(|e| anyhow::anyhow!(e))
                    .with_context(context)?;
                let event =
                    PerfEvent::uprobe(&path, offset, *ret, ref_ctr_offset, self.uprobe_target)
                        .with_context(context)?;
                self.perf
                    .push(PerfAttachment::attach(prog, event, cookie).with_context(context)?);
            }
        }
        self.probes.insert((block, cookie as u32));
        Ok(())
    }

    /// Put `prog` into the program array `tails` at `nr`: the syscall
    /// dispatcher calls it from then on. Counted as probe `probe` of block
    /// `block`.
    pub fn fill_tail(
        &mut self,
        tails: &Map,
        nr: u32,
        prog: &Program,
        (block, probe): (u32, u32),
        probe_name: &str,
    ) -> anyhow::Result<()> {
        let fd = prog.fd().as_raw_fd() as u32;
        tails
            .update(&nr.to_le_bytes(), &fd.to_le_bytes(), UpdateFlags::Any)
            .with_context(|| format!("cannot attach {probe_name}"))?;
        self.probes.insert((block, probe));
        Ok(())
    }

    /// Attach a program whose every point is a uprobe: one `uprobe_multi`
    /// link per file and direction, or (when the kernel has no such links)
    /// one perf event per site through a copy of the program that
    /// `load_plain` loads for perf events.
    pub fn attach_uprobes(
        &mut self,
        object: &Object,
        def: &ProgramDef,
        prog: &Program,
        load_plain: &mut dyn FnMut() -> anyhow::Result<Program>,
    ) -> anyhow::Result<()> {
        let name = |probe: u32| probe_name(object, probe);
        // (file, is return probe) -> sites with their (block, probe).
        type Sites = Vec<(UprobeSite, (u32, u32))>;
        let mut groups: BTreeMap<(String, bool), Sites> = BTreeMap::new();
        for point in &def.attach {
            let AttachTarget::Uprobe {
                path,
                offset,
                ret,
                ref_ctr_offset,
            } = &point.target
            else {
                bail!("cannot attach {}: not a uprobe", name(point.probe));
            };
            let (file, offset, ref_ctr_offset) = kernel_file(path, *offset, *ref_ctr_offset)
                .map_err(|e| anyhow::anyhow!("cannot attach {}: {e}", name(point.probe)))?;
            let site = UprobeSite {
                offset,
                ref_ctr_offset,
                cookie: object.cookie(point.probe),
            };
            groups
                .entry((file, *ret))
                .or_default()
                .push((site, (point.block, point.probe)));
        }
        for ((path, ret), sites) in groups {
            if !self.no_uprobe_multi {
                let plain: Vec<UprobeSite> = sites.iter().map(|(s, _)| *s).collect();
                match Link::uprobe_multi(prog, &path, &plain, ret, self.uprobe_pid) {
                    Ok(link) => {
                        self.links.push(link);
                        self.probes.extend(sites.iter().map(|(_, p)| *p));
                        continue;
                    }
                    Err(e)
                        if e.errno().is_some_and(|n| {
                            [libc::EINVAL, libc::EOPNOTSUPP, libc::ENOSYS].contains(&n)
                        }) =>
                    {
                        self.no_uprobe_multi = true;
                    }
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("cannot attach {}", name(sites[0].1 .1)))
                    }
                }
            }
            let copy = load_plain()?;
            for (site, (block, probe)) in sites {
                let target = AttachTarget::Uprobe {
                    path: path.clone(),
                    offset: site.offset,
                    ret,
                    ref_ctr_offset: site.ref_ctr_offset,
                };
                let key = (block, site.cookie);
                self.attach(&copy, ProgKind::Kprobe, &target, key, &name(probe))?;
            }
        }
        Ok(())
    }

    /// Where uprobes fire: in process `pid` only, or everywhere.
    pub fn scope_uprobes(&mut self, pid: Option<u32>) {
        self.uprobe_pid = pid;
        self.uprobe_target = match pid {
            Some(pid) => Target {
                pid: pid as i32,
                cpu: -1,
            },
            None => Target::cpu(0),
        };
    }

    /// Detach everything: raw tracepoint links first (cheap), then the
    /// perf events, closed from several threads at once.
    pub fn detach_all(&mut self) {
        self.links.clear();
        self.iters.clear();
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

/// The file and offsets the kernel takes for a uprobe on `path`: the
/// archive itself for a library stored in one (`app.apk!/lib/libx.so`).
fn kernel_file(path: &str, offset: u64, ref_ctr_offset: u64) -> Result<(String, u64, u64), String> {
    let (file, at) = sonde_elf::archive::on_disk(path, offset)?;
    // The semaphore moves with the code: both are offsets in one file.
    let ref_ctr_offset = match ref_ctr_offset {
        0 => 0,
        counter => counter + (at - offset),
    };
    Ok((file.display().to_string(), at, ref_ctr_offset))
}

/// The name of probe `probe` of `object`, for error messages.
fn probe_name(object: &Object, probe: u32) -> String {
    object
        .probe_names
        .get(probe as usize)
        .map_or("?", String::as_str)
        .to_string()
}
