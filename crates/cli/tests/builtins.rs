//! Builtins and their call forms, checked against what the kernel and the
//! system say, through the real binary.

mod common;

use common::*;

#[test]
fn builtins_as_calls_and_with_the_builtin_prefix() {
    let out = run(&[
        "-e",
        r#"BEGIN {
             printf("%d %d %d %d %d\n", pid() == pid, pid(init) == __builtin_pid,
                    tid(curr_ns) == tid, uid() == __builtin_uid, cpu() == cpu);
             printf("%s %s %s %d\n", probetype, probetype(), __builtin_probetype, usermode);
           }"#,
    ]);
    assert_eq!(stdout(&out), "1 1 1 1 1\nspecial special special 1\n\n\n");
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn pid_and_username_are_sondes_own() {
    let out = run(&[
        "-e",
        r#"BEGIN { printf("%d %s %d\n", pid, username, uid); }"#,
    ]);
    let pid = out_pid(&stdout(&out));
    // The program ran in sonde itself: its pid is the child we started.
    assert!(pid > 1);
    assert_eq!(stdout(&out), format!("{pid} root 0\n\n\n"));
}

fn out_pid(text: &str) -> u32 {
    text.split_whitespace()
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or(0)
}

#[test]
fn ncpus_counts_the_possible_cpus() {
    let possible = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap();
    let highest: u32 = possible
        .trim()
        .rsplit(['-', ','])
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let out = run(&["-e", "BEGIN { print(ncpus); print(numaid); }"]);
    assert_eq!(stdout(&out), format!("{}\n0\n\n\n", highest + 1));
}

#[test]
fn clocks_agree_with_each_other() {
    // Boot time includes suspend, so it is never behind the monotonic
    // clock; TAI is wall-clock time (decades), boot time is not.
    let out = run(&[
        "-e",
        r#"BEGIN {
             $m = nsecs(monotonic); $b = nsecs;
             printf("%d %d %d\n", $b >= $m, nsecs(boot) >= $b, nsecs(sw_tai) > 1000000000 * 3600 * 24 * 365 * 30);
             printf("%d\n", elapsed < 10000000000);
           }"#,
    ]);
    assert_eq!(stdout(&out), "1 1 1\n1\n\n\n", "{}", stderr(&out));
}

#[test]
fn bad_clock_and_namespace_names_are_errors() {
    let out = run(&["-e", "BEGIN { print(nsecs(wall)); }"]);
    assert_eq!(
        stderr(&out),
        "stdin:1:21-25: ERROR: Invalid timestamp mode: wall\nBEGIN { print(nsecs(wall)); }\n                    ~~~~\nHINT: use boot, monotonic, tai or sw_tai\n"
    );
    let out = run(&["-e", "BEGIN { print(pid(1)); }"]);
    assert_eq!(
        stderr(&out),
        "stdin:1:19-20: ERROR: pid() takes one of curr_ns or init as its argument\nBEGIN { print(pid(1)); }\n                  ~\n"
    );
}

/// Strings far beyond the 512-byte BPF stack live in per-CPU scratch
/// memory, and are printed, keyed and compared whole.
#[test]
fn big_strings_survive_every_use() {
    let tp = testprog();
    let long = format!("/tmp/{}", "X".repeat(3000));
    let out = run_env(
        &[
            "-q",
            "-e",
            r#"tracepoint:syscalls:sys_enter_openat /comm == "tc_bigstr"/ {
                 $s = str(args.filename);
                 @tc_bigstr[$s] = count();
                 printf("%s\n", $s);
                 print(($s, 1));
               }"#,
            "-c",
            &format!("{tp} comm tc_bigstr open {long}"),
        ],
        &[("BPFTRACE_MAX_STRLEN", "4000")],
    );
    assert_eq!(
        stdout(&out),
        format!("{long}\n({long}, 1)\n\n\n@tc_bigstr[{long}]: 1\n"),
        "{}",
        stderr(&out)
    );
    assert_released("@tc_bigstr");
}

/// With `max_strlen` below 1024, a string cut by `str()` prints with the
/// truncation trailer (`..` or `str_trunc_trailer`); an explicit length
/// cuts without it.
#[test]
fn truncated_strings_carry_the_trailer() {
    let tp = testprog();
    let script = r#"tracepoint:syscalls:sys_enter_openat /comm == "tc_trunc"/ {
                      printf("%s|%s|%s\n", str(args.filename), str(args.filename, 3), str(args.filename, 9));
                    }"#;
    let cmd = format!("{tp} comm tc_trunc open /tmp/abcdefgh open /tmp");
    let out = run_env(
        &["-q", "-e", script, "-c", &cmd],
        &[("BPFTRACE_MAX_STRLEN", "6")],
    );
    assert_eq!(stdout(&out), "/tmp/a..|/tm|/tmp/a..\n/tmp|/tm|/tmp\n\n\n");
    let out = run_env(
        &["-q", "-e", script, "-c", &cmd],
        &[
            ("BPFTRACE_MAX_STRLEN", "6"),
            ("BPFTRACE_STR_TRUNC_TRAILER", "_xxx"),
        ],
    );
    assert_eq!(
        stdout(&out),
        "/tmp/a_xxx|/tm|/tmp/a_xxx\n/tmp|/tm|/tmp\n\n\n"
    );
    // The default of 1024 reads no more than asked, NUL included, and
    // adds no trailer.
    let out = run(&["-q", "-e", script, "-c", &cmd]);
    assert_eq!(
        stdout(&out),
        "/tmp/abcdefgh|/t|/tmp/abc\n/tmp|/t|/tmp\n\n\n"
    );
}

/// More than a program can hold is an error naming what it needs, never a
/// crash.
#[test]
fn strings_beyond_scratch_memory_are_refused() {
    let script = "BEGIN { @bi_big[str(0)] = str(0); print((str(0), str(0), str(0))); }";
    let out = run_env(&["-e", script], &[("BPFTRACE_MAX_STRLEN", "20000")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("stdin:1:1-69: ERROR: this probe needs ")
            && err.contains("more than the 512 and 32768 a program can have"),
        "{err}"
    );
}
