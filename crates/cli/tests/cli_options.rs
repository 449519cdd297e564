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

/// The rows of a benchmark table: (name, average ns, iterations).
fn bench_rows(text: &str) -> Vec<(String, u64, u64)> {
    text.lines()
        .map(|line| {
            let (name, rest) = line.split_at(41);
            let (time, iters) = rest.split_at(15);
            (
                name.trim_end().to_string(),
                time.trim_end().parse().expect("time"),
                iters.parse().expect("iterations"),
            )
        })
        .collect()
}

#[test]
fn bench_mode_times_each_bench_probe() {
    let out = run(&[
        "--mode",
        "bench",
        "-e",
        r#"BEGIN { printf("begin\n"); } bench:a { @cf_ba = count(); } bench:bb { @cf_bb = count(); }
           END { printf("end\n"); }"#,
    ]);
    assert_eq!(stderr(&out), "");
    assert!(out.status.success());
    let text = stdout(&out);
    let table = text
        .strip_prefix(&format!(
            "begin\n{:<41}{:<15}Iterations\n{}\n",
            "Benchmark",
            "Time(ns)",
            "-".repeat(66)
        ))
        .and_then(|t| t.strip_suffix("end\n\n\n"))
        .unwrap_or_else(|| panic!("{text}"));
    let rows = bench_rows(table);
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["a", "bb"]
    );
    for (_, average, iters) in rows {
        // Repeated until the runs took a millisecond together.
        assert!(average * iters >= 1_000_000, "{average} x {iters}");
    }
    assert_released("@cf_ba");
    assert_released("@cf_bb");
}

#[test]
fn bench_results_in_json_and_failures() {
    let out = run(&[
        "-q",
        "-f",
        "json",
        "--bench",
        "-e",
        "bench:one { @cf_bj = count(); } END { print(@cf_bj); }",
    ]);
    assert_eq!(stderr(&out), "");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let fields = lines[0]
        .strip_prefix(r#"{"type": "benchmark_result", "data": {"one": {"average": "#)
        .and_then(|l| l.strip_suffix("}}}"))
        .unwrap_or_else(|| panic!("{text}"));
    let (average, iters) = fields.split_once(r#", "iters": "#).expect("two fields");
    let average: u64 = average.parse().unwrap();
    let iters: u64 = iters.parse().unwrap();
    assert!(average * iters >= 1_000_000, "{average} x {iters}");
    // Every run counts: the last repeat and the shorter ones before it,
    // each at most half as long as the next.
    let count: u64 = lines[1]
        .strip_prefix(r#"{"type": "map", "data": {"@cf_bj": "#)
        .and_then(|l| l.strip_suffix("}}"))
        .unwrap_or_else(|| panic!("{text}"))
        .parse()
        .unwrap();
    assert!(count >= iters && count < 2 * iters, "{count} runs, {iters}");
    assert_released("@cf_bj");

    let out = run(&["--bench", "-e", "bench:bad { exit(3); }"]);
    assert_eq!(stderr(&out), "ERROR: Benchmark 'bad' failed.\n");
    assert_eq!(stdout(&out), "\n\n");
    assert_eq!(out.status.code(), Some(1));
    // Without --bench, benchmarks do not run.
    let out = run(&["-e", "bench:a { }"]);
    assert_eq!(
        stderr(&out),
        "ERROR: No probes attached; use --bench to run benchmark probes.\n"
    );
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["--mode", "fast", "-e", "bench:a { }"]);
    assert_eq!(
        stderr(&out),
        "ERROR: USAGE: --mode can only be 'codegen', 'compiler-bench', 'bench', 'test' or 'format'.\n"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn included_headers_give_their_numeric_macros() {
    let out = run(&[
        "-q",
        "--include",
        "errno.h",
        "-e",
        "begin { print(strerror(EPERM)); print((ENOENT, EWOULDBLOCK)); }",
    ]);
    if std::path::Path::new("/usr/include/errno.h").is_file() {
        assert_eq!(stdout(&out), "Operation not permitted\n(2, 11)\n\n\n");
        assert_eq!(stderr(&out), "");
    } else {
        assert!(stderr(&out).starts_with("stdin:1:24-29: ERROR: Unknown identifier: 'EPERM'\n"));
    }
    // The script's own definition wins over the header's.
    let out = run(&[
        "-q",
        "-e",
        "#include <errno.h>\n#define EPERM 77\nbegin { print(EPERM); }",
    ]);
    assert_eq!(stdout(&out), "77\n\n\n", "{}", stderr(&out));
}
