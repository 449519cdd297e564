//! A tracing session: from an [`Object`] to output, start to finish.
//!
//! Order of events, as bpftrace v0.26.1 does it: spawn the `-c` command
//! paused, create maps, load programs, run BEGIN, attach every probe, say
//! `Attached N probes`, release the command, then print events until
//! `exit()`, SIGINT/SIGTERM, a stop request or the command's exit. Then
//! detach, run END, print what is left, two empty lines and every
//! non-empty map.
//!
//! Under `--mode bench` nothing is attached: after BEGIN each `bench:`
//! probe is run and timed (see `bench`), then END runs and no map is
//! printed.

use std::io::{self, BufWriter, Write};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use sonde_codegen::object::{AttachTarget, EventDef, Object, ProgKind};
use sonde_output::printf;
use sonde_sys::{Map, Notifier, PausedChild, Poller, Program, RingBuf, Signal, SignalFd};

use crate::actions;
use crate::attach::Attachments;
use crate::bench::{self, BenchStatus};
use crate::decode::{decode, read_u64};
use crate::loader::{
    create_maps, is_kprobe_multi_program, is_uprobe_program, load_program, load_program_for,
    multi_link_type, RunValues,
};
use crate::options::{OutputSink, RunOptions};
use crate::printer::Printer;
use crate::readout::read_map;
use crate::symbols::{SymbolNames, Symbols};

/// How long the event loop sleeps without any wake-up before it checks the
/// lost-event counter and the `-c` command again.
const POLL_TIMEOUT_MS: i32 = 100;

const TOKEN_RING: u64 = 0;
const TOKEN_SIGNAL: u64 = 1;
const TOKEN_STOP: u64 = 2;
const TOKEN_CHILD: u64 = 3;

/// Runs tracing sessions.
pub struct Session;

impl Session {
    /// Run `object` with output on stdout (or the `-o` file) and messages
    /// on stderr. Returns the exit code: `exit(code)`'s code, else 0.
    pub fn run(object: &Object, opts: &RunOptions) -> anyhow::Result<i32> {
        let stdout = io::stdout();
        let mut err = io::stderr().lock();
        match &opts.sink {
            OutputSink::Stdout => {
                let mut out = BufWriter::new(stdout.lock());
                run_session(object, opts, &mut out, &mut err, None)
            }
            OutputSink::File(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let mut out = BufWriter::new(file);
                let mut notify = stdout.lock();
                run_session(object, opts, &mut out, &mut err, Some(&mut notify))
            }
        }
    }

    /// Run `object` writing program output to `out` and messages to `err`
    /// (the notify line goes to `out`).
    pub fn run_with(
        object: &Object,
        opts: &RunOptions,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> anyhow::Result<i32> {
        run_session(object, opts, out, err, None)
    }
}

/// True when `err` (or anything it wraps) is the kernel refusing for lack
/// of privilege: the CLI prints one line about running as root.
pub fn is_permission_error(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<sonde_sys::Error>()
            .is_some_and(sonde_sys::Error::is_permission_denied)
    })
}

