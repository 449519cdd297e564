//! Bad input through the real binary: every error names its place and
//! cause in bpftrace's layout, exits non-zero, and leaves nothing loaded.

mod common;

use common::*;

/// Run a script that must fail; return its stderr.
fn fails(script: &str) -> String {
    let out = run(&["-e", script]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "", "nothing reaches stdout");
    stderr(&out)
}

#[test]
fn script_errors_point_at_line_and_column() {
    let cases: &[(&str, &str)] = &[
        (
            "BEGIN { foo(); }",
            "stdin:1:9-14: ERROR: Unknown function: 'foo'\nBEGIN { foo(); }\n        ~~~~~\n",
        ),
        (
            "BEGIN { @x = count(1); }",
            "stdin:1:14-22: ERROR: count() requires no arguments (1 provided)\nBEGIN { @x = count(1); }\n             ~~~~~~~~\n",
        ),
        (
            "tracepoint:syscalls:sys_enter_nope { }",
            "stdin:1:1-35: ERROR: No matches for tracepoint syscalls:sys_enter_nope.\ntracepoint:syscalls:sys_enter_nope { }\n~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n",
        ),
        (
            "BEGIN {\n  if (comm == 1) {}\n}",
            "stdin:2:7-16: ERROR: Type mismatch for '==': comparing 'string[16]' with 'int64'\n  if (comm == 1) {}\n      ~~~~~~~~~\n",
        ),
        (
            "BEGIN { printf(\"%d %d\\n\", 1); }",
            "stdin:1:9-29: ERROR: printf: not enough arguments for format string (1 supplied, 2 expected)\nBEGIN { printf(\"%d %d\\n\", 1); }\n        ~~~~~~~~~~~~~~~~~~~~\n",
        ),
        (
            "tracepoint:syscalls:sys_enter_getppid { print(args.nope); }",
            "stdin:1:47-56: ERROR: Can't find a field nope in tracepoint syscalls:sys_enter_getppid\ntracepoint:syscalls:sys_enter_getppid { print(args.nope); }\n                                              ~~~~~~~~~\nHINT: its fields are: __syscall_nr\n",
        ),
        (
            "BEGIN { @x = 1 +; }",
            "stdin:1:17-18: ERROR: syntax: expected expression\nBEGIN { @x = 1 +; }\n                ~\n",
        ),
        (
            "kprobe:vfs_read { }",
            "stdin:1:1-16: ERROR: kprobe:vfs_read: kprobes are unavailable: this kernel was built without CONFIG_KPROBES (there is no kprobe PMU in /sys/bus/event_source/devices)\nkprobe:vfs_read { }\n~~~~~~~~~~~~~~~\nHINT: trace tracepoint:syscalls:sys_enter_read instead\n",
        ),
        (
            "nosuchprovider:x { }",
            "stdin:1:1-17: ERROR: Invalid probe type: nosuchprovider\nnosuchprovider:x { }\n~~~~~~~~~~~~~~~~\nHINT: probe types are begin, end, self, tracepoint, rawtracepoint, kprobe, kretprobe, fentry, fexit, software, hardware, interval, profile, watchpoint, iter, uprobe, uretprobe and usdt\n",
        ),
    ];
    for (script, expected) in cases {
        assert_eq!(fails(script), *expected, "for {script}");
    }
}

#[test]
fn verifier_rejection_shows_the_log_and_the_probe() {
    let _claim = claim("tc_verif");
    let err = fails("BEGIN { @tc_verif = 1; $i = 0; while ($i < 1) { } }");
    assert!(
        err.starts_with(
            "ERROR: cannot load the program for begin: bpf(BPF_PROG_LOAD): Invalid argument"
        ),
        "{err}"
    );
    assert!(err.contains("\nverifier log:\n"), "{err}");
    assert!(err.contains("infinite loop detected"), "{err}");
    assert_released("@tc_verif");
}

#[test]
fn not_root_is_one_line() {
    let out = std::process::Command::new("runuser")
        .args(["-u", "nobody", "--"])
        .arg(sonde_path())
        .args(["-e", "BEGIN { exit(); }"])
        .output()
        .expect("runuser runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "ERROR: sonde must run as root (or with CAP_BPF and CAP_PERFMON) to load BPF programs\n"
    );
}

#[test]
fn missing_files_and_bad_flags() {
    let out = run(&["/nonexistent/script.bt"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "ERROR: failed to open file '/nonexistent/script.bt': No such file or directory\n"
    );
    let out = run(&["-idonotexist"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("ERROR: unknown option '-idonotexist'\n\nUSAGE:\n"));
    let out = run(&["-f", "xml", "-e", "BEGIN {}"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("USAGE:"), "{}", stderr(&out));
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("ERROR: No program given"));
}

#[test]
fn a_failed_attach_releases_what_was_loaded() {
    let _claim = claim("tc_partial");
    // The tracepoint loads and attaches; the profile probe asks for a
    // sampling rate the kernel refuses: everything must go.
    let out = run(&[
        "-e",
        "tracepoint:syscalls:sys_enter_getppid { @tc_partial = count(); } \
         profile:hz:999999999 { @tc_partial2 = count(); }",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "ERROR: cannot attach profile:hz:999999999: perf_event_open: Invalid argument: software event CpuClock on cpu 0\n"
    );
    assert_released("@tc_partial");
    assert_released("@tc_partial2");
}
