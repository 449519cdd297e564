//! Whole sessions on the real kernel, with hand-built objects: exact output,
//! exit codes, and nothing left loaded afterwards.

mod common;

use common::{run, Asm, Trigger, HELPER_MAP_LOOKUP, HELPER_MAP_UPDATE};
use sonde_codegen::object::{
    AttachPoint, AttachTarget, EventDef, MapDef, MapKind, MapValueKind, Object, ProgKind,
    ProgramDef, RelocKind, UserMapDef, ValueType,
};
use sonde_isa::{op, Insn, Size, R0, R1, R10, R2, R3, R4};
use sonde_runtime::testing::assert_nothing_loaded;
use sonde_runtime::{OutputFormat, RunOptions, StopHandle};

const GETPPID: &str = "tracepoint:syscalls:sys_enter_getppid";

fn getppid_point(probe: u32) -> AttachPoint {
    AttachPoint {
        target: AttachTarget::Tracepoint {
            category: "syscalls".into(),
            name: "sys_enter_getppid".into(),
        },
        probe,
        block: 0,
    }
}

fn map(name: &str, kind: MapKind, key_size: u32, value_size: u32, max_entries: u32) -> MapDef {
    MapDef {
        name: name.into(),
        kind,
        key_size,
        value_size,
        max_entries,
    }
}

fn program(name: &str, kind: ProgKind, asm: Asm, attach: Vec<AttachPoint>) -> ProgramDef {
    let (insns, relocs) = asm.finish();
    ProgramDef {
        name: name.into(),
        kind,
        insns,
        relocs,
        attach,
    }
}

/// `@ = count()` on getppid calls of thread `tid`, in a per-CPU hash.
fn count_object(prefix: &str, tid: i32) -> Object {
    let mut asm = Asm::new();
    asm.only_thread(tid);
    asm.emit(Insn::st_imm(Size::DW, R10, -8, 0));
    asm.emit(Insn::mov64_reg(R2, R10));
    asm.emit(Insn::alu64_imm(op::ADD, R2, -8));
    asm.ld_map(R1, 0);
    asm.emit(Insn::call(HELPER_MAP_LOOKUP));
    let absent = asm.jump(Insn::jmp_imm(op::JEQ, R0, 0, 0));
    asm.emit(Insn::mov64_imm(R1, 1));
    asm.emit(Insn::atomic_add(Size::DW, R0, 0, R1));
    asm.jump_to_exit(Insn::ja(0));
    asm.land(absent);
    asm.emit(Insn::st_imm(Size::DW, R10, -16, 1));
    asm.ld_map(R1, 0);
    asm.emit(Insn::mov64_reg(R2, R10));
    asm.emit(Insn::alu64_imm(op::ADD, R2, -8));
    asm.emit(Insn::mov64_reg(R3, R10));
    asm.emit(Insn::alu64_imm(op::ADD, R3, -16));
    asm.emit(Insn::mov64_imm(R4, 0));
    asm.emit(Insn::call(HELPER_MAP_UPDATE));
    Object {
        maps: vec![map(&format!("{prefix}_map"), MapKind::PercpuHash, 8, 8, 16)],
        programs: vec![program(
            &format!("{prefix}_prog"),
            ProgKind::Tracepoint,
            asm,
            vec![getppid_point(0)],
        )],
        user_maps: vec![UserMapDef {
            name: "@".into(),
            map: 0,
            key: None,
            key_size: 8,
            value: MapValueKind::Count,
        }],
        probe_names: vec![GETPPID.into()],
        ..Object::default()
    }
}

#[test]
fn counts_getppid_calls_and_prints_the_map_at_exit() {
    let _claim = sonde_runtime::testing::claim("rt_count");
    let stop = StopHandle::new().unwrap();
    let trigger = Trigger::spawn(7, Some(stop.clone()));
    let object = count_object("rt_count", trigger.tid);
    let (result, out, err) = run(&object, &trigger.options(Some(stop)));
    trigger.join();
    assert_eq!(result.unwrap(), 0);
    assert_eq!(err, "Attached 1 probe\n");
    assert_eq!(out, "\n\n@: 7\n");
    assert_nothing_loaded("rt_count");
}

