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

mod branch;
mod deref;
mod emit;
mod events;
mod frame;
pub mod layout;
mod maps;
mod memory;
pub mod object;
mod program;
mod scalar;

use sonde_lang::sema::probes::{Attach, Sample as LangSample};
use sonde_lang::sema::typed::TypedProgram;
use sonde_lang::Diagnostic;

use object::{AttachPoint, AttachTarget, MapDef, MapKind, Object, ProgKind, ProgramDef, Sample};
use program::{ProgramCompiler, Shared};

/// Ring buffer size: room for about 250,000 small `printf` records before
/// user space must catch up.
pub const RINGBUF_BYTES: u32 = 8 << 20;

/// What the command line adds to code generation.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-p PID`: probes fire only for this process (BEGIN/END excepted).
    pub pid_filter: Option<u32>,
}

pub fn compile(program: &TypedProgram, opts: &Options) -> Result<Object, Diagnostic> {
    let mut maps: Vec<MapDef> = program.maps.iter().map(layout::map_def).collect();
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
        max_entries: RINGBUF_BYTES,
    });
    let lost = maps.len();
    maps.push(MapDef {
        name: "lost_events".into(),
        kind: MapKind::PercpuArray,
        key_size: 4,
        value_size: 8,
        max_entries: 1,
    });
    let mut shared = Shared {
        events: Vec::new(),
        ringbuf,
        lost,
    };
    let mut programs: Vec<ProgramDef> = Vec::new();
    for probe in &program.probes {
        let compiler = ProgramCompiler::new(program, probe, &mut shared);
        let kind = compiler.prog_kind();
        let (insns, relocs) = compiler.compile(opts)?;
        let attach: Vec<AttachPoint> = probe
            .attach
            .iter()
            .map(|(a, index)| AttachPoint {
                target: attach_target(a),
                probe: *index,
            })
            .collect();
        let same = programs.iter_mut().find(|p| {
            kind != ProgKind::RunOnce && p.kind == kind && p.insns == insns && p.relocs == relocs
        });
        match same {
            Some(existing) => existing.attach.extend(attach),
            None => programs.push(ProgramDef {
                name: program_name(&program.probe_names, &attach),
                kind,
                insns,
                relocs,
                attach,
            }),
        }
    }
    let exit_after_begin = program.probes.iter().all(|p| {
        p.attach
            .iter()
            .all(|(a, _)| matches!(a, Attach::Begin | Attach::End))
    });
    Ok(Object {
        maps,
        programs,
        ringbuf: Some(ringbuf),
        events: shared.events,
        user_maps,
        probe_names: program.probe_names.clone(),
        lost_events: Some(lost),
        exit_after_begin,
    })
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