fn run_session(
    object: &Object,
    opts: &RunOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
    notify: Option<&mut dyn Write>,
) -> anyhow::Result<i32> {
    // Blocked before anything is created, so a Ctrl-C during start-up
    // waits in the signalfd instead of killing us with probes attached.
    let wants_user1 = object.programs.iter().any(|p| {
        p.attach
            .iter()
            .any(|a| matches!(a.target, AttachTarget::Signal { .. }))
    });
    let signals = if wants_user1 {
        SignalFd::with_extra(&[Signal::User1])?
    } else {
        SignalFd::new()?
    };
    let started = Instant::now();
    let mut child = match &opts.child {
        Some(argv) => Some(PausedChild::spawn(argv)?),
        None => None,
    };
    let values = RunValues::now(child.as_ref().map_or(0, |c| c.pid() as u32));
    let maps = create_maps(&object.maps)?;
    let maps_done = started.elapsed();
    let programs = object
        .programs
        .iter()
        .map(|def| load_program(object, def, &maps, values, opts.verbose))
        .collect::<anyhow::Result<Vec<Program>>>()?;
    let load_done = started.elapsed();
    let ring = match object.ringbuf {
        Some(index) => {
            Some(RingBuf::new(maps.get(index).ok_or_else(|| {
                anyhow!("ring buffer map {index} does not exist")
            })?)?)
        }
        None => None,
    };

    let mut session = Running {
        object,
        maps,
        printer: Printer::new(opts.format, out, err),
        ring,
        attachments: Attachments::new(),
        child: None,
        exit_code: None,
        finalizing: false,
        lost_seen: 0,
        symbols: Symbols::new(object),
        watched: None,
        mappings: None,
        traced_pid: opts.pid,
        no_warnings: opts.no_warnings,
        bench_status: None,
    };
    if opts.verbose {
        session.describe_programs(&programs)?;
    }

    session
        .attachments
        .set_traced(opts.pid, child.as_ref().map(|c| c.pid() as u32));
    session.run_once(&programs, &AttachTarget::Begin)?;
    if opts.bench {
        // BEGIN's output first, then the table.
        while session.consume()? > 0 {}
        session.run_benchmarks(&programs)?;
    } else {
        session
            .attachments
            .scope_uprobes(opts.pid.or(values.child_pid_opt()));
        // Programs reached by tail calls take their slots before the
        // dispatchers that call them are attached.
        let (tails, direct): (Vec<_>, Vec<_>) = object
            .programs
            .iter()
            .zip(&programs)
            .filter(|(def, _)| multi_link_type(def).is_none())
            .flat_map(|(def, prog)| def.attach.iter().map(move |point| (def, prog, point)))
            .partition(|(_, _, point)| matches!(point.target, AttachTarget::SyscallTail { .. }));
        // The kernel runs the programs on one uprobe newest first: attach them
        // last to first so that they run in the order of the script.
        for (def, prog) in object.programs.iter().zip(&programs).rev() {
            if is_uprobe_program(def) {
                let mut load_plain =
                    || load_program_for(object, def, &session.maps, values, opts.verbose, false);
                session
                    .attachments
                    .attach_uprobes(object, def, prog, &mut load_plain)?;
            } else if is_kprobe_multi_program(def) {
                let mut load_plain =
                    || load_program_for(object, def, &session.maps, values, opts.verbose, false);
                session
                    .attachments
                    .attach_kprobes(object, def, prog, &mut load_plain)?;
            }
        }
        for (def, prog, point) in tails.into_iter().chain(direct) {
            let name = object
                .probe_names
                .get(point.probe as usize)
                .map_or("?", String::as_str);
            match point.target {
                // Run under --mode bench only.
                AttachTarget::Bench { .. } => {}
                AttachTarget::SyscallTail { map, nr } => {
                    let tails = session
                        .maps
                        .get(map)
                        .ok_or_else(|| anyhow!("program array {map} does not exist"))?;
                    session.attachments.fill_tail(
                        tails,
                        nr,
                        prog,
                        (point.block, point.probe),
                        name,
                    )?;
                }
                _ => session.attachments.attach(
                    prog,
                    def.kind,
                    &point.target,
                    (point.block, object.cookie(point.probe)),
                    name,
                )?,
            }
        }
        session.check_bench_only()?;
    }
    let attach_done = started.elapsed();
    if opts.verbose {
        session.printer.diagnostic(&format!(
            "start-up: maps {} us, programs {} us, attach {} us",
            maps_done.as_micros(),
            (load_done - maps_done).as_micros(),
            (attach_done - load_done).as_micros()
        ))?;
    }
    if !opts.quiet && !opts.bench {
        session
            .printer
            .attached(session.attachments.probe_count())?;
    }
    session.printer.flush()?;
    if opts.notify_attached {
        match notify {
            Some(stream) => {
                stream.write_all(b"__BPFTRACE_NOTIFY_PROBES_ATTACHED\n")?;
                stream.flush()?;
            }
            None => {
                session
                    .printer
                    .raw_line("__BPFTRACE_NOTIFY_PROBES_ATTACHED")?;
                session.printer.flush()?;
            }
        }
    }
    if let Some(callback) = &opts.on_attached {
        callback();
    }
    if uses_user_addresses(object) {
        // The kernel reports each file the process maps from here on (for
        // the command, from its exec): its addresses resolve after it exits.
        session.mappings = match (opts.pid, child.as_ref()) {
            (Some(pid), _) => sonde_sys::MappingTracker::open(pid, false).ok(),
            (None, Some(child)) => sonde_sys::MappingTracker::open(child.pid() as u32, true).ok(),
            (None, None) => None,
        };
    }
    if let Some(child) = child.as_mut() {
        child.release()?;
    }
    if uses_user_addresses(object) {
        session.watched = opts.pid.or(values.child_pid_opt());
    }
    session.child = child;

    if object
        .programs
        .iter()
        .any(|p| matches!(p.kind, ProgKind::Iter))
    {
        session.run_iterators()?;
    } else if !object.exit_after_begin && !opts.bench {
        session.event_loop(
            &programs,
            &signals,
            opts.stop.as_ref().map(|s| s.notifier()),
        )?;
    }
    session.finish(&programs, !opts.bench)
}

