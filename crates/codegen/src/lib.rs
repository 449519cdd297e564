//! The code generator: a typed program from `sonde-lang` in, eBPF programs,
//! map specifications and relocations out ([`object::Object`]).
//!
//! Written by us, no LLVM: every program it emits is verifier-safe by
//! construction (initialised stack, null checks after map lookups, bounded
//! helper sizes). It does no kernel I/O; the runtime loads what it produces.
//!
//! Each probe instance becomes one program; programs whose code comes out
//! identical (a wildcard probe that does not read `args`) are merged into one
//! program attached at every point, with the BPF cookie telling `probe` apart.
//! Tracing programs (fentry, fexit, iter) are bound to one target when
//! loaded: they are made once per attach point, never merged, with `probe`
//! and `func` compiled in.

mod actions;
mod branch;
mod deref;
mod emit;
mod errors;
mod events;
mod frame;
pub mod layout;
mod loops;
mod mapfuncs;
mod maps;
mod memory;
pub mod object;
mod program;
mod ptregs;
pub mod regs;
mod scalar;
mod stacks;
mod strings;
mod syscalls;
mod tseries;
mod values;

pub use syscalls::syscall_name;

use sonde_isa::R9;
use sonde_lang::sema::probes::{Attach, Sample as LangSample};
use sonde_lang::sema::typed::{ProbeKind, TypedProbe, TypedProgram};
use sonde_lang::Diagnostic;

use frame::{Base, ON_STACK_LIMIT, SCRATCH_LIMIT, STACK_LIMIT};
use object::{
    AttachPoint, AttachTarget, MapDef, MapKind, Object, ProgKind, ProgramDef, Reloc, RelocKind,
    Sample,
};
use program::{Compiled, ProgramCompiler, Shared, SCRATCH_MAP};

/// Ring buffer size for scripts that send records. User space drains it
/// as fast as a syscall loop fills it (200,000 `printf` records in a burst
/// lose none even at 512 KiB), and the kernel maps its pages into our
/// address space twice, so every MiB here is two of resident memory.
pub const RINGBUF_BYTES: u32 = 1 << 20;

/// The smallest ring buffer the kernel accepts (one page), for scripts
/// that never send a record.
const RINGBUF_UNUSED_BYTES: u32 = 4096;

/// What the command line adds to code generation.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-p PID`: probes fire only for this process (BEGIN/END excepted).
    pub pid_filter: Option<u32>,
    /// The device and inode of sonde's pid namespace when it is not the
    /// initial one: `pid` and `tid` are then translated into it.
    pub pid_namespace: Option<(u64, u64)>,
    /// Which failed helpers are reported while the script runs: 0 none
    /// (`--no-warnings`), 1 those whose failure is not otherwise visible
    /// (a map update, a delete), 2 also reads and lookups that give zero
    /// instead (`-k`).
    pub warning_level: u8,
}

