//! Kernel types and pointers on the real kernel: `curtask` from BTF,
//! structs read through a tracepoint's user pointer, raw tracepoint
//! arguments typed from BTF, and values printed as bpftrace prints them.

mod common;

use common::*;

#[test]
fn curtask_is_the_current_task() {
    let tp = testprog();
    let out = run(&[
        "-e",
        r#"tracepoint:syscalls:sys_enter_getppid /comm == "tt_task"/ {
             @tt_task[curtask->pid == tid, curtask->tgid == pid, curtask->comm] = count();
             @tt_parent[curtask->tgid == cpid, curtask->real_parent->comm] = count(); }"#,
        "-c",
        &format!("{tp} comm tt_task getppid 3"),
    ]);
    assert_eq!(
        stdout(&out),
        "\n\n@tt_parent[true, sonde]: 3\n@tt_task[true, true, tt_task]: 3\n"
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_released("@tt_task");
}

#[test]
fn a_struct_read_through_a_user_pointer_argument() {
    let tp = testprog();
    // The bytes of "/dev/null" seen as a struct.
    let out = run(&[
        "-q",
        "-e",
        r#"struct tt_p { char c0; char c1; unsigned short s; unsigned int i; }
           tracepoint:syscalls:sys_enter_openat /comm == "tt_user"/ {
             $p = (struct tt_p *)args.filename;
             printf("%c %d %d\n", $p->c1, $p->s, $p->i);
             print(*$p);
             @tt_user = *$p; }"#,
        "-c",
        &format!("{tp} comm tt_user open /dev/null"),
    ]);
    assert_eq!(
        stdout(&out),
        "d 30309 1819635247\n\
         { .c0 = 47, .c1 = 100, .s = 30309, .i = 1819635247 }\n\
         \n\n@tt_user: { .c0 = 47, .c1 = 100, .s = 30309, .i = 1819635247 }\n"
    );
    assert_released("@tt_user");
}

#[test]
fn raw_tracepoint_arguments_are_typed_from_btf() {
    let tp = testprog();
    // getppid is system call 110 on x86-64, 173 on arm64.
    let nr = if cfg!(target_arch = "aarch64") {
        173
    } else {
        110
    };
    let regs_nr = if cfg!(target_arch = "aarch64") {
        "args.regs->syscallno"
    } else {
        "args.regs->orig_ax"
    };
    let script = format!(
        r#"rawtracepoint:sys_enter /comm == "tt_raw" && args.id == {nr}/ {{ @tt_raw[args.id, {regs_nr}] = count(); }}"#
    );
    let out = run(&[
        "-q",
        "-e",
        &script,
        "-c",
        &format!("{tp} comm tt_raw getppid 5"),
    ]);
    assert_eq!(stdout(&out), format!("\n\n@tt_raw[{nr}, {nr}]: 5\n"));
    assert_released("@tt_raw");
}