/// Whether the programs take user stacks or run in user space, so that
/// the traced process's maps are worth keeping.
fn uses_user_addresses(object: &Object) -> bool {
    object.programs.iter().any(|p| p.kind == ProgKind::Kprobe)
        || object.maps.iter().any(|m| {
            m.kind == sonde_codegen::object::MapKind::StackTrace && m.name.starts_with("stack_u")
        })
}

/// The text of a format and the arguments in `payload`.
fn format_record(
    format: &[u8],
    args: &[(u32, sonde_codegen::object::ValueType)],
    payload: &[u8],
    probes: &SymbolNames<'_>,
) -> Result<String, crate::decode::DecodeError> {
    let values = args
        .iter()
        .map(|(offset, ty)| decode(ty, payload, *offset, probes))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(printf::format(format, &values))
}

struct Running<'a, 'w> {
    object: &'a Object,
    maps: Vec<Map>,
    printer: Printer<'w>,
    ring: Option<RingBuf>,
    attachments: Attachments,
    child: Option<PausedChild>,
    exit_code: Option<i32>,
    /// After `exit()`: records are read but ignored until END runs.
    finalizing: bool,
    lost_seen: u64,
    symbols: Symbols,
    /// The traced process (`-p`, or the `-c` command) whose maps are read
    /// while it runs, so its addresses resolve after it exits.
    watched: Option<u32>,
    /// The mappings the traced process makes, as the kernel reports them.
    mappings: Option<sonde_sys::MappingTracker>,
    /// `-p`: the session ends when this process does.
    traced_pid: Option<u32>,
    /// `warnf()` prints nothing.
    no_warnings: bool,
    /// While a benchmark runs: what its records said (they are not printed).
    bench_status: Option<BenchStatus>,
}

impl Running<'_, '_> {
    fn describe_programs(&mut self, programs: &[Program]) -> anyhow::Result<()> {
        for prog in programs {
            let info = prog.info()?;
            self.printer.diagnostic(&format!(
                "program {} ({}): id {}, {} instructions after translation, {} processed by the verifier",
                info.name,
                prog.kind(),
                info.id,
                info.xlated_len / 8,
                info.verified_insns
            ))?;
        }
        Ok(())
    }

    /// Run every run-once program attached at `which` (BEGIN or END), in order.
    fn run_once(&mut self, programs: &[Program], which: &AttachTarget) -> anyhow::Result<()> {
        for (def, prog) in self.object.programs.iter().zip(programs) {
            if def.kind != ProgKind::RunOnce {
                continue;
            }
            for _ in def.attach.iter().filter(|p| &p.target == which) {
                prog.test_run(None)?;
            }
        }
        Ok(())
    }

    /// `--mode bench`: run each `bench:` probe until its runs take a
    /// millisecond and print its average time per run. A benchmark whose
    /// program returns non-zero is skipped; one that calls `exit(code)`
    /// with a non-zero code or `errorf()` fails the session.
    fn run_benchmarks(&mut self, programs: &[Program]) -> anyhow::Result<()> {
        let object = self.object;
        let benches: Vec<(&Program, &str)> = object
            .programs
            .iter()
            .zip(programs)
            .flat_map(|(def, prog)| {
                def.attach
                    .iter()
                    .filter_map(move |point| match &point.target {
                        AttachTarget::Bench { name } => Some((prog, name.as_str())),
                        _ => None,
                    })
            })
            .collect();
        let names: Vec<&str> = benches.iter().map(|(_, name)| *name).collect();
        // XDP test runs need at least an Ethernet header of input.
        let packet = [0u8; 14];
        for (index, (prog, name)) in benches.iter().enumerate() {
            let mut iters = 1u64;
            // What the runs said so far: one exit(code) fails the benchmark.
            self.bench_status = Some(BenchStatus::default());
            loop {
                let run = prog.test_run_repeat(&packet, iters as u32)?;
                while self.consume()? > 0 {}
                let status = self.bench_status.unwrap_or_default();
                if status.exit_code == 0 && run.retval != 0 {
                    break;
                }
                let average = u64::from(run.duration_ns);
                if let Some(next) = bench::next_iters(average, iters) {
                    iters = next;
                    continue;
                }
                if status.exit_code != 0 || status.errors > 0 {
                    self.printer
                        .diagnostic(&format!("ERROR: Benchmark '{name}' failed."))?;
                    self.exit_code.get_or_insert(1);
                    break;
                }
                self.printer.benchmark(&names, index, average, iters)?;
                break;
            }
        }
        self.bench_status = None;
        // Output the benchmarks could not fit in the buffer was not
        // wanted anyway.
        self.lost_seen = self.lost_total()?;
        self.printer.flush()?;
        Ok(())
    }

