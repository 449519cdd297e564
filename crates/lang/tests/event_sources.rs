//! Every event source as the compiler sees it: expansion into attach
//! points, the names the `probe` builtin gives them, the errors of bad
//! attach points, and the one error for a facility the kernel lacks.

use sonde_lang::sema::env::Facility;
use sonde_lang::sema::fake_env::FakeEnv;
use sonde_lang::sema::probes::Attach;
use sonde_lang::sema::typed::{ProbeKind, TypedProgram};
use sonde_lang::sema::{analyse, Options};

fn check_in(src: &str, env: &FakeEnv) -> Result<TypedProgram, String> {
    let ast = sonde_lang::parse(src).expect("parses");
    analyse(&ast, env, &Options::default()).map_err(|d| sonde_lang::render(&d, src, "stdin"))
}

fn check(src: &str) -> TypedProgram {
    check_in(src, &FakeEnv::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn error(src: &str) -> String {
    check_in(src, &FakeEnv::default()).expect_err("should fail")
}

fn lacking(facility: Facility, reason: &str) -> FakeEnv {
    FakeEnv {
        missing: vec![(facility, reason.to_string())],
        ..FakeEnv::default()
    }
}

fn attaches(p: &TypedProgram) -> Vec<Attach> {
    p.probes
        .iter()
        .flat_map(|probe| probe.attach.iter().map(|(a, _)| a.clone()))
        .collect()
}

#[test]
fn software_events_by_name_alias_and_default_count() {
    let p = check(
        "software:cpu:100000 { } s:page-faults:1 { } software:cs { } software:bpf-output:1 { }",
    );
    assert_eq!(
        attaches(&p),
        [
            Attach::Software {
                config: 0,
                period: 100_000
            },
            Attach::Software {
                config: 2,
                period: 1
            },
            Attach::Software {
                config: 3,
                period: 1000
            },
            Attach::Software {
                config: 10,
                period: 1
            },
        ]
    );
    assert_eq!(
        p.probe_names,
        [
            "software:cpu:100000",
            "software:page-faults:1",
            "software:cs",
            "software:bpf-output:1"
        ]
    );
    assert!(p
        .probes
        .iter()
        .all(|probe| probe.kind == ProbeKind::PerfEvent));
}

#[test]
fn bad_software_and_hardware_events() {
    assert_eq!(
        error("software:nope:1 { }"),
        "stdin:1:1-16: ERROR: nope is not a software probe\nsoftware:nope:1 { }\n~~~~~~~~~~~~~~~\n"
    );
    assert_eq!(
        error("hardware:cache-misses:x { }").lines().next().unwrap(),
        "stdin:1:1-24: ERROR: Invalid count for hardware probe: 'x' is not a positive integer"
    );
    assert_eq!(
        error("software:cpu-* { }").lines().next().unwrap(),
        "stdin:1:1-15: ERROR: wildcards are not allowed for software probe type"
    );
}

#[test]
fn hardware_without_a_pmu_is_one_error_with_an_alternative() {
    let env = lacking(
        Facility::HardwarePmu,
        "this machine has no hardware PMU (perf_event_open of PERF_TYPE_HARDWARE fails with ENOENT)",
    );
    let err = check_in("hardware:cache-misses:10 { @ = count(); }", &env).unwrap_err();
    assert_eq!(
        err,
        "stdin:1:1-25: ERROR: hardware:cache-misses:10: hardware events are unavailable: \
         this machine has no hardware PMU (perf_event_open of PERF_TYPE_HARDWARE fails with ENOENT)\n\
         hardware:cache-misses:10 { @ = count(); }\n\
         ~~~~~~~~~~~~~~~~~~~~~~~~\n\
         HINT: count a software event instead, e.g. software:cpu-clock:1000000 or \
         software:page-faults:1 (sonde -l 'software:*' lists them)\n"
    );
    // With the PMU there, it compiles to a perf event program.
    let p = check("h:cycles { }");
    assert_eq!(
        attaches(&p),
        [Attach::Hardware {
            config: 0,
            period: 1_000_000
        }]
    );
}

#[test]
fn kprobes_missing_name_the_cause_and_a_tracepoint() {
    let env = lacking(
        Facility::Kprobes,
        "this kernel was built without CONFIG_KPROBES",
    );
    assert_eq!(
        check_in("kprobe:do_sys_openat2 { }", &env).unwrap_err(),
        "stdin:1:1-22: ERROR: kprobe:do_sys_openat2: kprobes are unavailable: this kernel was built without CONFIG_KPROBES\n\
         kprobe:do_sys_openat2 { }\n\
         ~~~~~~~~~~~~~~~~~~~~~\n\
         HINT: trace tracepoint:syscalls:sys_enter_openat instead\n"
    );
    assert_eq!(
        check_in("kretprobe:vfs_read { }", &env)
            .unwrap_err()
            .lines()
            .last()
            .unwrap(),
        "HINT: trace tracepoint:syscalls:sys_exit_read instead"
    );
    // A missing function is reported as such before the missing facility,
    // wherever it is in the script.
    assert_eq!(
        check_in("kprobe:vfs_read { } kprobe:vfs_read, kprobe:bad { }", &env)
            .unwrap_err()
            .lines()
            .next()
            .unwrap(),
        "stdin:1:38-48: ERROR: No matches for kprobe bad."
    );
    assert_eq!(
        check_in("kprobe:vmlinux:nonsense { }", &env)
            .unwrap_err()
            .lines()
            .next()
            .unwrap(),
        "stdin:1:1-24: ERROR: No matches for kprobe vmlinux:nonsense."
    );
}

#[test]
fn fentry_refused_names_the_cause_and_a_tracepoint() {
    let env = lacking(
        Facility::Trampolines,
        "the kernel refuses BPF_PROG_TYPE_TRACING programs (EPERM)",
    );
    assert_eq!(
        check_in("fexit:vfs_read { }", &env).unwrap_err(),
        "stdin:1:1-15: ERROR: fexit:vmlinux:vfs_read: fentry/fexit probes are unavailable: \
         the kernel refuses BPF_PROG_TYPE_TRACING programs (EPERM)\n\
         fexit:vfs_read { }\n\
         ~~~~~~~~~~~~~~\n\
         HINT: trace tracepoint:syscalls:sys_exit_read instead\n"
    );
}

#[test]
fn kernel_function_probes_expand_when_the_kernel_has_them() {
    let p = check("kprobe:vfs_rea* { } kretprobe:ksys_read { } fentry:vfs_write { }");
    assert_eq!(
        p.probe_names,
        [
            "kprobe:vfs_read",
            "kprobe:vfs_readv",
            "kretprobe:ksys_read",
            "fentry:vmlinux:vfs_write"
        ]
    );
    assert_eq!(
        p.probes.iter().map(|p| p.kind).collect::<Vec<_>>(),
        [
            ProbeKind::Kprobe { ret: false },
            ProbeKind::Kprobe { ret: true },
            ProbeKind::Fentry
        ]
    );
}

#[test]
fn watchpoints_and_their_errors() {
    let p = check("watchpoint:0x10000000:8:rw { } w:4096:1:x { }");
    assert_eq!(
        attaches(&p),
        [
            Attach::Watchpoint {
                addr: 0x1000_0000,
                len: 8,
                access: 3
            },
            Attach::Watchpoint {
                addr: 4096,
                len: 1,
                access: 4
            },
        ]
    );
    assert_eq!(
        error("watchpoint:0x1000:3:w { }").lines().next().unwrap(),
        "stdin:1:1-22: ERROR: watchpoint length must be one of (1,2,4,8)"
    );
    let env = lacking(Facility::Breakpoints, "no breakpoint PMU");
    assert_eq!(
        check_in("watchpoint:0x1000:8:w { }", &env)
            .unwrap_err()
            .lines()
            .next()
            .unwrap(),
        "stdin:1:1-22: ERROR: watchpoint:0x1000:8:w: watchpoints are unavailable: no breakpoint PMU"
    );
}

#[test]
fn self_signal_and_iterators() {
    let p = check("self:signal:SIGUSR1 { } iter:task { } iter:task_file:files { }");
    assert_eq!(
        attaches(&p),
        [
            Attach::Signal { signal: 10 },
            Attach::Iter {
                target: "task".into(),
                pin: None
            },
            Attach::Iter {
                target: "task_file".into(),
                pin: Some("files".into())
            },
        ]
    );
    assert_eq!(
        p.probes.iter().map(|p| p.kind).collect::<Vec<_>>(),
        [ProbeKind::Signal, ProbeKind::Iter, ProbeKind::Iter]
    );
    assert_eq!(
        error("self:signal:SIGHUP { }").lines().next().unwrap(),
        "stdin:1:1-19: ERROR: SIGHUP is not a supported signal"
    );
    assert_eq!(
        error("iter:nope { }").lines().next().unwrap(),
        "stdin:1:1-10: ERROR: nope is not an iterator of this kernel (sonde -l 'iter:*' lists them)"
    );
}

#[test]
fn missing_tracepoints_are_no_matches() {
    assert_eq!(
        error("t:syscalls:nonsense { }").lines().next().unwrap(),
        "stdin:1:1-20: ERROR: No matches for tracepoint syscalls:nonsense."
    );
}

fn raw(names: &[&str]) -> Vec<Attach> {
    names
        .iter()
        .map(|n| Attach::RawTracepoint {
            name: n.to_string(),
        })
        .collect()
}

#[test]
fn raw_tracepoints_without_btf_are_the_non_syscall_events() {
    assert_eq!(
        attaches(&check("rawtracepoint:sched_* { }")),
        raw(&["sched_process_exec", "sched_switch"])
    );
    assert_eq!(
        attaches(&check("rawtracepoint:vmlinux:sched_switch { }")),
        raw(&["sched_switch"])
    );
    // sys_enter_read is an event of the sys_enter raw tracepoint.
    assert_eq!(
        error("rawtracepoint:sys_enter_read { }"),
        "stdin:1:1-29: ERROR: Probe has no valid attach points. If this is expected, \
         set the 'missing_probes' config variable to 'warn'.\n\
         rawtracepoint:sys_enter_read { }\n\
         ~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
    );
    assert_eq!(
        error("rawtracepoint:nonsense:sched_switch { }"),
        "stdin:1:1-36: ERROR: No matches for rawtracepoint nonsense:sched_switch.\n\
         rawtracepoint:nonsense:sched_switch { }\n\
         ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
    );
}