#[test]
fn raw_tracepoint_wildcards_and_modules_come_from_btf() {
    // The syscall events are not raw tracepoints: BTF declares two.
    let out = run(&["-l", "rawtracepoint:sys_*"]);
    assert_eq!(
        stdout(&out),
        "rawtracepoint:vmlinux:sys_enter\nrawtracepoint:vmlinux:sys_exit\n"
    );
    let tp = testprog();
    let nr = if cfg!(target_arch = "aarch64") {
        173
    } else {
        110
    };
    let script = format!(
        r#"rawtracepoint:vmlinu*:sys_enter /comm == "tt_rawmod" && args.id == {nr}/ {{ @tt_rawmod[probe] = count(); }}"#
    );
    let out = run(&[
        "-q",
        "-e",
        &script,
        "-c",
        &format!("{tp} comm tt_rawmod getppid 4"),
    ]);
    assert_eq!(stdout(&out), "\n\n@tt_rawmod[rawtracepoint:sys_enter]: 4\n");
    assert_released("@tt_rawmod");
    let out = run(&["-e", "rawtracepoint:nonsense:sys_exit { }"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "stdin:1:1-32: ERROR: No matches for rawtracepoint nonsense:sys_exit.\n\
         rawtracepoint:nonsense:sys_exit { }\n\
         ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
    );
}

#[test]
fn pointers_arrays_and_enums_print_as_bpftrace_prints_them() {
    let out = run(&[
        "-e",
        r#"enum tt_e { TT_ONE = 1, TT_TWO }
           BEGIN { @tt_ptr = (int32 *)0x32; @tt_ptr += 6;
                   @tt_arr = (int8[4])(int32)0x01020304;
                   @tt_enum[TT_TWO] = TT_ONE;
                   printf("%d %s %s\n", TT_TWO, TT_TWO, (enum tt_e)7);
                   $v = (int16)-3; @tt_deref = *&$v + 10; }"#,
    ]);
    assert_eq!(
        stdout(&out),
        "2 TT_TWO 7\n\n\n@tt_arr: [4,3,2,1]\n@tt_deref: 7\n@tt_enum[TT_TWO]: TT_ONE\n@tt_ptr: 0x4a\n"
    );
    let json = run(&[
        "-f",
        "json",
        "-e",
        r#"enum tt_f { TT_A = 5 } BEGIN { @tt_json = (TT_A, (int8[2])(int16)0x0102); }"#,
    ]);
    assert_eq!(
        stdout(&json)
            .lines()
            .filter(|l| l.contains("@tt_json"))
            .collect::<Vec<_>>(),
        [r#"{"type": "map", "data": {"@tt_json": [5,[2,1]]}}"#]
    );
    assert_released("@tt_");
}

#[test]
fn kernel_types_are_listed_as_c() {
    let out = run(&["-lv", "struct list_head,struct hlist_node"]);
    assert_eq!(
        stdout(&out),
        "struct list_head {\n\tstruct list_head *next;\n\tstruct list_head *prev;\n};\n\n\
         struct hlist_node {\n\tstruct hlist_node *next;\n\tstruct hlist_node **pprev;\n};\n\n"
    );
    let out = run(&["-lv", "rawtracepoint:sched_switch"]);
    assert_eq!(
        stdout(&out),
        // bpftrace 0.26 names raw tracepoints with their module.
        "rawtracepoint:vmlinux:sched_switch\n    bool preempt\n    struct task_struct * prev\n    \
         struct task_struct * next\n    uint32 prev_state\n"
    );
    let out = run(&["-lv", "struct no_such_type_anywhere"]);
    assert_eq!(
        stderr(&out),
        "ERROR: the kernel's BTF has no struct no_such_type_anywhere\n"
    );
    assert!(!out.status.success());
}

#[test]
fn an_array_index_out_of_bounds_warns_where_it_is_written() {
    let tp = testprog();
    let script = r#"struct tt_a { uint8 b[4]; } t:syscalls:sys_enter_openat /comm == "tt_oob"/ { $i = (uint64)5; @tt_oob = ((struct tt_a *)args.filename)->b[$i]; }"#;
    let out = run(&[
        "-e",
        script,
        "-c",
        &format!("{tp} comm tt_oob open /dev/null"),
    ]);
    // Index 5 of "/dev/null" is 'n', read although out of bounds.
    assert_eq!(stdout(&out), "\n\n@tt_oob: 110\n");
    let column = script.find("(struct").unwrap() + 1;
    let end = script.rfind("; }").unwrap() + 1;
    assert_eq!(
        stderr(&out),
        format!(
            "Attached 1 probe\nstdin:1:{column}-{end}: WARNING: Array access out of bounds. \
             This can lead to unexpected results.\n{script}\n{}{}\n",
            " ".repeat(column - 1),
            "~".repeat(end - column)
        )
    );
    assert_released("@tt_oob");
}

#[test]
fn bools_in_structs_and_bool_arrays_print_as_booleans() {
    let out = run(&[
        "-e",
        r#"struct tt_b { bool a; _Bool b; int c; }
           BEGIN { $x = (uint64)0x0100; print(*(struct tt_b *)&$x);
                   @tt_bools = (bool[2])(uint16)1; exit(); }"#,
    ]);
    assert_eq!(
        stdout(&out),
        "{ .a = false, .b = true, .c = 0 }\n\n\n@tt_bools: [true,false]\n"
    );
    assert_released("@tt_bools");
}

#[test]
fn ctx_is_the_address_of_the_programs_context() {
    let tp = testprog();
    // A raw tracepoint's context is its arguments: sys_enter(regs, id).
    let nr = if cfg!(target_arch = "aarch64") {
        173
    } else {
        110
    };
    let out = run(&[
        "-q",
        "-e",
        &format!(
            r#"struct tt_raw {{ void *regs; long id; }}
               rawtracepoint:sys_enter /comm == "tt_ctx" && arg1 == {nr}/ {{
                 @tt_ctx[((struct tt_raw *)ctx)->id] = count(); }}"#
        ),
        "-c",
        &format!("{tp} comm tt_ctx getppid 2"),
    ]);
    assert_eq!(stdout(&out), format!("\n\n@tt_ctx[{nr}]: 2\n"));
    assert_released("@tt_ctx");
}
