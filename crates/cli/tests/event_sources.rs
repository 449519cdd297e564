//! Event sources beyond tracepoints, with the real binary on the real
//! kernel: software events and watchpoints counted exactly, signal probes,
//! iterators, listing, and the one error for each source this kernel lacks
//! (no kprobes, no fentry/fexit, no hardware PMU on this VM).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::*;

const SIGINT: i32 = 2;
const SIGUSR1: i32 = 10;

#[test]
fn page_faults_are_counted_exactly() {
    let tp = testprog();
    // The load generator makes exactly 37 faults between two getppid calls.
    let out = run(&[
        "-e",
        r#"tracepoint:syscalls:sys_enter_getppid /comm == "es_faults"/ { @es_phase = @es_phase + 1; }
           software:page-faults:1 /comm == "es_faults" && @es_phase == 1/ { @es_faults = count(); }"#,
        "-c",
        &format!("{tp} comm es_faults faults 37"),
    ]);
    assert_eq!(stdout(&out), "\n\n@es_faults: 37\n@es_phase: 2\n");
    assert_eq!(stderr(&out), "Attached 2 probes\n");
    assert!(out.status.success());
    assert_released("@es_faults");
}

#[test]
fn software_probes_name_themselves_as_written() {
    // A map, not print(): every CPU's event may fire before exit() lands.
    let out = run(&["-e", "software:cpu:100000 { @es_name = probe; exit(); }"]);
    assert_eq!(stdout(&out), "\n\n@es_name: software:cpu:100000\n");
    let out = run(&["-e", "s:cpu-clock:100000 { @es_name = probe; exit(); }"]);
    assert_eq!(stdout(&out), "\n\n@es_name: software:cpu-clock:100000\n");
    assert_released("@es_name");
}