/// `printf("hello %d\n", tid)` through the ring buffer on getppid.
#[test]
fn printf_records_from_a_tracepoint() {
    let _claim = sonde_runtime::testing::claim("rt_pf");
    let stop = StopHandle::new().unwrap();
    let trigger = Trigger::spawn(3, Some(stop.clone()));
    let mut asm = Asm::new();
    asm.only_thread(trigger.tid);
    asm.event_u64(0, 0, trigger.tid);
    let object = Object {
        maps: vec![map("rt_pf_ring", MapKind::RingBuf, 0, 0, 1 << 16)],
        programs: vec![program(
            "rt_pf_prog",
            ProgKind::Tracepoint,
            asm,
            vec![getppid_point(0)],
        )],
        ringbuf: Some(0),
        events: vec![EventDef::Printf {
            format: b"hello %d\n".to_vec(),
            args: vec![(
                0,
                ValueType::Int {
                    size: 8,
                    signed: true,
                },
            )],
        }],
        probe_names: vec![GETPPID.into()],
        ..Object::default()
    };
    let (result, out, err) = run(&object, &trigger.options(Some(stop)));
    trigger.join();
    assert_eq!(result.unwrap(), 0);
    assert_eq!(err, "Attached 1 probe\n");
    let line = format!("hello {}\n", trigger_tid_line(&object));
    assert_eq!(out, format!("{line}{line}{line}\n\n"));
    assert_nothing_loaded("rt_pf");
}

fn trigger_tid_line(object: &Object) -> i32 {
    // The tid is the immediate the only_thread filter compares with.
    object.programs[0]
        .insns
        .iter()
        .find(|i| i.code == op::JMP | op::JNE | op::K)
        .unwrap()
        .imm
}

/// BEGIN sets `@x = 42` and prints; END prints, then `print(@x)`.
fn begin_end_object(prefix: &str) -> Object {
    let mut begin = Asm::new();
    begin.emit(Insn::st_imm(Size::DW, R10, -8, 0));
    begin.emit(Insn::st_imm(Size::DW, R10, -16, 42));
    begin.ld_map(R1, 1);
    begin.emit(Insn::mov64_reg(R2, R10));
    begin.emit(Insn::alu64_imm(op::ADD, R2, -8));
    begin.emit(Insn::mov64_reg(R3, R10));
    begin.emit(Insn::alu64_imm(op::ADD, R3, -16));
    begin.emit(Insn::mov64_imm(R4, 0));
    begin.emit(Insn::call(HELPER_MAP_UPDATE));
    begin.event(0, 0);
    let mut end = Asm::new();
    end.event_u64(0, 1, 5);
    end.event(0, 2);
    Object {
        maps: vec![
            map(&format!("{prefix}_ring"), MapKind::RingBuf, 0, 0, 1 << 16),
            map(&format!("{prefix}_x"), MapKind::Hash, 8, 8, 1),
        ],
        programs: vec![
            program(
                &format!("{prefix}_begin"),
                ProgKind::RunOnce,
                begin,
                vec![AttachPoint {
                    target: AttachTarget::Begin,
                    probe: 0,
                    block: 0,
                }],
            ),
            program(
                &format!("{prefix}_end"),
                ProgKind::RunOnce,
                end,
                vec![AttachPoint {
                    target: AttachTarget::End,
                    probe: 1,
                    block: 0,
                }],
            ),
        ],
        ringbuf: Some(0),
        events: vec![
            EventDef::Printf {
                format: b"begin\n".to_vec(),
                args: vec![],
            },
            EventDef::Printf {
                format: b"end %d\n".to_vec(),
                args: vec![(
                    0,
                    ValueType::Int {
                        size: 8,
                        signed: true,
                    },
                )],
            },
            EventDef::PrintMap {
                map: 0,
                top: 0,
                div: 0,
            },
        ],
        user_maps: vec![UserMapDef {
            name: "@x".into(),
            map: 1,
            key: None,
            key_size: 8,
            value: MapValueKind::Plain(ValueType::Int {
                size: 8,
                signed: true,
            }),
        }],
        probe_names: vec!["BEGIN".into(), "END".into()],
        exit_after_begin: true,
        ..Object::default()
    }
}