pub fn compile(program: &TypedProgram, opts: &Options) -> Result<Object, Diagnostic> {
    let settings = &program.settings;
    let mut maps: Vec<MapDef> = program.maps.iter().map(layout::map_def).collect();
    // Declared maps keep their size; the others get max_map_keys.
    for (map, info) in maps.iter_mut().zip(&program.maps) {
        if info.decl.is_none() {
            map.max_entries = u32::try_from(settings.max_map_keys).unwrap_or(u32::MAX);
        }
    }
    let user_maps = program
        .maps
        .iter()
        .enumerate()
        .map(|(i, info)| layout::user_map_def(info, i))
        .collect();
    let ringbuf = maps.len();
    maps.push(MapDef {
        name: "ringbuf".into(),
        kind: MapKind::RingBuf,
        key_size: 0,
        value_size: 0,
        max_entries: ringbuf_bytes(settings.perf_rb_pages),
    });
    let lost = maps.len();
    maps.push(MapDef {
        name: "lost_events".into(),
        kind: MapKind::PercpuArray,
        key_size: 4,
        value_size: 8,
        max_entries: 1,
    });
    let mut probe_names = program.probe_names.clone();
    let probe_funcs = function_names(program, &mut probe_names);
    let mut shared = Shared {
        events: Vec::new(),
        ringbuf,
        lost,
        probe_funcs: probe_funcs.clone(),
        stack_maps: Vec::new(),
        stack_base: 0,
        scratch_sizes: Vec::new(),
    };
    let dispatch = SyscallDispatch::plan(program, &mut maps);
    // Stack-trace maps are added after every program is compiled, from here.
    shared.stack_base = maps.len();
    let mut programs: Vec<ProgramDef> = Vec::new();
    for index in 0..program.probes.len() {
        for def in compile_probe(program, index, &mut shared, opts, &dispatch)? {
            // Tracing programs are bound to their one target at load.
            let same = programs.iter_mut().find(|p| {
                !matches!(def.kind, ProgKind::RunOnce | ProgKind::Bench)
                    && !is_tracing(def.kind)
                    && p.kind == def.kind
                    && p.insns == def.insns
                    && p.relocs == def.relocs
            });
            match same {
                Some(existing) => existing.attach.extend(def.attach),
                None => programs.push(def),
            }
        }
    }
    programs.extend(dispatch.dispatchers());
    maps.extend(
        shared
            .stack_maps
            .iter()
            .map(|&(user, limit, build_id)| stacks::stack_map_def(user, limit, build_id)),
    );
    give_scratch_maps(&mut programs, &mut maps, &shared.scratch_sizes);
    if shared.events.is_empty() && settings.perf_rb_pages.is_none() {
        maps[ringbuf].max_entries = RINGBUF_UNUSED_BYTES;
    }
    let exit_after_begin = program.probes.iter().all(|p| {
        p.attach.iter().all(|(a, _)| {
            matches!(
                a,
                Attach::Begin | Attach::End | Attach::Iter { .. } | Attach::Bench { .. }
            )
        })
    });
    Ok(Object {
        maps,
        programs,
        ringbuf: Some(ringbuf),
        events: shared.events,
        user_maps,
        probe_names,
        lost_events: Some(lost),
        exit_after_begin,
        probe_funcs,
        hide_debug_info: !program.show_debug_info,
        skip_maps_on_exit: !settings.print_maps_on_exit,
        str_trunc_trailer: settings.str_trunc_trailer.clone(),
        max_cat_bytes: settings.max_cat_bytes,
    })
}

/// The ring buffer's size: `perf_rb_pages` pages if set (rounded up to a
/// power of two, as the kernel requires), else [`RINGBUF_BYTES`].
fn ringbuf_bytes(pages: Option<u64>) -> u32 {
    const PAGE: u64 = 4096;
    match pages {
        Some(pages) => {
            let bytes = pages.max(1).next_power_of_two().saturating_mul(PAGE);
            u32::try_from(bytes).unwrap_or(1 << 31)
        }
        None => RINGBUF_BYTES,
    }
}

