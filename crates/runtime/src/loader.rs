//! From an [`Object`] to kernel objects: maps created, relocations applied,
//! programs loaded. A failure names the program's probes and shows what the
//! verifier said.

use anyhow::{bail, Context};
use sonde_codegen::object::{
    AttachTarget, MapDef, MapKind, Object, ProgKind, ProgramDef, RelocKind,
};
use sonde_isa::{Insn, PSEUDO_FUNC, PSEUDO_MAP_FD};
use sonde_sys::{
    AttachType, LoadedBtf, Map, MapSpec, MapType, ModuleBtf, ProgSpec, ProgType, Program,
};

/// Values the relocations need that only exist at run time.
#[derive(Clone, Copy, Debug)]
pub struct RunValues {
    pub start_time_ns: u64,
    pub child_pid: u32,
    pub tai_offset_ns: u64,
    pub num_cpus: u64,
}

impl RunValues {
    /// The values of a session starting now.
    pub fn now(child_pid: u32) -> RunValues {
        use sonde_sys::{clock_ns, Clock};
        let monotonic = clock_ns(Clock::Monotonic);
        RunValues {
            start_time_ns: clock_ns(Clock::Boottime),
            child_pid,
            tai_offset_ns: clock_ns(Clock::Tai).wrapping_sub(monotonic),
            num_cpus: sonde_sys::cpu::possible_cpus().unwrap_or(1) as u64,
        }
    }
}

impl RunValues {
    /// The `-c` command's pid, if there is one.
    pub fn child_pid_opt(&self) -> Option<u32> {
        (self.child_pid != 0).then_some(self.child_pid)
    }
}

fn map_type(kind: MapKind) -> MapType {
    match kind {
        MapKind::Hash => MapType::Hash,
        MapKind::PercpuHash => MapType::PercpuHash,
        MapKind::LruHash => MapType::LruHash,
        MapKind::LruPercpuHash => MapType::LruPercpuHash,
        MapKind::Array => MapType::Array,
        MapKind::PercpuArray => MapType::PercpuArray,
        MapKind::RingBuf => MapType::RingBuf,
        MapKind::ProgArray => MapType::ProgArray,
        MapKind::StackTrace | MapKind::StackTraceBuildId => MapType::StackTrace,
    }
}

/// `BPF_F_STACK_BUILD_ID`: a stack-trace map of build ids and offsets.
const BPF_F_STACK_BUILD_ID: u32 = 1 << 5;

pub fn create_maps(defs: &[MapDef]) -> anyhow::Result<Vec<Map>> {
    defs.iter()
        .map(|def| {
            Map::create(&MapSpec {
                name: def.name.clone(),
                map_type: map_type(def.kind),
                key_size: def.key_size,
                value_size: def.value_size,
                max_entries: def.max_entries,
                flags: if def.kind == MapKind::StackTraceBuildId {
                    BPF_F_STACK_BUILD_ID
                } else {
                    0
                },
            })
            .map_err(anyhow::Error::from)
        })
        .collect()
}

/// The program's instructions with every relocation applied.
pub fn relocate(
    program: &ProgramDef,
    maps: &[Map],
    values: RunValues,
) -> anyhow::Result<Vec<Insn>> {
    use std::os::fd::AsRawFd;
    let mut insns = program.insns.clone();
    for reloc in &program.relocs {
        let at = reloc.insn;
        if at + 1 >= insns.len() || !insns[at].is_ld_imm64() {
            bail!(
                "program {}: relocation at instruction {at} is not on a 64-bit immediate load",
                program.name
            );
        }
        let imm64 = match reloc.kind {
            RelocKind::MapFd(index) => {
                let map = maps.get(index).with_context(|| {
                    format!(
                        "program {}: relocation names map {index} of {}",
                        program.name,
                        maps.len()
                    )
                })?;
                insns[at].src = PSEUDO_MAP_FD;
                insns[at].imm = map.fd().as_raw_fd();
                insns[at + 1].imm = 0;
                continue;
            }
            RelocKind::StartTimeNs => values.start_time_ns,
            RelocKind::ChildPid => values.child_pid as u64,
            RelocKind::TaiOffsetNs => values.tai_offset_ns,
            RelocKind::NumCpus => values.num_cpus,
        };
        insns[at].imm = imm64 as u32 as i32;
        insns[at + 1].imm = (imm64 >> 32) as u32 as i32;
    }
    Ok(insns)
}