#[test]
fn begin_and_end_only_script_ends_by_itself() {
    let _claim = sonde_runtime::testing::claim("rt_be");
    let object = begin_end_object("rt_be");
    let (result, out, err) = run(&object, &RunOptions::default());
    assert_eq!(result.unwrap(), 0);
    assert_eq!(err, "Attached 2 probes\n");
    assert_eq!(out, "begin\nend 5\n@x: 42\n\n\n@x: 42\n");
    assert_nothing_loaded("rt_be");
}

#[test]
fn json_output_and_the_notify_line() {
    let _claim = sonde_runtime::testing::claim("rt_js");
    let object = begin_end_object("rt_js");
    let opts = RunOptions {
        format: OutputFormat::Json,
        notify_attached: true,
        ..RunOptions::default()
    };
    let (result, out, err) = run(&object, &opts);
    assert_eq!(result.unwrap(), 0);
    assert_eq!(err, "");
    assert_eq!(
        out,
        concat!(
            "{\"type\": \"attached_probes\", \"count\": 2, \"data\": {\"probes\": 2}}\n",
            "__BPFTRACE_NOTIFY_PROBES_ATTACHED\n",
            "{\"type\": \"printf\", \"data\": \"begin\\n\"}\n",
            "{\"type\": \"printf\", \"data\": \"end 5\\n\"}\n",
            "{\"type\": \"map\", \"data\": {\"@x\": 42}}\n",
            "{\"type\": \"map\", \"data\": {\"@x\": 42}}\n",
        )
    );
    assert_nothing_loaded("rt_js");
}

#[test]
fn quiet_prints_no_attached_line() {
    let object = begin_end_object("rt_qt");
    let opts = RunOptions {
        quiet: true,
        ..RunOptions::default()
    };
    let (result, _, err) = run(&object, &opts);
    assert_eq!(result.unwrap(), 0);
    assert_eq!(err, "");
}

/// BEGIN prints `a`, calls `exit(3)`, prints `b` (ignored after exit); a
/// tracepoint probe is attached and must be detached by the exit.
#[test]
fn exit_in_begin_sets_the_code_and_ignores_later_records() {
    let _claim = sonde_runtime::testing::claim("rt_ex");
    let mut begin = Asm::new();
    begin.event(0, 0);
    begin.event_u64(0, 1, 3);
    begin.event(0, 2);
    let mut tp = Asm::new();
    tp.only_thread(-1);
    let object = Object {
        maps: vec![map("rt_ex_ring", MapKind::RingBuf, 0, 0, 1 << 16)],
        programs: vec![
            program(
                "rt_ex_begin",
                ProgKind::RunOnce,
                begin,
                vec![AttachPoint {
                    target: AttachTarget::Begin,
                    probe: 0,
                    block: 0,
                }],
            ),
            program("rt_ex_tp", ProgKind::Tracepoint, tp, vec![getppid_point(1)]),
        ],
        ringbuf: Some(0),
        events: vec![
            EventDef::Printf {
                format: b"a\n".to_vec(),
                args: vec![],
            },
            EventDef::Exit,
            EventDef::Printf {
                format: b"b\n".to_vec(),
                args: vec![],
            },
        ],
        probe_names: vec!["BEGIN".into(), GETPPID.into()],
        ..Object::default()
    };
    let (result, out, err) = run(&object, &RunOptions::default());
    assert_eq!(result.unwrap(), 3);
    assert_eq!(err, "Attached 2 probes\n");
    assert_eq!(out, "a\n\n\n");
    assert_nothing_loaded("rt_ex");
}