    /// Outside `--mode bench`, a script of benchmarks alone has nothing to
    /// run: say how to run them.
    fn check_bench_only(&self) -> anyhow::Result<()> {
        let points = || self.object.programs.iter().flat_map(|p| &p.attach);
        let has_bench = points().any(|p| matches!(p.target, AttachTarget::Bench { .. }));
        if has_bench && points().all(|p| matches!(p.target, AttachTarget::Bench { .. })) {
            bail!("No probes attached; use --bench to run benchmark probes.");
        }
        Ok(())
    }

    fn event_loop(
        &mut self,
        programs: &[Program],
        signals: &SignalFd,
        stop: Option<&Notifier>,
    ) -> anyhow::Result<()> {
        let poller = Poller::new()?;
        if let Some(ring) = &self.ring {
            poller.add(ring.fd(), TOKEN_RING)?;
        }
        poller.add(signals.fd(), TOKEN_SIGNAL)?;
        if let Some(stop) = stop {
            poller.add(stop.fd(), TOKEN_STOP)?;
        }
        if let Some(fd) = self.child.as_ref().and_then(PausedChild::exit_fd) {
            poller.add(fd, TOKEN_CHILD)?;
        }
        let mut ready = Vec::new();
        loop {
            ready.clear();
            poller.wait(POLL_TIMEOUT_MS, &mut ready)?;
            if let Some(pid) = self.watched {
                self.symbols.watch(pid);
            }
            self.take_mappings();
            self.check_lost()?;
            self.consume()?;
            if self.finalizing {
                // exit() was called and everything is detached: read (and
                // ignore) what was in flight, then stop.
                while self.consume()? > 0 {}
                return Ok(());
            }
            if ready.contains(&TOKEN_SIGNAL) {
                while let Some(signal) = signals.read()? {
                    match signal {
                        Signal::Interrupt | Signal::Terminate => return Ok(()),
                        Signal::User1 => {
                            self.run_once(
                                programs,
                                &AttachTarget::Signal {
                                    signal: libc::SIGUSR1,
                                },
                            )?;
                        }
                        Signal::Child => {}
                    }
                }
            }
            if ready.contains(&TOKEN_STOP) && stop.is_some_and(Notifier::take) {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut() {
                if child.try_wait()?.is_some() {
                    return Ok(());
                }
            }
            // With -p, a process that is gone leaves nothing to trace, as
            // in bpftrace.
            if let Some(pid) = self.traced_pid {
                if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                    return Ok(());
                }
            }
        }
    }

    /// Hand the mappings the kernel reported since last time to the
    /// symbolizer. Drained on every pass of the event loop (at least every
    /// POLL_TIMEOUT_MS), not polled: once the process is gone its events
    /// would report a hang-up forever.
    fn take_mappings(&mut self) {
        if let Some(tracker) = self.mappings.as_mut() {
            self.symbols.add_mappings(tracker.read());
        }
    }

    /// Run the script's iterator to its end (or pin it), print what it
    /// sent, and end the session as bpftrace does after an iterator.
    fn run_iterators(&mut self) -> anyhow::Result<()> {
        let mut seq = Vec::new();
        let pinned = self
            .attachments
            .run_iterators(|bytes| seq.extend_from_slice(bytes))?;
        while self.consume()? > 0 {}
        if !seq.is_empty() {
            self.printer.printf(&String::from_utf8_lossy(&seq))?;
        }
        for path in pinned {
            self.printer
                .raw_line(&format!("Program pinned to {path}"))?;
        }
        self.printer.flush()?;
        Ok(())
    }

