//! Tracing with the real binary on the real kernel: events made by
//! sonde-testprog are counted exactly.

mod common;

use common::*;

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

#[test]
fn counts_exactly_the_syscalls_of_a_child() {
    let _claim = claim("tc_count");
    let tp = testprog();
    let out = run(&[
        "-e",
        r#"tracepoint:syscalls:sys_enter_getppid /comm == "tc_count"/ { @tc_count = count(); }"#,
        "-c",
        &format!("{tp} comm tc_count getppid 1234"),
    ]);
    assert_eq!(stdout(&out), "\n\n@tc_count: 1234\n");
    assert_eq!(stderr(&out), "Attached 1 probe\n");
    assert!(out.status.success());
    assert_released("@tc_count");
}

#[test]
fn write_sizes_fill_known_lhist_buckets() {
    let _claim = claim("tc_lhist");
    let tp = testprog();
    let out = run(&[
        "-q",
        "-e",
        r#"tracepoint:syscalls:sys_enter_write /comm == "tc_lhist"/ { @tc_lhist = lhist(args.count, 0, 50, 10); }"#,
        "-c",
        &format!("{tp} comm tc_lhist write 1,9,10,25,25,25,49,50,4000"),
    ]);
    assert_eq!(
        stdout(&out),
        "\n\n@tc_lhist:\n\
         [0, 10)                2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                  |\n\
         [10, 20)               1 |@@@@@@@@@@@@@@@@@                                   |\n\
         [20, 30)               3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
         [30, 40)               0 |                                                    |\n\
         [40, 50)               1 |@@@@@@@@@@@@@@@@@                                   |\n\
         [50, ...)              2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                  |\n\
         \n"
    );
    assert_released("@tc_lhist");
}