fn prog_type(kind: ProgKind) -> ProgType {
    match kind {
        ProgKind::Tracepoint => ProgType::Tracepoint,
        ProgKind::RawTracepoint | ProgKind::RunOnce => ProgType::RawTracepoint,
        ProgKind::PerfEvent => ProgType::PerfEvent,
        ProgKind::Kprobe => ProgType::Kprobe,
        ProgKind::Fentry | ProgKind::Fexit | ProgKind::Iter | ProgKind::TpBtf => ProgType::Tracing,
        ProgKind::Bench => ProgType::Xdp,
    }
}

/// True when every attach point of `program` is a uprobe, so that it can
/// be loaded for `uprobe_multi` links.
pub fn is_uprobe_program(program: &ProgramDef) -> bool {
    program.kind == ProgKind::Kprobe
        && !program.attach.is_empty()
        && program
            .attach
            .iter()
            .all(|a| matches!(a.target, AttachTarget::Uprobe { .. }))
}

/// True when `program` is a kprobe (or kretprobe) on two or more functions
/// by name at their entry: one `kprobe_multi` link can attach it to all of
/// them (a wildcard can match thousands, each a perf event otherwise).
pub fn is_kprobe_multi_program(program: &ProgramDef) -> bool {
    program.kind == ProgKind::Kprobe
        && program.attach.len() > 1
        && program.attach.iter().all(|a| {
            matches!(
                &a.target,
                AttachTarget::Kprobe { function, offset: 0, addr: None, .. } if !function.is_empty()
            )
        })
}

/// The attach type a program is loaded with for a multi link (`None`:
/// not attached by one).
pub fn multi_link_type(program: &ProgramDef) -> Option<AttachType> {
    if is_uprobe_program(program) {
        Some(AttachType::TraceUprobeMulti)
    } else if is_kprobe_multi_program(program) {
        Some(AttachType::TraceKprobeMulti)
    } else {
        None
    }
}

/// What a tracing program is bound to when it is loaded: its attach type,
/// the BTF id of its target, and the module's BTF object when the target
/// is in a module.
struct TracingTarget {
    attach_type: AttachType,
    btf_id: u32,
    module: Option<ModuleBtf>,
}

/// For a tracing program, where the kernel binds it at load time; `None`
/// for other programs.
fn tracing_target(program: &ProgramDef) -> anyhow::Result<Option<TracingTarget>> {
    let attach_type = match program.kind {
        ProgKind::Fentry => AttachType::TraceFentry,
        ProgKind::Fexit => AttachType::TraceFexit,
        ProgKind::Iter => AttachType::TraceIter,
        ProgKind::TpBtf => AttachType::TraceRawTp,
        _ => return Ok(None),
    };
    if let Some(AttachTarget::RawTracepoint { name }) = program.attach.first().map(|a| &a.target) {
        let (module, btf_id) = crate::btf_ids::raw_tracepoint_id(name)?;
        let module = match module.as_str() {
            "vmlinux" => None,
            name => Some(ModuleBtf::find(name)?),
        };
        return Ok(Some(TracingTarget {
            attach_type,
            btf_id,
            module,
        }));
    }
    let (module, function) = match program.attach.first().map(|a| &a.target) {
        Some(AttachTarget::Fentry {
            module, function, ..
        }) => (module.as_str(), function.clone()),
        Some(AttachTarget::Iter { target, .. }) => ("vmlinux", format!("bpf_iter_{target}")),
        _ => bail!("program {} has no tracing target", program.name),
    };
    let btf_id = crate::btf_ids::function_id(module, &function)?;
    let module = match module {
        "vmlinux" => None,
        name => Some(ModuleBtf::find(name)?),
    };
    Ok(Some(TracingTarget {
        attach_type,
        btf_id,
        module,
    }))
}

/// Lines of verifier log shown when a load fails: the end of the log is
/// where the verifier says what it rejected.
const LOG_TAIL_LINES: usize = 40;

