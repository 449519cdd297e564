//! Actions done in user space (`errorf`, `system`, `cat`, `time`, `join`,
//! `assert`) and in the kernel (`debugf`), and values printed in forms of
//! their own (`buf`, `strerror`, `ntop`, ...), through the real binary.

mod common;

use common::*;

#[test]
fn errorf_and_warnf_point_at_their_call() {
    let script = r#"BEGIN { errorf("bad %d, %s", 10, "arg2"); warnf("careful"); printf("on\n"); }"#;
    let out = run(&["-q", "-e", script]);
    assert_eq!(stdout(&out), "on\n\n\n");
    assert_eq!(
        stderr(&out),
        format!(
            "stdin:1:9-41: ERROR: bad 10, arg2\n{script}\n        {}\n\
             stdin:1:43-59: WARNING: careful\n{script}\n{}{}\n",
            "~".repeat(32),
            " ".repeat(42),
            "~".repeat(16)
        )
    );
    assert!(out.status.success());
    let out = run(&[
        "-q",
        "--no-warnings",
        "-e",
        r#"BEGIN { warnf("careful"); }"#,
    ]);
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_failed_assert_ends_the_script_with_code_1() {
    let out = run(&[
        "-q",
        "-e",
        r#"BEGIN { assert(1 == 1, "fine"); assert(false, "My error message"); printf("not here\n"); }"#,
    ]);
    assert_eq!(
        stderr(&out),
        "stdlib/base.bt:6:5-37: ERROR: assert failed: My error message\n"
    );
    assert_eq!(stdout(&out), "\n\n");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn system_needs_unsafe_and_prints_what_the_command_prints() {
    let out = run(&["-e", r#"BEGIN { system("echo hi"); }"#]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(
            "stdin:1:9-26: ERROR: system() is unsafe. To use you need the --unsafe flag\n"
        ),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "-q",
        "--unsafe",
        "-e",
        r#"BEGIN { system("echo %d %s", 42, "done"); }"#,
    ]);
    assert_eq!(stdout(&out), "42 done\n\n\n");
    let out = run(&[
        "-q",
        "--unsafe",
        "-f",
        "json",
        "-e",
        r#"BEGIN { system("echo a b c"); }"#,
    ]);
    assert_eq!(
        stdout(&out),
        "{\"type\": \"syscall\", \"data\": \"a b c\\n\"}\n"
    );
}

#[test]
fn cat_prints_files_up_to_the_limit() {
    let path = std::env::temp_dir().join(format!("sonde-cat-test-{}", std::process::id()));
    std::fs::write(&path, "first line\nsecond line\n").unwrap();
    let script = format!(r#"BEGIN {{ cat("%s", "{}"); }}"#, path.display());
    let out = run(&["-q", "-e", &script]);
    assert_eq!(stdout(&out), "first line\nsecond line\n\n\n");
    let out = run_env(&["-q", "-e", &script], &[("BPFTRACE_MAX_CAT_BYTES", "5")]);
    assert_eq!(stdout(&out), "first\n\n");
    std::fs::remove_file(&path).unwrap();
    let out = run(&["-q", "-e", r#"BEGIN { cat("/does/not/exist/file"); }"#]);
    assert_eq!(
        stderr(&out),
        "ERROR: failed to open file '/does/not/exist/file' (No such file or directory)\n"
    );
    assert!(out.status.success());
}

#[test]
fn time_prints_the_wall_clock_when_printed() {
    let out = run(&["-q", "-e", r#"BEGIN { time("%Y\n"); time(); }"#]);
    let year = std::process::Command::new("date")
        .arg("+%Y")
        .output()
        .unwrap();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], String::from_utf8_lossy(&year.stdout).trim());
    // The default format is %H:%M:%S and a newline.
    assert_eq!(lines[1].len(), 8, "{text}");
    assert_eq!(lines[1].matches(':').count(), 2, "{text}");
}

#[test]
fn join_joins_the_arguments_of_an_exec() {
    let out = run(&[
        "-q",
        "-e",
        r#"tracepoint:syscalls:sys_enter_execve /pid == cpid/ { join(args.argv); join(args.argv, ","); exit(); }"#,
        "-c",
        "/bin/true first second",
    ]);
    assert_eq!(
        stdout(&out),
        "/bin/true first second\n/bin/true,first,second\n\n\n"
    );
}

#[test]
fn join_in_json_carries_no_newline() {
    let out = run(&[
        "-q",
        "-f",
        "json",
        "-e",
        r#"tracepoint:syscalls:sys_enter_execve /pid == cpid/ { join(args.argv, ","); exit(); }"#,
        "-c",
        "/bin/true first",
    ]);
    assert_eq!(
        stdout(&out),
        "{\"type\": \"join\", \"data\": \"/bin/true,first\"}\n"
    );
}

#[test]
fn debugf_writes_to_the_trace_buffer() {
    let marker = format!("sonde_debugf_{}", std::process::id());
    let script = format!(r#"BEGIN {{ debugf("{marker} %s %d %x", "a", 1, 16); }}"#);
    let out = run(&["-q", "-e", &script]);
    assert!(out.status.success(), "{}", stderr(&out));
    let trace = std::fs::read_to_string("/sys/kernel/tracing/trace").unwrap();
    let lines: Vec<&str> = trace.lines().filter(|l| l.contains(&marker)).collect();
    assert_eq!(lines.len(), 1, "{trace}");
    assert!(
        lines[0].ends_with(&format!("bpf_trace_printk: {marker} a 1 10")),
        "{}",
        lines[0]
    );
}

#[test]
fn values_printed_in_forms_of_their_own() {
    let out = run(&[
        "-q",
        "-e",
        r#"BEGIN {
             print(strerror(22)); print(signal_name(2)); print(signal_name(1024));
             print(syscall_name(59));
             printf("%s %s %s %s\n", ntop(0x0100007f), ntop(2, pton("10.1.2.3")),
                    ntop(10, pton("::1")), ntop(pton("fe80::1:2")));
             printf("%r|%rx|%rh\n", buf("ab\n", 3), buf("Hi\0", 3), buf("Hi", 2));
             @act_buf[buf("key", 4)] = 1; @act_val = buf("value", 5);
             print(cgroupid("/sys/fs/cgroup"));
             print(strftime("x%%y", 0));
           }"#,
    ]);
    assert_eq!(
        stdout(&out),
        "Invalid argument\nInterrupt\nN/A\nexecve\n\
         127.0.0.1 10.1.2.3 ::1 fe80::1:2\n\
         ab\\x0a|\\x48\\x69\\x00|48 69\n1\nx%y\n\n\n\
         @act_buf[key\\x00]: 1\n@act_val: value\n",
        "{}",
        stderr(&out)
    );
    assert_released("@act_buf");
}

#[test]
fn buf_of_a_char_array_in_memory_keeps_bytes_past_a_nul() {
    // `struct sonde_point { int x; char name[8]; }` with x = 40 and name
    // "pt", seen through a 12-byte char array: a string read would stop at
    // x's first zero byte.
    let bin = user_target::user_target(true);
    let out = run(&[
        "-e",
        &format!(
            "struct act_view {{ char b[12]; }} uprobe:{bin}:sonde_point_x {{ \
             $v = (struct act_view *)arg0; printf(\"%rx|%r\\n\", buf($v.b, 12), buf($v.b, 6)); }}"
        ),
        "-c",
        &format!("{bin} 1"),
    ]);
    assert_eq!(
        stdout(&out),
        "\\x28\\x00\\x00\\x00\\x70\\x74\\x00\\x00\\x00\\x00\\x00\\x00|(\\x00\\x00\\x00pt\n\n\n",
        "{}",
        stderr(&out)
    );
}