    /// Read every available record; returns how many there were.
    fn consume(&mut self) -> anyhow::Result<usize> {
        let Some(mut ring) = self.ring.take() else {
            return Ok(0);
        };
        let mut failure = None;
        let result = ring.consume(|record| {
            if failure.is_none() {
                if let Err(e) = self.handle_record(record) {
                    failure = Some(e);
                }
            }
        });
        self.ring = Some(ring);
        let consumed = result?;
        if let Some(e) = failure {
            return Err(e);
        }
        if consumed > 0 {
            self.printer.flush()?;
        }
        Ok(consumed)
    }

    fn handle_record(&mut self, record: &[u8]) -> anyhow::Result<()> {
        if self.finalizing {
            return Ok(());
        }
        let Some(id) = read_u64(record, 0) else {
            return self.warn(&format!("a {}-byte event record", record.len()));
        };
        let payload = &record[8..];
        let object = self.object;
        let Some(event) = usize::try_from(id).ok().and_then(|i| object.events.get(i)) else {
            return self.warn(&format!("an event record with unknown id {id}"));
        };
        if let Some(status) = self.bench_status.as_mut() {
            match event {
                EventDef::Exit => status.exit_code = read_u64(payload, 0).unwrap_or(0) as i32,
                EventDef::Diagnostic { error: true, .. } => status.errors += 1,
                _ => {}
            }
            return Ok(());
        }
        let trailer = object.str_trunc_trailer.as_str();
        let probes =
            &SymbolNames::new(object, &self.maps, &self.symbols).with_trunc_trailer(trailer);
        match event {
            EventDef::Printf { format, args } => {
                if let Some(text) =
                    self.decoded("printf", format_record(format, args, payload, probes))?
                {
                    self.printer.printf(&text)?;
                }
            }
            EventDef::System { format, args } => {
                if let Some(command) =
                    self.decoded("system", format_record(format, args, payload, probes))?
                {
                    let output = actions::system(&command);
                    self.printer.text("syscall", &output)?;
                }
            }
            EventDef::Cat { format, args } => {
                if let Some(path) =
                    self.decoded("cat", format_record(format, args, payload, probes))?
                {
                    match actions::cat(&path, object.max_cat_bytes) {
                        Ok(contents) => self.printer.text("cat", &contents)?,
                        Err(message) => self.printer.diagnostic(&message)?,
                    }
                }
            }
            EventDef::Diagnostic {
                error,
                format,
                args,
                text,
                ..
            } => {
                if let Some(message) =
                    self.decoded("errorf", format_record(format, args, payload, probes))?
                {
                    if *error || !self.no_warnings {
                        let rendered = if text.is_empty() {
                            format!("{}: {message}", if *error { "ERROR" } else { "WARNING" })
                        } else {
                            text.replace('\u{1}', &message)
                        };
                        self.printer.diagnostic(rendered.trim_end())?;
                    }
                }
            }
            EventDef::HelperError {
                helper,
                text,
                filename,
                line,
                col,
                ..
            } => {
                let retcode = crate::decode::read_i64(payload, 0).unwrap_or(0);
                match self.printer.format() {
                    crate::OutputFormat::Json => self.printer.raw_line(
                        &actions::helper_error_json(helper, retcode, filename, *line, *col),
                    )?,
                    crate::OutputFormat::Text if !self.no_warnings => {
                        let message = actions::helper_error_text(helper, retcode);
                        let rendered = if text.is_empty() {
                            format!("WARNING: {message}")
                        } else {
                            text.replace('\u{1}', &message)
                        };
                        self.printer.diagnostic(rendered.trim_end())?;
                    }
                    crate::OutputFormat::Text => {}
                }
            }
            EventDef::Time { format } => {
                let now = actions::time(&String::from_utf8_lossy(format));
                self.printer.text("time", &now)?;
            }
            EventDef::Join { sep, size } => match actions::join(payload, *size, sep) {
                // bpftrace's JSON join carries the joined text alone, while
                // every other text action keeps its trailing newline.
                Some(text) => match self.printer.format() {
                    crate::OutputFormat::Json => self
                        .printer
                        .text("join", text.strip_suffix('\n').unwrap_or(&text))?,
                    crate::OutputFormat::Text => self.printer.text("join", &text)?,
                },
                None => self.warn(&format!("a {}-byte join record", payload.len()))?,
            },
            EventDef::PrintValue { value } => match decode(value, payload, 0, probes) {
                Ok(v) => self.printer.value(&v)?,
                Err(e) => self.warn(&format!("print record: {e}"))?,
            },
            &EventDef::PrintMap { map, top, div } => {
                let top = (top > 0).then(|| usize::try_from(top).unwrap_or(usize::MAX));
                let div = (div > 1).then_some(div);
                if let Some((def, kernel_map)) = self.user_map(map) {
                    let dump = read_map(def, kernel_map, probes)?;
                    self.printer.map(&dump, top, div)?;
                }
            }
            &EventDef::ClearMap { map } => {
                if let Some((_, kernel_map)) = self.user_map(map) {
                    kernel_map.clear()?;
                }
            }
            &EventDef::ZeroMap { map } => {
                if let Some((_, kernel_map)) = self.user_map(map) {
                    kernel_map.zero_values()?;
                }
            }
            EventDef::Warning { message, text, .. } => {
                let text = if text.is_empty() {
                    format!("WARNING: {message}")
                } else {
                    text.trim_end().to_string()
                };
                self.printer.diagnostic(&text)?;
            }
            EventDef::Exit => {
                self.exit_code = Some(read_u64(payload, 0).unwrap_or(0) as i32);
                self.request_finalize();
            }
        }
        Ok(())
    }