fn log_tail(log: &str, verbose: bool) -> String {
    let lines: Vec<&str> = log.lines().collect();
    if verbose || lines.len() <= LOG_TAIL_LINES {
        return log.trim_end().to_string();
    }
    let cut = lines.len() - LOG_TAIL_LINES;
    format!(
        "... {cut} lines omitted (-v shows all) ...\n{}",
        lines[cut..].join("\n")
    )
}

/// Load one program; the error names its probes and carries the verifier log.
pub fn load_program(
    object: &Object,
    program: &ProgramDef,
    maps: &[Map],
    values: RunValues,
    verbose: bool,
) -> anyhow::Result<Program> {
    let multi = multi_link_type(program).is_some();
    if program.kind != ProgKind::TpBtf {
        return load_program_for(object, program, maps, values, verbose, multi);
    }
    // A raw tracepoint as tp_btf where the kernel takes one: anything that
    // stops it (no BTF for the tracepoint, tracing programs refused, a
    // pointer the verifier will not let the program compute with) leaves
    // a plain raw tracepoint program, which reads the same context as
    // plain numbers.
    let mut first = None;
    if std::env::var_os(NO_TP_BTF_ENV).is_none() {
        match load_program_for(object, program, maps, values, verbose, false) {
            Ok(prog) => return Ok(prog),
            Err(e) => first = Some(e),
        }
    }
    let plain = ProgramDef {
        kind: ProgKind::RawTracepoint,
        ..program.clone()
    };
    load_program_for(object, &plain, maps, values, verbose, false).map_err(|e| {
        // A helper only tracing programs have (socket_cookie): the tp_btf
        // attempt's error is the one that says what went wrong.
        let wants_tracing = format!("{e:#}").contains("unknown func");
        match first {
            Some(tp_btf) if wants_tracing => tp_btf,
            _ => e,
        }
    })
}

/// Set in the environment, raw tracepoints load as
/// `BPF_PROG_TYPE_RAW_TRACEPOINT` programs even where the kernel takes
/// `tp_btf` ones: the path of kernels without BTF, kept testable.
pub const NO_TP_BTF_ENV: &str = "SONDE_NO_TP_BTF";

/// Load one program; `multi` loads it for the `uprobe_multi` or
/// `kprobe_multi` link its attach points take (it then cannot attach
/// through perf events).
pub fn load_program_for(
    object: &Object,
    program: &ProgramDef,
    maps: &[Map],
    values: RunValues,
    verbose: bool,
    multi: bool,
) -> anyhow::Result<Program> {
    let insns = relocate(program, maps, values)?;
    let bytes = sonde_isa::encode_all(&insns);
    let mut spec = ProgSpec::new(&program.name, prog_type(program.kind), &bytes);
    if multi {
        spec.expected_attach_type = multi_link_type(program);
    }
    let target = tracing_target(program)?;
    if let Some(target) = &target {
        spec.expected_attach_type = Some(target.attach_type);
        spec.attach_btf_id = target.btf_id;
        spec.attach_btf_obj_fd = target.module.as_ref().map(ModuleBtf::fd);
    }
    let functions = function_info(&insns)
        .map(|(blob, info)| LoadedBtf::load(&blob).map(|btf| (btf, info)))
        .transpose()
        .with_context(|| format!("cannot describe the functions of program {}", program.name))?;
    if let Some((btf, info)) = &functions {
        spec.btf = Some(btf.fd());
        spec.func_info = info;
    }
    Program::load(&spec).map_err(|e| {
        let probes: Vec<&str> = program
            .attach
            .iter()
            .filter_map(|a| object.probe_names.get(a.probe as usize).map(String::as_str))
            .collect();
        let mut message = format!(
            "cannot load the program for {}: {e}",
            describe_probes(&probes)
        );
        if let Some(log) = e.verifier_log().filter(|l| !l.trim().is_empty()) {
            message.push_str("\nverifier log:\n");
            message.push_str(&log_tail(log, verbose));
        }
        anyhow::Error::new(e).context(message)
    })
}