/// One probe instance as programs: usually one; for syscall tracepoints
/// served by the dispatcher, one program for all their program-array slots
/// (or one per slot when `probe` must be told apart without a cookie), and
/// an ordinary one for any points the dispatcher cannot take.
fn compile_probe(
    program: &TypedProgram,
    index: usize,
    shared: &mut Shared,
    opts: &Options,
    dispatch: &SyscallDispatch,
) -> Result<Vec<ProgramDef>, Diagnostic> {
    let probe = &program.probes[index];
    let build = |shared: &mut Shared, syscall_exit: Option<bool>, probe_const: Option<u32>| {
        // On the stack if the program fits there, else with its large
        // slots in scratch memory.
        let mut compiled = None;
        // Scratch memory first for what bpftrace keeps off the stack (over
        // 32 bytes), then for everything but single scalars.
        let bases = [
            Base::Stack,
            Base::Scratch {
                reg: R9,
                on_stack: ON_STACK_LIMIT,
            },
            Base::Scratch {
                reg: R9,
                on_stack: 8,
            },
        ];
        for base in bases {
            let mut compiler = ProgramCompiler::new(program, probe, shared, opts, base);
            compiler.syscall_exit = syscall_exit;
            compiler.probe_const = probe_const;
            let kind = compiler.prog_kind();
            let c = compiler.compile()?;
            let fits = c.stack_peak <= STACK_LIMIT && c.scratch_peak <= SCRATCH_LIMIT;
            compiled = Some((kind, c));
            if fits {
                break;
            }
        }
        let (kind, c) = compiled.expect("compiled at least once");
        if c.stack_peak > STACK_LIMIT || c.scratch_peak > SCRATCH_LIMIT {
            return Err(Diagnostic::error(
                probe.span,
                format!(
                    "this probe needs {} bytes of BPF stack and {} bytes of scratch memory, more than the {STACK_LIMIT} and {SCRATCH_LIMIT} a program can have",
                    c.stack_peak, c.scratch_peak
                ),
            )
            .with_help("use fewer or shorter strings in one probe (str(x, N) limits a string to N bytes, BPFTRACE_MAX_STRLEN all of them)"));
        }
        let Compiled {
            insns,
            mut relocs,
            scratch_peak,
            ..
        } = c;
        if relocs.iter().any(is_scratch) {
            // The placeholder names the size of the scratch memory until
            // the program gets its own map (see give_scratch_maps).
            // Programs of the same size share a placeholder, so that
            // identical ones still merge.
            let size = scratch_peak.next_multiple_of(8).max(8);
            let id = match shared.scratch_sizes.iter().position(|&s| s == size) {
                Some(id) => id,
                None => {
                    shared.scratch_sizes.push(size);
                    shared.scratch_sizes.len() - 1
                }
            };
            for reloc in relocs.iter_mut().filter(|r| is_scratch(r)) {
                reloc.kind = RelocKind::MapFd(SCRATCH_MAP - id);
            }
        }
        Ok((kind, insns, relocs))
    };
    let def = |kind, insns, relocs, attach: Vec<AttachPoint>| ProgramDef {
        name: program_name(&program.probe_names, &attach),
        kind,
        insns,
        relocs,
        attach,
    };
    let (served, ordinary) = dispatch.split(index, probe);
    let mut defs = Vec::new();
    if !ordinary.is_empty() {
        let (kind, insns, relocs) = build(shared, None, None)?;
        let attach: Vec<AttachPoint> = ordinary
            .iter()
            .map(|(a, index)| AttachPoint {
                target: attach_target(a),
                probe: *index,
                block: probe.block,
            })
            .collect();
        if is_tracing(kind) {
            // A tracing program's target is fixed when it is loaded: one
            // program per attach point. Kernels before 6.0 give tracing
            // links no cookie, so `probe` and `func` are compiled in.
            let cookie_call = sonde_isa::Insn::call(sonde_isa::helper::GET_ATTACH_COOKIE);
            let asks_cookie = attach.len() > 1 && insns.contains(&cookie_call);
            for point in attach {
                let (kind, insns, relocs) = if asks_cookie {
                    build(shared, None, Some(point.probe))?
                } else {
                    (kind, insns.clone(), relocs.clone())
                };
                defs.push(def(kind, insns, relocs, vec![point]));
            }
        } else {
            defs.push(def(kind, insns, relocs, attach));
        }
    }
    let Some(served) = served else {
        return Ok(defs);
    };
    let tail = |probe: u32, nr: u32| AttachPoint {
        target: AttachTarget::SyscallTail {
            map: served.map,
            nr,
        },
        probe,
        block: program.probes[index].block,
    };
    let (kind, insns, relocs) = build(shared, Some(served.exit), None)?;
    // A tail call keeps the dispatcher's cookie, so a shared program could
    // not tell its probes apart: give each its own copy with `probe` fixed.
    let cookie_call = sonde_isa::Insn::call(sonde_isa::helper::GET_ATTACH_COOKIE);
    if served.slots.len() == 1 || !insns.contains(&cookie_call) {
        let attach = served
            .slots
            .iter()
            .map(|(probe, nr)| tail(*probe, *nr))
            .collect();
        defs.push(def(kind, insns, relocs, attach));
        return Ok(defs);
    }
    for (probe, nr) in &served.slots {
        let (kind, insns, relocs) = build(shared, Some(served.exit), Some(*probe))?;
        defs.push(def(kind, insns, relocs, vec![tail(*probe, *nr)]));
    }
    Ok(defs)
}

