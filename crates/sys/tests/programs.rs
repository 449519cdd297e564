//! Programs on the real kernel: load, attach to tracepoints with cookies,
//! count events, ring buffer records, test runs, and nothing left behind.

mod common;

use common::{assert_gone, getppid_times, Asm, HELPER_GET_ATTACH_COOKIE, HELPER_RINGBUF_OUTPUT};
use sonde_isa::{op, Insn, Size, R0, R1, R10, R2, R3, R4, R6, R7};
use sonde_sys::{
    gettid, loaded_programs, Link, Map, MapSpec, MapType, PerfAttachment, PerfEvent, ProgSpec,
    ProgType, Program, RingBuf, Sampling, SoftwareEvent, Target, Tracefs,
};

fn counter_array(name: &str) -> Map {
    Map::create(&MapSpec {
        name: name.into(),
        map_type: MapType::Array,
        key_size: 4,
        value_size: 8,
        max_entries: 2,
        flags: 0,
    })
    .unwrap()
}

fn slot(map: &Map, index: u32) -> u64 {
    u64::from_le_bytes(
        map.get(&index.to_le_bytes()).unwrap().unwrap()[..]
            .try_into()
            .unwrap(),
    )
}

/// `counts[0] += 1; counts[1] = cookie` for events of this thread only, and
/// for raw tracepoints only when `ctx[1]` (the syscall number) matches.
fn counting_program(map: &Map, tid: i32, syscall_nr: Option<i64>) -> Vec<u8> {
    let fd = map.fd_raw();
    let mut asm = Asm::new();
    asm.emit(Insn::mov64_reg(R6, R1));
    if let Some(nr) = syscall_nr {
        asm.emit(Insn::ldx(Size::DW, R2, R6, 8));
        asm.jump_to_exit(Insn::jmp_imm(op::JNE, R2, nr as i32, 0));
    }
    asm.only_thread(tid);
    asm.array_slot(fd, 0);
    asm.emit(Insn::mov64_imm(R1, 1));
    asm.emit(Insn::atomic_add(Size::DW, R0, 0, R1));
    asm.emit(Insn::mov64_reg(R1, R6));
    asm.emit(Insn::call(HELPER_GET_ATTACH_COOKIE));
    asm.emit(Insn::mov64_reg(R7, R0));
    asm.array_slot(fd, 1);
    asm.emit(Insn::stx(Size::DW, R0, 0, R7));
    asm.finish()
}

trait RawFd {
    fn fd_raw(&self) -> i32;
}

impl RawFd for Map {
    fn fd_raw(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.fd().as_raw_fd()
    }
}

#[test]
fn tracepoint_with_cookie_counts_exactly() {
    let tracefs = Tracefs::get().unwrap();
    let id = tracefs.event_id("syscalls", "sys_enter_getppid").unwrap();
    let map = counter_array("t_tp_counts");
    let insns = counting_program(&map, gettid(), None);
    let prog = Program::load(&ProgSpec::new("t_tp_prog", ProgType::Tracepoint, &insns)).unwrap();
    let prog_id = prog.info().unwrap().id;
    let event = PerfEvent::tracepoint(id, Target::cpu(0)).unwrap();
    let attachment = PerfAttachment::attach(&prog, event, 0xc0ffee).unwrap();
    assert!(attachment.has_cookie());

    getppid_times(25);
    assert_eq!(slot(&map, 0), 25);
    assert_eq!(slot(&map, 1), 0xc0ffee);

    let links: Vec<u32> = sonde_sys::loaded_links()
        .unwrap()
        .into_iter()
        .filter(|l| l.prog_id == prog_id)
        .map(|l| l.id)
        .collect();
    assert_eq!(links.len(), 1);
    drop(attachment);
    getppid_times(5);
    assert_eq!(slot(&map, 0), 25, "no events after detaching");
    let map_id = map.id().unwrap();
    drop(prog);
    drop(map);
    assert_gone(&[prog_id], &links, &[map_id]);
}

#[test]
fn detach_program_stops_events_before_the_event_closes() {
    let id = Tracefs::get()
        .unwrap()
        .event_id("syscalls", "sys_enter_getppid")
        .unwrap();
    let map = counter_array("t_tp_detach");
    let insns = counting_program(&map, gettid(), None);
    let prog = Program::load(&ProgSpec::new("t_tp_detach", ProgType::Tracepoint, &insns)).unwrap();
    let mut attachment =
        PerfAttachment::attach(&prog, PerfEvent::tracepoint(id, Target::cpu(0)).unwrap(), 1)
            .unwrap();
    getppid_times(3);
    attachment.detach_program();
    getppid_times(3);
    assert_eq!(slot(&map, 0), 3);
}