/// For a program with subprograms (the callbacks of `for` loops): the BTF
/// the kernel needs to tell its functions apart, and the `bpf_func_info`
/// records pairing each function's first instruction with its type. `None`
/// for a program of one function.
fn function_info(insns: &[Insn]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut starts = vec![0usize];
    for (at, insn) in insns.iter().enumerate() {
        let is_ref = (insn.is_ld_imm64() && insn.src == PSEUDO_FUNC)
            || (insn.code == Insn::call(0).code && insn.src == PSEUDO_CALL);
        if is_ref {
            let target = at as i64 + i64::from(insn.imm) + 1;
            if let Ok(target) = usize::try_from(target) {
                starts.push(target);
            }
        }
    }
    starts.sort_unstable();
    starts.dedup();
    if starts.len() == 1 {
        return None;
    }
    let names: Vec<String> = (0..starts.len()).map(|i| format!("f{i}")).collect();
    let funcs: Vec<sonde_btf::write::Function<'_>> = names
        .iter()
        .map(|name| sonde_btf::write::Function {
            name,
            params: MAX_PARAMS,
        })
        .collect();
    let (blob, ids) = sonde_btf::write::functions(&funcs);
    let mut info = Vec::with_capacity(starts.len() * 8);
    for (start, id) in starts.iter().zip(ids) {
        info.extend_from_slice(&(*start as u32).to_le_bytes());
        info.extend_from_slice(&id.to_le_bytes());
    }
    Some((blob, info))
}

/// Arguments every function is declared with: the most a BPF function
/// takes. The verifier takes a static function's arguments from its calls.
const MAX_PARAMS: u8 = 5;

/// `src_reg` of a `call` to a function of the same program.
const PSEUDO_CALL: u8 = 1;

fn describe_probes(probes: &[&str]) -> String {
    match probes {
        [] => "no probe".to_string(),
        [one] => one.to_string(),
        [first, second] => format!("{first} and {second}"),
        [first, rest @ ..] => format!("{first} and {} more probes", rest.len()),
    }
}

/// Create the object's maps and load every program without attaching
/// anything: the kernel verifier's verdict on an object. Everything is
/// released again before this returns.
pub fn verify(object: &Object) -> anyhow::Result<()> {
    let maps = create_maps(&object.maps)?;
    let values = RunValues::now(0);
    for program in &object.programs {
        load_program(object, program, &maps, values, false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_codegen::object::Reloc;

    #[test]
    fn immediates_are_split_across_both_slots() {
        let mut insns = Insn::ld_imm64(1, 0).to_vec();
        insns.push(Insn::exit());
        let program = ProgramDef {
            name: "p".into(),
            kind: ProgKind::RunOnce,
            insns,
            relocs: vec![Reloc {
                insn: 0,
                kind: RelocKind::StartTimeNs,
            }],
            attach: vec![],
        };
        let values = RunValues {
            start_time_ns: 0x1234_5678_9abc_def0,
            ..RunValues::now(0)
        };
        let out = relocate(&program, &[], values).unwrap();
        assert_eq!(out[0].imm as u32, 0x9abc_def0);
        assert_eq!(out[1].imm as u32, 0x1234_5678);
    }

    #[test]
    fn bad_relocations_are_errors() {
        let program = ProgramDef {
            name: "p".into(),
            kind: ProgKind::RunOnce,
            insns: vec![Insn::exit()],
            relocs: vec![Reloc {
                insn: 0,
                kind: RelocKind::ChildPid,
            }],
            attach: vec![],
        };
        let values = RunValues::now(1);
        assert_eq!(
            relocate(&program, &[], values).unwrap_err().to_string(),
            "program p: relocation at instruction 0 is not on a 64-bit immediate load"
        );
        let mut insns = Insn::ld_map_fd(1, 0).to_vec();
        insns.push(Insn::exit());
        let program = ProgramDef {
            relocs: vec![Reloc {
                insn: 0,
                kind: RelocKind::MapFd(3),
            }],
            insns,
            ..program
        };
        assert_eq!(
            relocate(&program, &[], values).unwrap_err().to_string(),
            "program p: relocation names map 3 of 0"
        );
    }

    #[test]
    fn long_logs_keep_their_end() {
        let log: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let tail = log_tail(&log, false);
        assert!(tail.starts_with("... 60 lines omitted (-v shows all) ...\nline 60\n"));
        assert!(tail.ends_with("line 99"));
        assert_eq!(log_tail("a\nb\n", false), "a\nb");
        assert_eq!(describe_probes(&["a", "b", "c"]), "a and 2 more probes");
    }
}