/// `BPF_PROG_TYPE_TRACING` programs, whose target is fixed when loaded.
fn is_tracing(kind: ProgKind) -> bool {
    matches!(
        kind,
        ProgKind::Fentry | ProgKind::Fexit | ProgKind::Iter | ProgKind::TpBtf
    )
}

fn is_scratch(reloc: &Reloc) -> bool {
    reloc.kind == RelocKind::MapFd(SCRATCH_MAP)
}

/// Each program that uses scratch memory gets its own per-CPU map for it,
/// so that a program interrupting another on the same CPU (a profile probe
/// in the middle of a tracepoint) cannot overwrite its memory. Programs
/// merged because their code is identical share one.
fn give_scratch_maps(programs: &mut [ProgramDef], maps: &mut Vec<MapDef>, sizes: &[u32]) {
    for program in programs.iter_mut() {
        let placeholder = |r: &Reloc| match r.kind {
            RelocKind::MapFd(i) if i > SCRATCH_MAP - sizes.len() => Some(SCRATCH_MAP - i),
            _ => None,
        };
        let Some(id) = program.relocs.iter().find_map(placeholder) else {
            continue;
        };
        let index = maps.len();
        maps.push(MapDef {
            name: format!("scratch_{id}"),
            kind: MapKind::PercpuArray,
            key_size: 4,
            value_size: sizes[id],
            max_entries: 1,
        });
        for reloc in program.relocs.iter_mut() {
            if placeholder(reloc).is_some() {
                reloc.kind = RelocKind::MapFd(index);
                // The fd slot names the map in disassembly until it is loaded.
                program.insns[reloc.insn].imm = index as i32;
            }
        }
    }
}

/// The syscall tracepoints of one probe that the dispatcher serves.
struct Served {
    exit: bool,
    /// Index of the program array in `Object::maps`.
    map: usize,
    /// (probe name index, syscall number) of each served point.
    slots: Vec<(u32, u32)>,
}

/// Which syscall tracepoints go through the raw syscall dispatcher (see
/// `syscalls`), and the program arrays that route them.
struct SyscallDispatch {
    /// Program array of each side (enter, exit), when that side is dispatched.
    maps: [Option<usize>; 2],
    /// For each probe, the attach points (by position) the dispatcher
    /// serves. A program-array slot holds one program, so a syscall traced
    /// by two probes is served for the first and attached as an ordinary
    /// tracepoint for the second.
    served: Vec<Vec<usize>>,
}

impl SyscallDispatch {
    fn plan(program: &TypedProgram, maps: &mut Vec<MapDef>) -> SyscallDispatch {
        let mut counts = [0usize; 2];
        for probe in &program.probes {
            if let Some((exit, numbers)) = syscall_probe(probe) {
                counts[exit as usize] += numbers.len();
            }
        }
        let mut dispatch = SyscallDispatch {
            maps: [None, None],
            served: vec![Vec::new(); program.probes.len()],
        };
        for (side, count) in counts.into_iter().enumerate() {
            if count >= syscalls::DISPATCH_THRESHOLD {
                dispatch.maps[side] = Some(maps.len());
                maps.push(MapDef {
                    name: if side == 1 {
                        "sys_exit_tails"
                    } else {
                        "sys_enter_tails"
                    }
                    .into(),
                    kind: MapKind::ProgArray,
                    key_size: 4,
                    value_size: 4,
                    max_entries: syscalls::MAX_SYSCALLS,
                });
            }
        }
        let mut taken = [
            std::collections::HashSet::new(),
            std::collections::HashSet::new(),
        ];
        for (i, probe) in program.probes.iter().enumerate() {
            let Some((exit, numbers)) = syscall_probe(probe) else {
                continue;
            };
            if dispatch.maps[exit as usize].is_none() {
                continue;
            }
            for (position, nr) in numbers.into_iter().enumerate() {
                if taken[exit as usize].insert(nr) {
                    dispatch.served[i].push(position);
                }
            }
        }
        dispatch
    }