    /// The text of a record, or `None` with a warning when it is malformed.
    fn decoded(
        &mut self,
        what: &str,
        text: Result<String, crate::decode::DecodeError>,
    ) -> anyhow::Result<Option<String>> {
        match text {
            Ok(text) => Ok(Some(text)),
            Err(e) => {
                self.warn(&format!("{what} record: {e}"))?;
                Ok(None)
            }
        }
    }

    fn user_map(&self, index: usize) -> Option<(&sonde_codegen::object::UserMapDef, &Map)> {
        let def = self.object.user_maps.get(index)?;
        Some((def, self.maps.get(def.map)?))
    }

    fn warn(&mut self, what: &str) -> anyhow::Result<()> {
        self.printer
            .diagnostic(&format!("WARNING: ignoring {what}"))?;
        Ok(())
    }

    /// `exit()`: detach now, stop the command, ignore further records.
    fn request_finalize(&mut self) {
        self.finalizing = true;
        self.attachments.detach_all();
        if let Some(child) = &self.child {
            let _ = child.kill(libc::SIGTERM);
        }
    }

    /// Records dropped because the ring buffer was full, as the programs
    /// counted them; never silent.
    fn lost_total(&self) -> anyhow::Result<u64> {
        let Some(map) = self.object.lost_events.and_then(|i| self.maps.get(i)) else {
            return Ok(0);
        };
        let value = map.get(&0u32.to_le_bytes())?.unwrap_or_default();
        Ok(map
            .percpu_values(&value)
            .iter()
            .filter_map(|slot| read_u64(slot, 0))
            .fold(0u64, u64::wrapping_add))
    }

    fn check_lost(&mut self) -> anyhow::Result<()> {
        let total = self.lost_total()?;
        if total > self.lost_seen {
            self.printer.lost_events(total - self.lost_seen)?;
            self.lost_seen = total;
        }
        Ok(())
    }

    /// Detach, run END, print what is left and the maps.
    fn finish(mut self, programs: &[Program], print_maps: bool) -> anyhow::Result<i32> {
        self.attachments.detach_all();
        if let Some(child) = self.child.as_mut() {
            child.terminate(Duration::from_millis(100))?;
        }
        self.take_mappings();
        // What was sent before END runs is read first: after an exit()
        // (BEGIN's, when nothing else runs) the records behind it are
        // dropped, but END's own must not be.
        while self.consume()? > 0 {}
        self.finalizing = false;
        self.run_once(programs, &AttachTarget::End)?;
        while self.consume()? > 0 {}
        self.check_lost()?;
        if self.lost_seen > 0 {
            self.printer.diagnostic(&format!(
                "WARNING: Total lost event count: {}",
                self.lost_seen
            ))?;
        }
        self.printer.end()?;
        let object = self.object;
        let trailer = object.str_trunc_trailer.as_str();
        let printed = if object.skip_maps_on_exit || !print_maps {
            &[][..]
        } else {
            &object.user_maps[..]
        };
        for def in printed {
            let Some(map) = self.maps.get(def.map) else {
                continue;
            };
            let names =
                SymbolNames::new(object, &self.maps, &self.symbols).with_trunc_trailer(trailer);
            let dump = read_map(def, map, &names)?;
            self.printer.map(&dump, None, None)?;
        }
        self.printer.flush()?;
        Ok(self.exit_code.unwrap_or(0))
    }
}
