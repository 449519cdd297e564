//! Command-line details bpftrace scripts and tests rely on: named
//! parameters for getopt(), positional parameters as strings, --dry-run,
//! output formats, unknown options, and -k warnings.

mod common;

use common::*;

#[test]
fn getopt_reads_named_parameters_after_the_double_dash() {
    let out = run(&[
        "-e",
        r#"BEGIN { print(($1, getopt("aa", 10), getopt("bb", -1), $2, getopt("cc", "hello"), getopt("dd"), getopt("ee", true))); }"#,
        "pos1",
        "--",
        "--aa=0x20",
        "--bb=-5",
        "--cc=bye",
        "pos2",
        "--dd",
        "--ee=False",
    ]);
    assert_eq!(
        stdout(&out),
        "(pos1, 32, -5, pos2, bye, true, false)\n\n\n",
        "{}",
        stderr(&out)
    );
    // Defaults when nothing is given.
    let out = run(&[
        "-e",
        r#"BEGIN { print((getopt("aa", 10), getopt("dd"))); }"#,
    ]);
    assert_eq!(stdout(&out), "(10, false)\n\n\n");
}

#[test]
fn named_parameter_errors_are_bpftraces() {
    let out = run(&[
        "-e",
        r#"BEGIN { print(getopt("aa", 10)); }"#,
        "--",
        "--aa=False",
    ]);
    assert_eq!(
        stderr(&out),
        "ERROR: program command line option --aa invalid integer (value: False)\n"
    );
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["-e", r#"BEGIN { print(getopt("aa", 10)); }"#, "--", "--bb"]);
    assert_eq!(
        stderr(&out),
        "ERROR: unexpected program command line options: --bb\nHINT: expected program options: --aa\n"
    );
    let out = run(&[
        "-e",
        r#"BEGIN { print((getopt("aa", 10, "Description of aa"), getopt("bb"))); }"#,
        "--",
        "--help",
    ]);
    assert_eq!(
        stderr(&out),
        "HINT: expected program options:\n--aa: Description of aa\n--bb\n"
    );
    assert_eq!(out.status.code(), Some(1));
    // Before the double dash, it is an option sonde does not know.
    let out = run(&["-e", "BEGIN { }", "--aa=20"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("USAGE:"), "{}", stderr(&out));
}

#[test]
fn dry_run_loads_but_runs_nothing() {
    let out = run(&[
        "--dry-run",
        "-e",
        r#"BEGIN { printf("hello\n"); @cli_dry = 0; }"#,
    ]);
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "");
    assert!(out.status.success());
    assert_released("@cli_dry");
}

#[test]
fn output_format_must_be_text_or_json() {
    let out = run(&["-f", "jsonx", "-e", "BEGIN { }"]);
    assert!(
        stderr(&out).starts_with("ERROR: Invalid output format \"jsonx\"\n\nUSAGE:\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn failed_helpers_are_reported_as_bpftrace_reports_them() {
    let script = r#"BEGIN { @cli_k[1] = 1; printf("%d\n", @cli_k[2]); }"#;
    let out = run(&["-k", "-q", "-e", script]);
    assert_eq!(
        stderr(&out),
        format!(
            "stdin:1:39-48: WARNING: Can't lookup map element because it does not exist.\n\
             Additional Info - helper: map_lookup_elem, retcode: 0\n{script}\n{}{}\n",
            " ".repeat(38),
            "~".repeat(9)
        )
    );
    assert_eq!(stdout(&out), "0\n\n\n@cli_k[1]: 1\n");
    // Without -k, a missing key is just zero.
    let out = run(&["-q", "-e", script]);
    assert_eq!(stderr(&out), "");
    let out = run(&["-q", "-f", "json", "-k", "-e", script]);
    assert_eq!(
        stdout(&out).lines().next(),
        Some(
            r#"{"type": "helper_error", "msg": "Success", "helper": "map_lookup_elem", "retcode": 0, "filename": "stdin", "line": 1, "col": 39}"#
        )
    );
    // A delete whose value is not used says when there was nothing to
    // delete.
    let out = run(&["-q", "-e", "BEGIN { @cli_d[1] = 1; delete(@cli_d, 2); }"]);
    assert!(
        stderr(&out).starts_with(
            "stdin:1:24-41: WARNING: Can't delete map element because it does not exist.\n\
             Additional Info - helper: map_delete_elem, retcode: -2\n"
        ),
        "{}",
        stderr(&out)
    );
    assert_released("@cli_k");
}

#[test]
fn probe_filter_keeps_matching_probes_and_begin_end() {
    let out = run(&[
        "-q",
        "--probe-filter",
        "ms:2$",
        "-e",
        r#"BEGIN { printf("begin\n"); } interval:ms:1 { printf("bad\n"); exit(); }
           interval:ms:2 /@cf_pf == 0/ { @cf_pf = 1; printf("hit\n"); exit(); } END { printf("end\n"); }"#,
    ]);
    assert_eq!(stdout(&out), "begin\nhit\nend\n\n\n@cf_pf: 1\n");
    assert_eq!(stderr(&out), "");
    assert!(out.status.success());
    assert_released("@cf_pf");
    // (The guard: the timer may fire again before the session stops.)
    // Without -q, the count says only the kept probes were attached.
    let out = run(&[
        "--probe-filter",
        "interval:ms:(2|3)",
        "-e",
        r#"interval:ms:1 { printf("bad\n"); exit(); } interval:ms:2 { @cf_pf2 = 1; }
           interval:ms:3 { exit(); }"#,
    ]);
    assert_eq!(stderr(&out), "Attached 2 probes\n");
    assert!(out.status.success());
    assert_released("@cf_pf2");
}

#[test]
fn probe_filter_leaving_nothing_or_malformed_fails() {
    // The attach point is left out before the kernel is asked whether it
    // can serve kprobes at all.
    let out = run(&[
        "--probe-filter",
        "no_such_probe_xyz",
        "-e",
        "kprobe:vfs_read { exit(); }",
    ]);
    assert_eq!(stdout(&out), "No probes to attach\n");
    assert_eq!(stderr(&out), "");
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["--probe-filter", "[bad", "-e", "BEGIN { }"]);
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).starts_with("ERROR: Invalid --probe-filter regex '[bad': "),
        "{}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bad_pids_are_reported_as_bpftrace_reports_them() {
    for (pid, message) in [
        ("a1111", "Failed to parse pid: invalid integer: a1111"),
        (
            "111a1",
            "Failed to parse pid: invalid trailing bytes: 111a1",
        ),
        (
            "not_a_pid",
            "Failed to parse pid: invalid integer: not_a_pid",
        ),
        ("5000000", "Pid out of range: 5000000"),
    ] {
        let out = run(&["-p", pid, "file.bt"]);
        assert_eq!(stderr(&out), format!("ERROR: {message}\n"));
        assert_eq!(stdout(&out), "");
        assert_eq!(out.status.code(), Some(1));
    }
}