    /// Split probe `index`'s attach points into those the dispatcher
    /// serves and the ordinary ones.
    fn split(&self, index: usize, probe: &TypedProbe) -> (Option<Served>, Vec<(Attach, u32)>) {
        let positions = &self.served[index];
        if positions.is_empty() {
            return (None, probe.attach.clone());
        }
        let (exit, numbers) = syscall_probe(probe).expect("served probes are syscall probes");
        let map = self.maps[exit as usize].expect("served sides have a program array");
        let mut ordinary = Vec::new();
        let mut slots = Vec::new();
        for (position, (attach, name_index)) in probe.attach.iter().enumerate() {
            if positions.contains(&position) {
                slots.push((*name_index, numbers[position]));
            } else {
                ordinary.push((attach.clone(), *name_index));
            }
        }
        (Some(Served { exit, map, slots }), ordinary)
    }

    /// The programs on `raw_syscalls` that tail-call by syscall number.
    fn dispatchers(&self) -> Vec<ProgramDef> {
        let mut defs = Vec::new();
        for (side, map) in self.maps.iter().enumerate() {
            let Some(map) = *map else { continue };
            let exit = side == 1;
            let (insns, relocs) = syscall_dispatcher(exit, map);
            defs.push(ProgramDef {
                name: if exit { "s_sys_exit" } else { "s_sys_enter" }.into(),
                kind: ProgKind::RawTracepoint,
                insns,
                relocs,
                attach: vec![AttachPoint {
                    target: AttachTarget::SyscallDispatch { exit },
                    probe: 0,
                    block: 0,
                }],
            });
        }
        defs
    }
}

/// The side and syscall numbers of a probe made only of syscall tracepoints.
fn syscall_probe(probe: &TypedProbe) -> Option<(bool, Vec<u32>)> {
    if probe.kind != ProbeKind::Tracepoint {
        return None;
    }
    let mut side = None;
    let mut numbers = Vec::with_capacity(probe.attach.len());
    for (attach, _) in &probe.attach {
        let Attach::Tracepoint { category, name } = attach else {
            return None;
        };
        if category != "syscalls" {
            return None;
        }
        let (exit, syscall) = match (
            name.strip_prefix("sys_enter_"),
            name.strip_prefix("sys_exit_"),
        ) {
            (Some(s), _) => (false, s),
            (_, Some(s)) => (true, s),
            _ => return None,
        };
        if side.is_some_and(|s| s != exit) {
            return None;
        }
        side = Some(exit);
        numbers.push(syscalls::syscall_number(syscall)?);
    }
    Some((side?, numbers))
}

/// `bpf_tail_call(ctx, tails, nr)`; returning 0 when no program serves `nr`.
fn syscall_dispatcher(exit: bool, map: usize) -> (Vec<sonde_isa::Insn>, Vec<object::Reloc>) {
    use sonde_isa::{helper, op, Insn, Size, R0, R1, R10, R2, R3, R6};
    let mut e = emit::Emitter::default();
    e.emit(Insn::mov64_reg(R6, R1));
    if exit {
        // sys_exit(regs, ret): the number is regs->orig_ax.
        e.emit(Insn::st_imm(Size::DW, R10, -8, -1));
        e.emit(Insn::mov64_reg(R1, R10));
        e.emit(Insn::alu64_imm(op::ADD, R1, -8));
        e.emit(Insn::mov64_imm(R2, 8));
        e.emit(Insn::ldx(Size::DW, R3, R6, 0));
        e.emit(Insn::alu64_imm(op::ADD, R3, syscalls::ORIG_AX_OFFSET));
        e.call(helper::PROBE_READ_KERNEL);
        e.emit(Insn::ldx(Size::DW, R3, R10, -8));
    } else {
        // sys_enter(regs, id).
        e.emit(Insn::ldx(Size::DW, R3, R6, 8));
    }
    e.emit(Insn::mov64_reg(R1, R6));
    e.ld_reloc(R2, object::RelocKind::MapFd(map));
    e.call(helper::TAIL_CALL);
    e.emit(Insn::mov64_imm(R0, 0));
    e.emit(Insn::exit());
    let f = e
        .finish()
        .expect("a few instructions cannot overflow jumps");
    (f.insns, f.relocs)
}