#[test]
fn raw_tracepoint_with_cookie_counts_exactly() {
    let map = counter_array("t_raw_counts");
    let insns = counting_program(&map, gettid(), Some(libc::SYS_getppid));
    let prog = Program::load(&ProgSpec::new(
        "t_raw_prog",
        ProgType::RawTracepoint,
        &insns,
    ))
    .unwrap();
    let prog_id = prog.info().unwrap().id;
    let link = Link::raw_tracepoint(&prog, "sys_enter", 77).unwrap();
    let link_id = link.id().unwrap();

    getppid_times(40);
    assert_eq!(slot(&map, 0), 40);
    assert_eq!(slot(&map, 1), 77);

    drop(link);
    drop(prog);
    assert_gone(&[prog_id], &[link_id], &[]);
}

#[test]
fn raw_tracepoint_without_cookie_uses_the_old_attr() {
    let map = counter_array("t_raw_nock");
    let insns = counting_program(&map, gettid(), Some(libc::SYS_getppid));
    let prog = Program::load(&ProgSpec::new(
        "t_raw_nock",
        ProgType::RawTracepoint,
        &insns,
    ))
    .unwrap();
    let _link = Link::raw_tracepoint(&prog, "sys_enter", 0).unwrap();
    getppid_times(2);
    assert_eq!(slot(&map, 0), 2);
    assert_eq!(slot(&map, 1), 0);
    let err = Link::raw_tracepoint(&prog, "no_such_tracepoint_x", 3).unwrap_err();
    assert_eq!(err.to_string(), "bpf(BPF_RAW_TRACEPOINT_OPEN): No such file or directory: raw tracepoint `no_such_tracepoint_x`");
}

/// A raw tracepoint program run by test_run: writes `ctx[0]` as one 8-byte
/// ring buffer record and returns `ctx[0] + 1`.
fn ringbuf_writer(ring: &Map) -> Vec<u8> {
    use std::os::fd::AsRawFd;
    let mut asm = Asm::new();
    asm.emit(Insn::ldx(Size::DW, R6, R1, 0));
    asm.emit(Insn::stx(Size::DW, R10, -8, R6));
    asm.emit2(Insn::ld_map_fd(R1, ring.fd().as_raw_fd()));
    asm.emit(Insn::mov64_reg(R2, R10));
    asm.emit(Insn::alu64_imm(op::ADD, R2, -8));
    asm.emit(Insn::mov64_imm(R3, 8));
    asm.emit(Insn::mov64_imm(R4, 0));
    asm.emit(Insn::call(HELPER_RINGBUF_OUTPUT));
    asm.emit(Insn::mov64_reg(R0, R6));
    asm.emit(Insn::alu64_imm(op::ADD, R0, 1));
    asm.emit(Insn::exit());
    asm.finish()
}

#[test]
fn ring_buffer_records_come_back_exactly_and_in_order() {
    let ring_map = Map::create(&MapSpec {
        name: "t_ring".into(),
        map_type: MapType::RingBuf,
        key_size: 0,
        value_size: 0,
        max_entries: 4096,
        flags: 0,
    })
    .unwrap();
    let insns = ringbuf_writer(&ring_map);
    let prog = Program::load(&ProgSpec::new(
        "t_ring_prog",
        ProgType::RawTracepoint,
        &insns,
    ))
    .unwrap();
    let mut ring = RingBuf::new(&ring_map).unwrap();

    // 1000 records of 16 bytes each wrap the 4 KiB buffer several times.
    let mut seen = Vec::new();
    for round in 0..10u64 {
        for i in 0..100u64 {
            let arg = round * 100 + i;
            let run = prog.test_run(Some(&arg.to_le_bytes())).unwrap();
            assert_eq!(run.retval as u64, arg + 1);
        }
        let n = ring
            .poll(1000, |record| {
                seen.push(u64::from_le_bytes(record.try_into().unwrap()))
            })
            .unwrap();
        assert_eq!(n, 100);
    }
    assert_eq!(seen, (0..1000).collect::<Vec<_>>());
    assert!(!ring.has_data());
    assert_eq!(ring.poll(0, |_| panic!("no more records")).unwrap(), 0);
}