#[test]
fn hist_buckets_are_powers_of_two() {
    let tp = testprog();
    let out = run(&[
        "-q",
        "-e",
        r#"tracepoint:syscalls:sys_enter_write /comm == "tc_hist"/ { @tc_hist = hist(args.count); }"#,
        "-c",
        &format!("{tp} comm tc_hist write 1,2,3,4,1024,1500"),
    ]);
    assert_eq!(
        stdout(&out),
        "\n\n@tc_hist:\n\
         [1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
         [2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
         [4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n\
         [8, 16)                0 |                                                    |\n\
         [16, 32)               0 |                                                    |\n\
         [32, 64)               0 |                                                    |\n\
         [64, 128)              0 |                                                    |\n\
         [128, 256)             0 |                                                    |\n\
         [256, 512)             0 |                                                    |\n\
         [512, 1K)              0 |                                                    |\n\
         [1K, 2K)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
         \n"
    );
}

#[test]
fn keyed_and_multi_keyed_maps() {
    let _claim = claim("tc_keys");
    let tp = testprog();
    let out = run(&[
        "-q",
        "-e",
        r#"tracepoint:syscalls:sys_enter_write /comm == "tc_keys"/ {
             @tc_keys[args.count] = count();
             @tc_pair[comm, args.count / 100] = sum(args.count);
             @tc_str[comm] = max(args.count);
           }"#,
        "-c",
        &format!("{tp} comm tc_keys write 7,7,7,100,150,300"),
    ]);
    assert_eq!(
        stdout(&out),
        "\n\n@tc_keys[100]: 1\n@tc_keys[150]: 1\n@tc_keys[300]: 1\n@tc_keys[7]: 3\n\
         @tc_pair[tc_keys, 0]: 21\n@tc_pair[tc_keys, 1]: 250\n@tc_pair[tc_keys, 3]: 300\n\
         @tc_str[tc_keys]: 300\n"
    );
    assert_released("@tc_keys");
    assert_released("@tc_pair");
}

#[test]
fn begin_runs_first_and_end_last() {
    let _claim = claim("tc_order");
    let tp = testprog();
    let out = run(&[
        "-q",
        "-e",
        r#"BEGIN { printf("begin\n"); @tc_order = 1; }
           tracepoint:syscalls:sys_enter_getppid /comm == "tc_order"/ { printf("event %d\n", @tc_order); @tc_order++; }
           END { printf("end %d\n", @tc_order); }"#,
        "-c",
        &format!("{tp} comm tc_order getppid 3"),
    ]);
    assert_eq!(
        stdout(&out),
        "begin\nevent 1\nevent 2\nevent 3\nend 4\n\n\n@tc_order: 4\n"
    );
    assert_released("@tc_order");
}

#[test]
fn begin_only_scripts_end_by_themselves() {
    let out = run(&["-e", r#"BEGIN { printf("hello %d\n", 42); }"#]);
    assert_eq!(stdout(&out), "hello 42\n\n\n");
    assert!(out.status.success());
}

#[test]
fn exit_code_comes_from_exit() {
    let _claim = claim("tc_exit");
    let out = run(&["-q", "-e", "BEGIN { @tc_exit = 5; exit(3); }"]);
    assert_eq!(stdout(&out), "\n\n@tc_exit: 5\n");
    assert_eq!(out.status.code(), Some(3));
    assert_released("@tc_exit");
}

#[test]
fn child_pid_is_cpid_and_the_session_ends_with_the_child() {
    let tp = testprog();
    let out = run(&[
        "-q",
        "-e",
        "tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @tc_cpid = count(); }",
        "-c",
        &format!("{tp} getppid 77"),
    ]);
    assert_eq!(stdout(&out), "\n\n@tc_cpid: 77\n");
}

#[test]
fn wildcards_attach_every_match_and_probe_tells_them_apart() {
    let _claim = claim("tc_wild");
    let tp = testprog();
    let out = run(&[
        "-e",
        r#"tracepoint:syscalls:sys_enter_getp*id /comm == "tc_wild"/ { @tc_wild[probe] = count(); }"#,
        "-c",
        &format!("{tp} comm tc_wild getppid 5 getpid 9"),
    ]);
    assert_eq!(
        stdout(&out),
        "\n\n@tc_wild[tracepoint:syscalls:sys_enter_getppid]: 5\n@tc_wild[tracepoint:syscalls:sys_enter_getpid]: 9\n"
    );
    // getpgid, getpid, getppid.
    assert_eq!(stderr(&out), "Attached 3 probes\n");
    assert_released("@tc_wild");
}

#[test]
fn blocks_on_the_same_point_are_counted_per_block() {
    let _claim = claim("tc_twice");
    let tp = testprog();
    let out = run(&[
        "-e",
        r#"BEGIN { } BEGIN { }
           tracepoint:syscalls:sys_enter_getppid /comm == "tc_twice"/ { @tc_twice_a = count(); }
           tracepoint:syscalls:sys_enter_getppid /comm == "tc_twice"/ { @tc_twice_b = count(); }"#,
        "-c",
        &format!("{tp} comm tc_twice getppid 4"),
    ]);
    assert_eq!(stdout(&out), "\n\n@tc_twice_a: 4\n@tc_twice_b: 4\n");
    // Two BEGIN blocks and two blocks on one tracepoint: four probes, as
    // bpftrace counts them.
    assert_eq!(stderr(&out), "Attached 4 probes\n");
    assert_released("@tc_twice");
}

#[test]
fn pid_filter_counts_only_that_process() {
    let _claim = claim("tc_pid");
    let tp = testprog();
    let mut victim = std::process::Command::new(&tp)
        .args(["wait", "getppid", "31"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("testprog starts");
    let pid = victim.id().to_string();
    let traced = start(&[
        "-q",
        "-p",
        &pid,
        "-e",
        "tracepoint:syscalls:sys_enter_getppid { @tc_pid = count(); }",
    ]);
    // Another process making the same calls must not count.
    generate(&["getppid", "50"]);
    use std::io::Write;
    victim
        .stdin
        .take()
        .expect("piped")
        .write_all(b"go\n")
        .expect("victim reads");
    assert!(victim.wait().expect("victim ends").success());
    let (out, err, code) = traced.stop(SIGINT);
    assert_eq!(out, "\n\n@tc_pid: 31\n", "stderr: {err}");
    assert_eq!(code, Some(0));
    assert_released("@tc_pid");
}

#[test]
fn a_pid_does_not_filter_timers_and_iterators() {
    let tp = testprog();
    let mut victim = std::process::Command::new(&tp)
        .args(["wait", "getppid", "1"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("testprog starts");
    let pid = victim.id().to_string();
    // The iterator runs in sonde's task and visits the victim's one task.
    let out = run(&[
        "-p",
        &pid,
        "-e",
        &format!("iter:task /ctx.task->tgid == {pid}/ {{ @tc_tasks = count(); }}"),
    ]);
    drop(victim.stdin.take());
    let _ = victim.wait();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "\n\n@tc_tasks: 1\n");
    // The test process sleeps while sonde runs: an interval filtered by
    // its pid would never fire.
    let out = run(&[
        "-p",
        &pid_of_self(),
        "-e",
        r#"interval:ms:10 { printf("tick\n"); exit(); }"#,
    ]);
    assert_eq!(stdout(&out), "tick\n\n\n");
}

fn pid_of_self() -> String {
    std::process::id().to_string()
}

#[test]
fn sigint_and_sigterm_print_maps_and_release_everything() {
    let _claim = claim("tc_signal");
    for signal in [SIGINT, SIGTERM] {
        let traced = start(&[
            "-e",
            r#"tracepoint:syscalls:sys_enter_getppid /comm == "tc_signal"/ { @tc_signal = count(); }"#,
        ]);
        generate(&["comm", "tc_signal", "getppid", "12"]);
        let (out, err, code) = traced.stop(signal);
        assert_eq!(out, "\n\n@tc_signal: 12\n");
        assert_eq!(err, "Attached 1 probe\n");
        assert_eq!(code, Some(0));
        assert_released("@tc_signal");
    }
}

#[test]
fn strings_from_user_memory_and_printf_formats() {
    let tp = testprog();
    let out = run(&[
        "-q",
        "-e",
        r#"tracepoint:syscalls:sys_enter_openat /comm == "tc_str"/ {
             printf("%s opened %s (%5d|%-4x|%u)\n", comm, str(args.filename), 42, 255, 7);
           }"#,
        "-c",
        &format!("{tp} comm tc_str open /tmp/sonde-test-file"),
    ]);
    // The dynamic loader opens libraries before comm is set; only the
    // open after it counts.
    assert_eq!(
        stdout(&out),
        "tc_str opened /tmp/sonde-test-file (   42|ff  |7)\n\n\n"
    );
}

#[test]
fn json_output() {
    let tp = testprog();
    let out = run(&[
        "-f",
        "json",
        "-e",
        r#"tracepoint:syscalls:sys_enter_getppid /comm == "tc_json"/ { @tc_json[comm] = count(); printf("x\n"); }"#,
        "-c",
        &format!("{tp} comm tc_json getppid 2"),
    ]);
    assert_eq!(
        stdout(&out),
        "{\"type\": \"attached_probes\", \"count\": 1, \"data\": {\"probes\": 1}}\n\
         {\"type\": \"printf\", \"data\": \"x\\n\"}\n\
         {\"type\": \"printf\", \"data\": \"x\\n\"}\n\
         {\"type\": \"map\", \"data\": {\"@tc_json\": {\"tc_json\": 2}}}\n"
    );
}

#[test]
fn positional_parameters_reach_the_script() {
    let out = run(&[
        "-e",
        r#"BEGIN { printf("%d %s %d\n", $1 + 1, str($2), $#); exit(); }"#,
        "41",
        "hello",
    ]);
    assert_eq!(stdout(&out), "42 hello 2\n\n\n");
}

#[test]
fn script_files_and_stdin() {
    let dir = std::env::temp_dir().join(format!("sonde-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hello.bt");
    std::fs::write(
        &file,
        "#!/usr/bin/env sonde\nBEGIN {\n  printf(\"from a file\\n\");\n}\n",
    )
    .unwrap();
    let out = run(&["-q", file.to_str().unwrap()]);
    assert_eq!(stdout(&out), "from a file\n\n\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// How many `sys_enter_*` tracepoints this kernel has.
fn syscall_tracepoints() -> usize {
    std::fs::read_dir("/sys/kernel/tracing/events/syscalls")
        .expect("tracefs is mounted by the earlier runs")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("sys_enter_"))
        })
        .count()
}

#[test]
fn many_syscall_tracepoints_share_one_raw_tracepoint() {
    let _claim = claim("tc_disp");
    let tp = testprog();
    let out = run(&[
        "-e",
        r#"tracepoint:syscalls:sys_enter_* /comm == "tc_disp"/ { @tc_disp[probe] = count(); }"#,
        "-c",
        &format!("{tp} comm tc_disp getppid 7 getpid 3"),
    ]);
    let text = stdout(&out);
    for line in [
        "@tc_disp[tracepoint:syscalls:sys_enter_getpid]: 3\n",
        "@tc_disp[tracepoint:syscalls:sys_enter_getppid]: 7\n",
    ] {
        assert!(text.contains(line), "{line} missing in {text}");
    }
    assert_eq!(
        stderr(&out),
        format!("Attached {} probes\n", syscall_tracepoints())
    );
    assert_released("@tc_disp");
}

#[test]
fn dispatched_syscalls_read_arguments_and_return_values() {
    let _claim = claim("tc_dregs_n");
    let tp = testprog();
    let out = run(&[
        "-q",
        "-e",
        r#"tracepoint:syscalls:sys_enter_* /comm == "tc_dregs" && args.__syscall_nr == 1/ { @tc_dregs_n = count(); }
           tracepoint:syscalls:sys_enter_write /comm == "tc_dregs"/ { @tc_dregs_in[args.count] = count(); }
           tracepoint:syscalls:sys_exit_* /comm == "tc_dregs" && args.__syscall_nr == 1/ { @tc_dregs_out = sum(args.ret); }"#,
        "-c",
        &format!("{tp} comm tc_dregs write 5,6,6,1000"),
    ]);
    // The exits also see the 8-byte write that renamed the process to
    // "tc_dregs": it entered under the old name and returns under the new.
    assert_eq!(
        stdout(&out),
        "\n\n@tc_dregs_in[5]: 1\n@tc_dregs_in[1000]: 1\n@tc_dregs_in[6]: 2\n@tc_dregs_n: 4\n@tc_dregs_out: 1025\n"
    );
    assert_released("@tc_dregs_n");
}