/// For every probe on a known function, the index of the function's name
/// in `names` (added there when no probe has that name).
fn function_names(program: &TypedProgram, names: &mut Vec<String>) -> Vec<Option<u32>> {
    let mut funcs = vec![None; names.len()];
    for probe in &program.probes {
        for (attach, index) in &probe.attach {
            let func = match attach {
                Attach::Uprobe { func, .. } => func,
                Attach::Kprobe { function, .. } | Attach::Fentry { function, .. }
                    if !function.is_empty() =>
                {
                    function
                }
                _ => continue,
            };
            let at = match names.iter().position(|n| n == func) {
                Some(i) => i,
                None => {
                    names.push(func.clone());
                    names.len() - 1
                }
            };
            if let Some(slot) = funcs.get_mut(*index as usize) {
                *slot = Some(at as u32);
            }
        }
    }
    funcs
}

fn attach_target(attach: &Attach) -> AttachTarget {
    match attach {
        Attach::Begin => AttachTarget::Begin,
        Attach::End => AttachTarget::End,
        Attach::Tracepoint { category, name } => AttachTarget::Tracepoint {
            category: category.clone(),
            name: name.clone(),
        },
        Attach::RawTracepoint { name } => AttachTarget::RawTracepoint { name: name.clone() },
        Attach::Interval { period_ns } => AttachTarget::Interval {
            period_ns: *period_ns,
        },
        Attach::Profile { sample } => AttachTarget::Profile {
            sample: match sample {
                LangSample::Frequency(hz) => Sample::Frequency(*hz),
                LangSample::PeriodNs(ns) => Sample::PeriodNs(*ns),
            },
        },
        Attach::Uprobe {
            path, offset, ret, ..
        } => AttachTarget::Uprobe {
            path: path.clone(),
            offset: *offset,
            ret: *ret,
            ref_ctr_offset: 0,
        },
        Attach::Usdt {
            path,
            offset,
            semaphore_offset,
            ..
        } => AttachTarget::Uprobe {
            path: path.clone(),
            offset: *offset,
            ret: false,
            ref_ctr_offset: *semaphore_offset,
        },
        &Attach::Software { config, period } => AttachTarget::Software { config, period },
        &Attach::Hardware { config, period } => AttachTarget::Hardware { config, period },
        &Attach::Watchpoint { addr, len, access } => AttachTarget::Watchpoint { addr, len, access },
        &Attach::Signal { signal } => AttachTarget::Signal { signal },
        Attach::Bench { name } => AttachTarget::Bench { name: name.clone() },
        Attach::Kprobe {
            module,
            function,
            offset,
            addr,
            ret,
        } => AttachTarget::Kprobe {
            module: module.clone(),
            function: function.clone(),
            offset: *offset,
            addr: *addr,
            ret: *ret,
        },
        Attach::Fentry {
            module,
            function,
            ret,
        } => AttachTarget::Fentry {
            module: module.clone(),
            function: function.clone(),
            ret: *ret,
        },
        Attach::Iter { target, pin } => AttachTarget::Iter {
            target: target.clone(),
            pin: pin.clone(),
        },
    }
}

/// A kernel program name (15 bytes at most) that says where it attaches.
fn program_name(probe_names: &[String], attach: &[AttachPoint]) -> String {
    let first = attach
        .first()
        .and_then(|a| probe_names.get(a.probe as usize))
        .map(String::as_str)
        .unwrap_or("probe");
    let last_part = first.rsplit(':').next().unwrap_or(first);
    let mut name: String = last_part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    name.insert_str(0, "s_");
    name.truncate(15);
    name
}