#[test]
fn test_run_without_context_and_with_a_too_small_one() {
    let prog = Program::load(&ProgSpec::new(
        "t_run",
        ProgType::RawTracepoint,
        &sonde_isa::encode_all(&[Insn::mov64_imm(R0, 7), Insn::exit()]),
    ))
    .unwrap();
    assert_eq!(prog.test_run(None).unwrap().retval, 7);

    let ring_map = Map::create(&MapSpec {
        name: "t_run_ring".into(),
        map_type: MapType::RingBuf,
        key_size: 0,
        value_size: 0,
        max_entries: 4096,
        flags: 0,
    })
    .unwrap();
    let reads_ctx = Program::load(&ProgSpec::new(
        "t_run_ctx",
        ProgType::RawTracepoint,
        &ringbuf_writer(&ring_map),
    ))
    .unwrap();
    let err = reads_ctx.test_run(None).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EINVAL));
}

#[test]
fn verifier_rejection_carries_errno_and_log() {
    // Reads r2, which was never written.
    let insns = sonde_isa::encode_all(&[Insn::mov64_reg(R0, R2), Insn::exit()]);
    let err = Program::load(&ProgSpec::new("t_bad", ProgType::Tracepoint, &insns)).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EACCES));
    assert!(
        err.verifier_log().unwrap().contains("R2 !read_ok"),
        "{:?}",
        err.verifier_log()
    );
    assert!(!err.is_permission_denied());
    assert_eq!(
        err.to_string(),
        "bpf(BPF_PROG_LOAD): Permission denied: loading program `t_bad`"
    );
    assert!(loaded_programs().unwrap().iter().all(|p| p.name != "t_bad"));
}

#[test]
fn software_clock_fires_on_one_cpu() {
    use std::os::fd::AsRawFd;
    let map = counter_array("t_clock");
    let mut asm = Asm::new();
    asm.array_slot(map.fd().as_raw_fd(), 0);
    asm.emit(Insn::mov64_imm(R1, 1));
    asm.emit(Insn::atomic_add(Size::DW, R0, 0, R1));
    let insns = asm.finish();
    let prog = Program::load(&ProgSpec::new("t_clock", ProgType::PerfEvent, &insns)).unwrap();
    let prog_id = prog.info().unwrap().id;
    // 1 ms period on every CPU of this thread's process would be noisy: use
    // this thread only, on any CPU.
    let event = PerfEvent::software(
        SoftwareEvent::TaskClock,
        Sampling::Period(1_000_000),
        Target {
            pid: gettid(),
            cpu: -1,
        },
    )
    .unwrap();
    let attachment = PerfAttachment::attach(&prog, event, 0).unwrap();
    let start = std::time::Instant::now();
    while slot(&map, 0) < 3 && start.elapsed().as_secs() < 5 {
        std::hint::black_box((0..10_000u64).sum::<u64>());
    }
    assert!(slot(&map, 0) >= 3, "timer fired {} times", slot(&map, 0));
    drop(attachment);
    drop(prog);
    assert_gone(&[prog_id], &[], &[]);
}

#[test]
fn tracing_programs_refused_here_say_so() {
    // fentry needs a BTF id; any id reaches the permission check or fails
    // on the id, depending on the kernel.
    let insns = sonde_isa::encode_all(&[Insn::mov64_imm(R0, 0), Insn::exit()]);
    let mut spec = ProgSpec::new("t_fentry", ProgType::Tracing, &insns);
    spec.expected_attach_type = Some(sonde_sys::AttachType::TraceFentry);
    spec.attach_btf_id = 1;
    let err = Program::load(&spec).unwrap_err();
    // This machine's kernel forbids tracing programs to everyone.
    assert_eq!(err.errno(), Some(libc::EPERM));
    assert!(!err.is_permission_denied());
    assert_eq!(
        err.to_string(),
        "bpf(BPF_PROG_LOAD): Operation not permitted: the kernel refused to load `t_fentry`, a fentry program \
         (BPF_PROG_TYPE_TRACING); kernels that forbid BPF trampolines refuse these even to root"
    );
}

#[test]
fn kprobe_multi_links_are_refused_without_fprobe() {
    // This machine's kernel is built without CONFIG_FPROBE (and without
    // CONFIG_KPROBES): a kprobe program loads for kprobe_multi links, but
    // the link itself is not supported, whatever the symbols.
    let insns = sonde_isa::encode_all(&[Insn::mov64_imm(R0, 0), Insn::exit()]);
    let mut spec = ProgSpec::new("t_kpmulti", ProgType::Kprobe, &insns);
    spec.expected_attach_type = Some(sonde_sys::AttachType::TraceKprobeMulti);
    let prog = Program::load(&spec).unwrap();
    let prog_id = prog.info().unwrap().id;
    let err = Link::kprobe_multi(&prog, &["vfs_read", "vfs_write"], &[1, 2], false).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EOPNOTSUPP), "{err}");
    assert!(!sonde_sys::features::kprobe_multi_supported());
    drop(prog);
    assert_gone(&[prog_id], &[], &[]);
}
