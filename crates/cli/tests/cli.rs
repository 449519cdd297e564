//! The command line around the language: listing, --info, -d, help.

mod common;

use common::*;

#[test]
fn lists_tracepoints_matching_a_pattern() {
    let out = run(&["-l", "tracepoint:syscalls:sys_enter_getp*id"]);
    assert_eq!(
        stdout(&out),
        "tracepoint:syscalls:sys_enter_getpgid\ntracepoint:syscalls:sys_enter_getpid\ntracepoint:syscalls:sys_enter_getppid\n"
    );
    let out = run(&["-l", "rt:sched_switch"]);
    assert_eq!(stdout(&out), "rawtracepoint:vmlinux:sched_switch\n");
}

#[test]
fn verbose_listing_shows_tracepoint_fields() {
    // -l is a flag and the pattern an argument, so options come in any order.
    for args in [
        &["-lv", "tracepoint:syscalls:sys_enter_openat"][..],
        &["-l", "-v", "tracepoint:syscalls:sys_enter_openat"],
        &["-v", "-l", "tracepoint:syscalls:sys_enter_openat"],
        &["tracepoint:syscalls:sys_enter_openat", "-vl"],
    ] {
        let out = run(args);
        assert_eq!(
            stdout(&out),
            "tracepoint:syscalls:sys_enter_openat\n    int __syscall_nr\n    int dfd\n    const char * filename\n    int flags\n    umode_t mode\n",
            "{args:?}"
        );
    }
    let out = run(&["-l", "tracepoint:a:b", "tracepoint:c:d"]);
    assert!(
        stderr(&out).starts_with(
            "ERROR: -l takes one search pattern or script ('tracepoint:c:d' is one too many)\n"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn listing_a_script_shows_its_probes() {
    let out = run(&[
        "-l",
        "-e",
        "tracepoint:syscalls:sys_enter_getp*id { } BEGIN { }",
    ]);
    assert_eq!(
        stdout(&out),
        "tracepoint:syscalls:sys_enter_getpgid\ntracepoint:syscalls:sys_enter_getpid\ntracepoint:syscalls:sys_enter_getppid\n"
    );
}

#[test]
fn info_reports_what_this_kernel_has() {
    let out = run(&["--info"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for line in [
        "  tracepoint: yes",
        "  rawtracepoint: yes",
        "  perf_event: yes",
        "  kprobe: no",
        "  fentry: no",
        "  kprobe_multi: no",
        "  btf: yes",
        "  Loop support: yes",
        "  ringbuf: yes",
        "  probe_read_kernel: yes",
        "  lookup_percpu_elem: yes",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}

#[test]
fn debug_shows_the_generated_program() {
    let out = run(&["-d", "-e", "BEGIN { @tc_dis = 7; exit(); }"]);
    let err = stderr(&out);
    assert!(err.starts_with("; program s_begin (RunOnce, "), "{err}");
    assert!(err.contains("\n0: r6 = r1\n"), "{err}");
    assert!(err.contains("call bpf_map_update_elem#2"), "{err}");
    assert!(err.contains("call bpf_ringbuf_output#130"), "{err}");
    assert_eq!(stdout(&out), "\n\n@tc_dis: 7\n");
}

#[test]
fn help_and_version() {
    let out = run(&["-h"]);
    assert!(out.status.success());
    assert!(stdout(&out).starts_with("USAGE:\n    sonde [options] filename"));
    let out = run(&["-V"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        format!("sonde {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn as_bpftrace_it_names_the_version_it_follows() {
    let dir = std::env::temp_dir().join(format!("sonde-as-bpftrace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("bpftrace");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(sonde_path(), &link).unwrap();
    let out = std::process::Command::new(&link)
        .arg("-V")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("bpftrace v0.26.1 (Sonde {})\n", env!("CARGO_PKG_VERSION"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