/// `-c`: BEGIN prints `cpid`; the session ends when the command exits.
#[test]
fn child_command_is_traced_until_it_exits() {
    let _claim = sonde_runtime::testing::claim("rt_ch");
    let mut begin = Asm::new();
    begin.emit(Insn::st_imm(Size::DW, R10, -16, 0));
    begin.ld_reloc(R1, RelocKind::ChildPid);
    begin.emit(Insn::stx(Size::DW, R10, -8, R1));
    begin.output(0, -16, 16);
    let mut tp = Asm::new();
    tp.only_thread(-1);
    let object = Object {
        maps: vec![map("rt_ch_ring", MapKind::RingBuf, 0, 0, 1 << 16)],
        programs: vec![
            program(
                "rt_ch_begin",
                ProgKind::RunOnce,
                begin,
                vec![AttachPoint {
                    target: AttachTarget::Begin,
                    probe: 0,
                    block: 0,
                }],
            ),
            program("rt_ch_tp", ProgKind::Tracepoint, tp, vec![getppid_point(1)]),
        ],
        ringbuf: Some(0),
        events: vec![EventDef::Printf {
            format: b"child %d\n".to_vec(),
            args: vec![(
                0,
                ValueType::Int {
                    size: 8,
                    signed: true,
                },
            )],
        }],
        probe_names: vec!["BEGIN".into(), GETPPID.into()],
        ..Object::default()
    };
    let opts = RunOptions {
        child: Some(vec!["sh".into(), "-c".into(), "exit 0".into()]),
        ..RunOptions::default()
    };
    let started = std::time::Instant::now();
    let (result, out, err) = run(&object, &opts);
    assert_eq!(result.unwrap(), 0);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(err, "Attached 2 probes\n");
    let pid: i32 = out
        .strip_prefix("child ")
        .and_then(|s| s.strip_suffix("\n\n\n"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(pid > 0 && pid as u32 != std::process::id());
    assert_nothing_loaded("rt_ch");
}

#[test]
fn a_verifier_rejection_names_the_probe_and_shows_the_log() {
    let _claim = sonde_runtime::testing::claim("rt_bad");
    let mut bad = Asm::new();
    bad.emit(Insn::mov64_reg(R0, R2));
    bad.emit(Insn::exit());
    let object = Object {
        maps: vec![map("rt_bad_map", MapKind::Hash, 8, 8, 1)],
        programs: vec![program(
            "rt_bad_prog",
            ProgKind::Tracepoint,
            bad,
            vec![getppid_point(0)],
        )],
        probe_names: vec![GETPPID.into()],
        ..Object::default()
    };
    let (result, out, err) = run(&object, &RunOptions::default());
    let message = format!("{:#}", result.unwrap_err());
    assert!(
        message.starts_with(
            "cannot load the program for tracepoint:syscalls:sys_enter_getppid: \
             bpf(BPF_PROG_LOAD): Permission denied: loading program `rt_bad_prog`\nverifier log:\n0: R1=ctx() R10=fp0\n"
        ),
        "{message}"
    );
    assert!(message.contains("R2 !read_ok"), "{message}");
    assert_eq!((out.as_str(), err.as_str()), ("", ""));
    assert_nothing_loaded("rt_bad");
}

#[test]
fn attaching_to_a_missing_tracepoint_fails_cleanly() {
    let _claim = sonde_runtime::testing::claim("rt_miss");
    let mut tp = Asm::new();
    tp.only_thread(-1);
    let object = Object {
        programs: vec![program(
            "rt_miss_prog",
            ProgKind::Tracepoint,
            tp,
            vec![AttachPoint {
                target: AttachTarget::Tracepoint {
                    category: "syscalls".into(),
                    name: "sys_enter_nonexistent".into(),
                },
                probe: 0,
                block: 0,
            }],
        )],
        probe_names: vec!["tracepoint:syscalls:sys_enter_nonexistent".into()],
        ..Object::default()
    };
    let (result, _, _) = run(&object, &RunOptions::default());
    let message = format!("{:#}", result.unwrap_err());
    assert!(
        message.starts_with("cannot attach tracepoint:syscalls:sys_enter_nonexistent: read "),
        "{message}"
    );
    assert!(message.ends_with("/events/syscalls/sys_enter_nonexistent/id: No such file or directory: no tracepoint syscalls:sys_enter_nonexistent"), "{message}");
    assert_nothing_loaded("rt_miss");
}

/// The programs count records the ring buffer refused in `lost_events`;
/// the session reports them on stderr (here BEGIN fakes 5 losses).
#[test]
fn lost_records_are_reported() {
    let _claim = sonde_runtime::testing::claim("rt_lost");
    let mut begin = Asm::new();
    begin.emit(Insn::st_imm(Size::W, R10, -4, 0));
    begin.emit(Insn::mov64_reg(R2, R10));
    begin.emit(Insn::alu64_imm(op::ADD, R2, -4));
    begin.ld_map(R1, 1);
    begin.emit(Insn::call(HELPER_MAP_LOOKUP));
    begin.jump_to_exit(Insn::jmp_imm(op::JEQ, R0, 0, 0));
    begin.emit(Insn::mov64_imm(R1, 5));
    begin.emit(Insn::atomic_add(Size::DW, R0, 0, R1));
    let object = Object {
        maps: vec![
            map("rt_lost_ring", MapKind::RingBuf, 0, 0, 1 << 16),
            map("rt_lost_count", MapKind::PercpuArray, 4, 8, 1),
        ],
        programs: vec![program(
            "rt_lost_begin",
            ProgKind::RunOnce,
            begin,
            vec![AttachPoint {
                target: AttachTarget::Begin,
                probe: 0,
                block: 0,
            }],
        )],
        ringbuf: Some(0),
        lost_events: Some(1),
        probe_names: vec!["BEGIN".into()],
        exit_after_begin: true,
        ..Object::default()
    };
    let (result, out, err) = run(&object, &RunOptions::default());
    assert_eq!(result.unwrap(), 0);
    assert_eq!(
        err,
        "Attached 1 probe\nLost 5 events\nWARNING: Total lost event count: 5\n"
    );
    assert_eq!(out, "\n\n");
    assert_nothing_loaded("rt_lost");
}

/// `clear(@c)` and `zero(@z)` act on the kernel maps in user space, in
/// record order: here after BEGIN filled both.
#[test]
fn clear_and_zero_events() {
    let _claim = sonde_runtime::testing::claim("rt_cz");
    let mut begin = Asm::new();
    for map_index in [1usize, 2] {
        begin.emit(Insn::st_imm(Size::DW, R10, -8, 7));
        begin.emit(Insn::st_imm(Size::DW, R10, -16, 9));
        begin.ld_map(R1, map_index);
        begin.emit(Insn::mov64_reg(R2, R10));
        begin.emit(Insn::alu64_imm(op::ADD, R2, -8));
        begin.emit(Insn::mov64_reg(R3, R10));
        begin.emit(Insn::alu64_imm(op::ADD, R3, -16));
        begin.emit(Insn::mov64_imm(R4, 0));
        begin.emit(Insn::call(HELPER_MAP_UPDATE));
    }
    begin.event(0, 0);
    begin.event(0, 1);
    let key = Some(vec![(
        0,
        ValueType::Int {
            size: 8,
            signed: false,
        },
    )]);
    let value = MapValueKind::Plain(ValueType::Int {
        size: 8,
        signed: false,
    });
    let object = Object {
        maps: vec![
            map("rt_cz_ring", MapKind::RingBuf, 0, 0, 1 << 16),
            map("rt_cz_c", MapKind::Hash, 8, 8, 4),
            map("rt_cz_z", MapKind::Hash, 8, 8, 4),
        ],
        programs: vec![program(
            "rt_cz_begin",
            ProgKind::RunOnce,
            begin,
            vec![AttachPoint {
                target: AttachTarget::Begin,
                probe: 0,
                block: 0,
            }],
        )],
        ringbuf: Some(0),
        events: vec![EventDef::ClearMap { map: 0 }, EventDef::ZeroMap { map: 1 }],
        user_maps: vec![
            UserMapDef {
                name: "@c".into(),
                map: 1,
                key: key.clone(),
                key_size: 8,
                value: value.clone(),
            },
            UserMapDef {
                name: "@z".into(),
                map: 2,
                key,
                key_size: 8,
                value,
            },
        ],
        probe_names: vec!["BEGIN".into()],
        exit_after_begin: true,
        ..Object::default()
    };
    let (result, out, _) = run(&object, &RunOptions::default());
    assert_eq!(result.unwrap(), 0);
    assert_eq!(out, "\n\n@z[7]: 0\n");
    assert_nothing_loaded("rt_cz");
}

/// `-v` names each program with its kernel id and verifier statistics, and
/// times the start path (maps, loads, attach).
#[test]
fn verbose_describes_programs_and_start_up() {
    let stop = StopHandle::new().unwrap();
    let trigger = Trigger::spawn(1, Some(stop.clone()));
    let object = count_object("rt_vb", trigger.tid);
    let opts = RunOptions {
        verbose: true,
        ..trigger.options(Some(stop))
    };
    let (result, out, err) = run(&object, &opts);
    trigger.join();
    assert_eq!(result.unwrap(), 0);
    assert_eq!(out, "\n\n@: 1\n");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    // This kernel's numbers for this 25-slot program (the kernel rewrites
    // some helper calls into longer sequences).
    assert!(
        lines[0].starts_with("program rt_vb_prog (tracepoint): id "),
        "{err}"
    );
    assert!(
        lines[0].ends_with(", 28 instructions after translation, 25 processed by the verifier"),
        "{err}"
    );
    assert!(lines[1].starts_with("start-up: maps "), "{err}");
    assert_eq!(lines[2], "Attached 1 probe");
    eprintln!("{}", lines[1]);
}

/// `@[probe] = count()` from a raw tracepoint: the key is the BPF cookie,
/// which the runtime sets to the probe's index.
#[test]
fn raw_tracepoint_cookie_names_the_probe() {
    let _claim = sonde_runtime::testing::claim("rt_raw");
    let stop = StopHandle::new().unwrap();
    let trigger = Trigger::spawn(4, Some(stop.clone()));
    let mut asm = Asm::new();
    asm.emit(Insn::mov64_reg(sonde_isa::R6, R1));
    asm.emit(Insn::ldx(Size::DW, R2, sonde_isa::R6, 8));
    asm.jump_to_exit(Insn::jmp_imm(op::JNE, R2, libc::SYS_getppid as i32, 0));
    asm.only_thread(trigger.tid);
    asm.emit(Insn::mov64_reg(R1, sonde_isa::R6));
    asm.emit(Insn::call(174));
    asm.emit(Insn::stx(Size::DW, R10, -8, R0));
    asm.emit(Insn::mov64_reg(R2, R10));
    asm.emit(Insn::alu64_imm(op::ADD, R2, -8));
    asm.ld_map(R1, 0);
    asm.emit(Insn::call(HELPER_MAP_LOOKUP));
    let absent = asm.jump(Insn::jmp_imm(op::JEQ, R0, 0, 0));
    asm.emit(Insn::mov64_imm(R1, 1));
    asm.emit(Insn::atomic_add(Size::DW, R0, 0, R1));
    asm.jump_to_exit(Insn::ja(0));
    asm.land(absent);
    asm.emit(Insn::st_imm(Size::DW, R10, -16, 1));
    asm.ld_map(R1, 0);
    asm.emit(Insn::mov64_reg(R2, R10));
    asm.emit(Insn::alu64_imm(op::ADD, R2, -8));
    asm.emit(Insn::mov64_reg(R3, R10));
    asm.emit(Insn::alu64_imm(op::ADD, R3, -16));
    asm.emit(Insn::mov64_imm(R4, 0));
    asm.emit(Insn::call(HELPER_MAP_UPDATE));
    let object = Object {
        maps: vec![map("rt_raw_map", MapKind::PercpuHash, 8, 8, 16)],
        programs: vec![program(
            "rt_raw_prog",
            ProgKind::RawTracepoint,
            asm,
            vec![AttachPoint {
                target: AttachTarget::RawTracepoint {
                    name: "sys_enter".into(),
                },
                probe: 1,
                block: 0,
            }],
        )],
        user_maps: vec![UserMapDef {
            name: "@".into(),
            map: 0,
            key: Some(vec![(0, ValueType::ProbeName)]),
            key_size: 8,
            value: MapValueKind::Count,
        }],
        probe_names: vec!["unused".into(), "rawtracepoint:sys_enter".into()],
        ..Object::default()
    };
    let (result, out, err) = run(&object, &trigger.options(Some(stop)));
    trigger.join();
    assert_eq!(result.unwrap(), 0);
    assert_eq!(err, "Attached 1 probe\n");
    assert_eq!(out, "\n\n@[rawtracepoint:sys_enter]: 4\n");
    assert_nothing_loaded("rt_raw");
}

/// A timer program that calls `exit(code)` the first time it fires.
fn timer_exit_object(prefix: &str, target: AttachTarget, code: i32) -> Object {
    let mut asm = Asm::new();
    asm.event_u64(0, 0, code);
    Object {
        maps: vec![map(
            &format!("{prefix}_ring"),
            MapKind::RingBuf,
            0,
            0,
            1 << 16,
        )],
        programs: vec![program(
            &format!("{prefix}_prog"),
            ProgKind::PerfEvent,
            asm,
            vec![AttachPoint {
                target,
                probe: 0,
                block: 0,
            }],
        )],
        ringbuf: Some(0),
        events: vec![EventDef::Exit],
        probe_names: vec!["timer".into()],
        ..Object::default()
    }
}

#[test]
fn interval_timer_fires_and_exits() {
    let _claim = sonde_runtime::testing::claim("rt_iv");
    let object = timer_exit_object(
        "rt_iv",
        AttachTarget::Interval {
            period_ns: 10_000_000,
        },
        4,
    );
    let started = std::time::Instant::now();
    let (result, out, err) = run(&object, &RunOptions::default());
    assert_eq!(result.unwrap(), 4);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!((out.as_str(), err.as_str()), ("\n\n", "Attached 1 probe\n"));
    assert_nothing_loaded("rt_iv");
}

#[test]
fn profile_timer_on_every_cpu_counts_as_one_probe() {
    let _claim = sonde_runtime::testing::claim("rt_pr");
    let object = timer_exit_object(
        "rt_pr",
        AttachTarget::Profile {
            sample: sonde_codegen::object::Sample::Frequency(99),
        },
        5,
    );
    let (result, out, err) = run(&object, &RunOptions::default());
    assert_eq!(result.unwrap(), 5);
    assert_eq!((out.as_str(), err.as_str()), ("\n\n", "Attached 1 probe\n"));
    assert_nothing_loaded("rt_pr");
}

#[test]
fn output_file_gets_the_program_output() {
    let _claim = sonde_runtime::testing::claim("rt_of");
    let object = begin_end_object("rt_of");
    let path = std::env::temp_dir().join(format!("sonde-out-{}.txt", std::process::id()));
    let opts = RunOptions {
        quiet: true,
        sink: sonde_runtime::OutputSink::File(path.clone()),
        ..RunOptions::default()
    };
    assert_eq!(sonde_runtime::Session::run(&object, &opts).unwrap(), 0);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "begin\nend 5\n@x: 42\n\n\n@x: 42\n"
    );
    std::fs::remove_file(&path).unwrap();
    assert_nothing_loaded("rt_of");
}