#[test]
fn watchpoint_counts_every_write_of_a_traced_process() {
    // Write-only and read/write breakpoints both count each store.
    for mode in ["w", "rw"] {
        let mut target = Command::new(testprog())
            .args(["watch", "5"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("testprog starts");
        let mut address = String::new();
        BufReader::new(target.stdout.take().expect("piped"))
            .read_line(&mut address)
            .expect("testprog prints the address");
        let pid = target.id().to_string();
        let traced = start(&[
            "-p",
            &pid,
            "-e",
            &format!(
                "tracepoint:syscalls:sys_enter_getppid /pid == {pid}/ {{ @es_phase = @es_phase + 1; }}
                 watchpoint:{}:8:{mode} /@es_phase == 1/ {{ @es_watch = count(); }}",
                address.trim()
            ),
        ]);
        target
            .stdin
            .take()
            .expect("piped")
            .write_all(b"go\n")
            .expect("testprog reads");
        assert!(target.wait().expect("testprog ends").success());
        let (out, err, code) = traced.stop(SIGINT);
        // Only the stores between the two getppid markers are counted.
        assert_eq!(out, "\n\n@es_phase: 2\n@es_watch: 5\n", "{mode}");
        assert_eq!(err, "Attached 2 probes\n");
        assert_eq!(code, Some(0));
    }
    // x86 breakpoints cannot watch reads alone.
    let out = run(&["-e", "watchpoint:0x1000:8:r { }", "-p", "1"]);
    assert!(
        stderr(&out).contains("ERROR: invalid watchpoint mode: r; supported modes: rw,w,x"),
        "{}",
        stderr(&out)
    );
    assert_released("@es_watch");
}

#[test]
fn self_signal_probes_run_in_order_on_sigusr1() {
    let traced = start(&[
        "-e",
        r#"self:signal:SIGUSR1 { printf("first"); } self:signal:SIGUSR1 { printf(" second\n"); @es_sig = count(); exit(); }"#,
    ]);
    let status = Command::new("kill")
        .arg(format!("-{SIGUSR1}"))
        .arg(traced.pid().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
    let (out, err, code) = traced.finish();
    assert_eq!(out, "first second\n\n\n@es_sig: 1\n");
    // Counted per block, as bpftrace does, though both name the same point.
    assert_eq!(err, "Attached 2 probes\n");
    assert_eq!(code, Some(0));
    assert_released("@es_sig");
}

#[test]
fn task_iterator_visits_tasks_and_ends() {
    let out = run(&["-e", "iter:task { @es_tasks = count(); }"]);
    let text = stdout(&out);
    let n: u64 = text
        .strip_prefix("\n\n@es_tasks: ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected output {text:?}"));
    // This test process alone has a thread; the final NULL-task call is
    // not counted, so at least the tasks that exist are visited.
    assert!(n >= 1, "{text}");
    assert_eq!(stderr(&out), "Attached 1 probe\n");
    assert!(out.status.success());
    assert_released("@es_tasks");
}

#[test]
fn an_iterators_ctx_is_its_kernel_context_struct() {
    // ctx is struct bpf_iter__task *: the one task that is sonde's main
    // thread is found among all of them, with its name and thread group.
    let out = run(&[
        "-q",
        "-e",
        r#"iter:task /ctx.task.pid == pid/ { printf("%s %d\n", ctx.task.comm, ctx.task.tgid == pid); @es_ctx = count(); }"#,
    ]);
    assert_eq!(stdout(&out), "sonde 1\n\n\n@es_ctx: 1\n");
    assert!(out.status.success());
    assert_released("@es_ctx");
}

#[test]
fn missing_kernel_facilities_are_one_error_with_an_alternative() {
    let fails = |script: &str| {
        let out = run(&["-e", script]);
        assert_eq!(out.status.code(), Some(1), "for {script}");
        assert_eq!(stdout(&out), "", "for {script}");
        stderr(&out)
    };
    assert_eq!(
        fails("hardware:cache-misses:10 { @es_hw = count(); }"),
        "stdin:1:1-25: ERROR: hardware:cache-misses:10: hardware events are unavailable: \
         this machine has no hardware performance monitoring unit (perf_event_open of a \
         PERF_TYPE_HARDWARE event fails with No such file or directory; virtual machines often have none)\n\
         hardware:cache-misses:10 { @es_hw = count(); }\n\
         ~~~~~~~~~~~~~~~~~~~~~~~~\n\
         HINT: count a software event instead, e.g. software:cpu-clock:1000000 or \
         software:page-faults:1 (sonde -l 'software:*' lists them)\n"
    );
    assert_eq!(
        fails("kprobe:do_sys_openat2 { }"),
        "stdin:1:1-22: ERROR: kprobe:do_sys_openat2: kprobes are unavailable: this kernel was \
         built without CONFIG_KPROBES (there is no kprobe PMU in /sys/bus/event_source/devices)\n\
         kprobe:do_sys_openat2 { }\n\
         ~~~~~~~~~~~~~~~~~~~~~\n\
         HINT: trace tracepoint:syscalls:sys_enter_openat instead (or sys_enter_openat2)\n"
    );
    assert_eq!(
        fails("fexit:vfs_read { }"),
        "stdin:1:1-15: ERROR: fexit:vmlinux:vfs_read: fentry/fexit probes are unavailable: the \
         kernel refuses BPF_PROG_TYPE_TRACING fentry/fexit programs: loading one fails with EPERM even \
         as root (BPF trampolines are disabled or forbidden by policy)\n\
         fexit:vfs_read { }\n\
         ~~~~~~~~~~~~~~\n\
         HINT: trace tracepoint:syscalls:sys_exit_read instead\n"
    );
    assert_eq!(
        fails("kprobe:vmlinux:nonsense { }"),
        "stdin:1:1-24: ERROR: No matches for kprobe vmlinux:nonsense.\n\
         kprobe:vmlinux:nonsense { }\n\
         ~~~~~~~~~~~~~~~~~~~~~~~\n"
    );
    assert_released("@es_hw");
}

#[test]
fn listing_every_kind_of_probe() {
    let out = run(&["-l", "software:*"]);
    assert_eq!(
        stdout(&out),
        "software:alignment-faults:\nsoftware:bpf-output:\nsoftware:context-switches:\n\
         software:cpu-clock:\nsoftware:cpu-migrations:\nsoftware:cpu:\nsoftware:cs:\n\
         software:dummy:\nsoftware:emulation-faults:\nsoftware:faults:\nsoftware:major-faults:\n\
         software:minor-faults:\nsoftware:page-faults:\nsoftware:task-clock:\n"
    );
    let out = run(&["-l", "profile:*"]);
    assert_eq!(
        stdout(&out),
        "profile:hz:\nprofile:ms:\nprofile:s:\nprofile:us:\n"
    );
    let out = run(&["-l", "*:task_vma"]);
    assert_eq!(stdout(&out), "iter:task_vma\n");
    let out = run(&["-l", "kprobe:vfs_read,fentry:vfs_read"]);
    assert_eq!(stdout(&out), "kprobe:vfs_read\nfentry:vmlinux:vfs_read\n");
    let out = run(&[
        "-l",
        "-e",
        "hardware:cache-misses:10 { } tracepoint:syscalls:sys_enter_getp*id { } interval:ms:5 { } BEGIN { }",
    ]);
    assert_eq!(
        stdout(&out),
        "hardware:cache-misses:\ntracepoint:syscalls:sys_enter_getpgid\n\
         tracepoint:syscalls:sys_enter_getpid\ntracepoint:syscalls:sys_enter_getppid\n\
         interval:ms:\n"
    );
    assert!(out.status.success());
}

#[test]
fn raw_tracepoints_that_do_not_exist_are_reported_as_bpftrace_does() {
    let out = run(&["-e", "rawtracepoint:es_nonsense { }"]);
    assert_eq!(
        stderr(&out),
        "stdin:1:1-26: ERROR: Probe has no valid attach points. If this is expected, set the \
         'missing_probes' config variable to 'warn'.\nrawtracepoint:es_nonsense { }\n\
         ~~~~~~~~~~~~~~~~~~~~~~~~~\n"
    );
    let out = run(&["-e", "rawtracepoint:es_nonsense:sys_exit { }"]);
    assert_eq!(
        stderr(&out),
        "stdin:1:1-35: ERROR: No matches for rawtracepoint es_nonsense:sys_exit.\n\
         rawtracepoint:es_nonsense:sys_exit { }\n~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
    );
    assert_eq!(out.status.code(), Some(1));
    // The syscalls category has no raw tracepoints: sys_* is raw_syscalls's two.
    let out = run(&["-d", "--dry-run", "-e", "rawtracepoint:sys_* { }"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let programs: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("; program"))
        .collect::<Vec<_>>();
    assert_eq!(
        programs,
        // Each a tp_btf program, bound to its tracepoint when loaded.
        [
            "; program s_sys_enter (TpBtf, 3 instructions) for rawtracepoint:sys_enter",
            "; program s_sys_exit (TpBtf, 3 instructions) for rawtracepoint:sys_exit"
        ]
    );
}

/// getppid's number, what a `sys_enter` raw tracepoint's `args.id` says.
#[cfg(target_arch = "x86_64")]
const GETPPID: u32 = 110;
#[cfg(target_arch = "aarch64")]
const GETPPID: u32 = 173;

#[test]
fn raw_tracepoints_load_as_tp_btf_and_fall_back_to_raw_tracepoint_programs() {
    let tp = testprog();
    let script = format!(
        r#"rawtracepoint:sys_enter /comm == "es_tpbtf" && args.id == {GETPPID}/ {{ @es_tpbtf = count(); }}"#
    );
    let command = format!("{tp} comm es_tpbtf getppid 7");
    // As bpftrace loads them: BPF_PROG_TYPE_TRACING bound to the
    // tracepoint's BTF. Where the kernel takes none (SONDE_NO_TP_BTF
    // stands in for such a kernel), a raw tracepoint program.
    for (env, kind) in [
        (vec![], "tp_btf"),
        (vec![("SONDE_NO_TP_BTF", "1")], "raw_tracepoint"),
    ] {
        let out = run_env(&["-v", "-e", &script, "-c", &command], &env);
        assert_eq!(stdout(&out), "\n\n@es_tpbtf: 7\n", "{kind}");
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("program s_sys_enter ({kind}): id ")),
            "{err}"
        );
    }
    // The verifier lets a tp_btf program only add to a pointer argument:
    // masking one needs the plain program, which reads it as a number.
    let out = run(&[
        "-v",
        "-e",
        r#"rawtracepoint:sys_enter /comm == "es_tpbtf"/ { @es_low = (uint64)args.regs & 0; }"#,
        "-c",
        &command,
    ]);
    assert_eq!(stdout(&out), "\n\n@es_low: 0\n");
    assert!(
        stderr(&out).starts_with("program s_sys_enter (raw_tracepoint): id "),
        "{}",
        stderr(&out)
    );
    assert_released("@es_tpbtf");
}
