//! uprobes, uretprobes and USDT probes on a C program with known functions,
//! arguments and probe sites (tests/progs/user_target.c), run as the `-c`
//! command so that exactly its calls are counted.

mod common;

use common::user_target::{user_target, user_target_split_dwarf};
use common::*;

fn trace(script: &str, target: &str, rounds: u32) -> (String, String) {
    let out = run(&["-e", script, "-c", &format!("{target} {rounds}")]);
    assert!(out.status.success(), "sonde failed: {}", stderr(&out));
    (stdout(&out), stderr(&out))
}

#[test]
fn uprobe_counts_every_call() {
    for pie in [true, false] {
        let bin = user_target(pie);
        let (out, err) = trace(
            &format!("uprobe:{bin}:sonde_add {{ @up_calls = count(); }}"),
            &bin,
            7,
        );
        assert_eq!(out, "\n\n@up_calls: 7\n", "pie: {pie}");
        assert_eq!(err, "Attached 1 probe\n");
    }
    assert_released("@up_calls");
}

#[test]
fn arguments_in_registers_and_on_the_stack() {
    let bin = user_target(true);
    let (out, _) = trace(
        &format!(
            r#"uprobe:{bin}:sonde_add {{ printf("add %d %d\n", arg0, arg1); }}
               uprobe:{bin}:sonde_many {{ printf("many %d %d %d\n", arg0, arg6, arg7); }}"#
        ),
        &bin,
        3,
    );
    assert_eq!(
        out,
        "add 0 0\nmany 1 70 80\nadd 1 2\nmany 1 71 81\nadd 2 4\nmany 1 72 82\n\n\n"
    );
}

#[test]
fn uretprobe_reads_the_return_value() {
    let bin = user_target(true);
    let (out, err) = trace(
        &format!(
            r#"uretprobe:{bin}:sonde_negate {{ printf("%d\n", (int64)retval); }}
               uretprobe:{bin}:sonde_add {{ @up_ret = sum(retval); }}"#
        ),
        &bin,
        4,
    );
    // sonde_add(i, 2i) returns 3i: 0 + 3 + 6 + 9.
    assert_eq!(out, "-1\n-2\n-3\n-4\n\n\n@up_ret: 18\n");
    assert_eq!(err, "Attached 2 probes\n");
    assert_released("@up_ret");
}

#[test]
fn wildcards_name_each_function_in_probe_and_func() {
    let bin = user_target(true);
    let (out, err) = trace(
        &format!(
            r#"uprobe:{bin}:sonde_* {{ @up_func[func] = count(); @up_probe[probe] = count(); }}"#
        ),
        &bin,
        2,
    );
    assert_eq!(
        out,
        format!(
            "\n\n@up_func[sonde_add]: 2\n@up_func[sonde_many]: 2\n@up_func[sonde_negate]: 2\n\
             @up_func[sonde_point_x]: 2\n\
             @up_probe[uprobe:{bin}:sonde_add]: 2\n@up_probe[uprobe:{bin}:sonde_many]: 2\n\
             @up_probe[uprobe:{bin}:sonde_negate]: 2\n@up_probe[uprobe:{bin}:sonde_point_x]: 2\n"
        )
    );
    assert_eq!(err, "Attached 4 probes\n");
    assert_released("@up_func");
}

#[test]
fn probe_as_a_string_names_each_attach_point() {
    let bin = user_target(true);
    let (out, _) = trace(
        &format!(
            r#"uprobe:{bin}:sonde_* {{
                 if (strcontains(probe, "negate")) {{ @up_neg = count(); }}
                 @up_eq[probe == "uprobe:{bin}:sonde_add"] = count();
               }}"#
        ),
        &bin,
        3,
    );
    // Four functions, three calls each.
    assert_eq!(out, "\n\n@up_eq[true]: 3\n@up_eq[false]: 9\n@up_neg: 3\n");
    // As a string, probe picks among at most 64 names.
    let out = run(&[
        "-e",
        r#"tracepoint:syscalls:sys_enter_* { if (strcontains(probe, "read")) { @ = count(); } }"#,
    ]);
    assert!(
        stderr(&out).contains("ERROR: probe as a string in a probe of "),
        "{}",
        stderr(&out)
    );
    assert_released("@up_neg");
}

#[test]
fn a_function_plus_offset() {
    let bin = user_target(true);
    let (out, _) = trace(
        &format!(r#"uprobe:{bin}:sonde_add+0 {{ printf("%s %s\n", probe, func); }}"#),
        &bin,
        1,
    );
    assert_eq!(out, format!("uprobe:{bin}:sonde_add+0 sonde_add\n\n\n"));
}

/// The addresses of the first instructions of `func` in `bin`, as objdump
/// decodes them.
fn instruction_addresses(bin: &str, func: &str) -> Vec<u64> {
    let out = std::process::Command::new("objdump")
        .args(["-d", "--no-show-raw-insn", bin])
        .output()
        .expect("objdump (binutils) is installed with the C compiler");
    let text = String::from_utf8(out.stdout).unwrap();
    text.split(&format!("<{func}>:\n"))
        .nth(1)
        .expect("the function in objdump's output")
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| u64::from_str_radix(l.trim().split(':').next()?, 16).ok())
        .collect()
}

#[test]
fn offsets_and_addresses_must_start_an_instruction() {
    let bin = user_target(true);
    let starts = instruction_addresses(&bin, "sonde_add");
    let (entry, second, third) = (starts[0], starts[1], starts[2]);
    assert!(
        third - second > 1,
        "the second instruction is longer than a byte"
    );
    let (out, _) = trace(
        &format!(
            "uprobe:{bin}:sonde_add+{} {{ @up_second = count(); }} uprobe:{bin}:{second:#x} {{ @up_addr = count(); }}",
            second - entry
        ),
        &bin,
        3,
    );
    assert_eq!(out, "\n\n@up_addr: 3\n@up_second: 3\n");
    let inside = second - entry + 1;
    let hint = "Use --unsafe to force attachment. WARNING: This option could lead to data corruption in the target process.";
    let out = run(&["-e", &format!("uprobe:{bin}:sonde_add+{inside} {{ }}")]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!(
            "ERROR: Could not add uprobe into middle of instruction: {bin}:sonde_add+{inside}\n{hint}\n"
        )),
        "{}",
        stderr(&out)
    );
    let out = run(&["-e", &format!("uprobe:{bin}:{:#x} {{ }}", second + 1)]);
    assert!(
        stderr(&out).contains(&format!(
            "ERROR: Could not add uprobe into middle of instruction: {bin}:{:#x}\n",
            second + 1
        )),
        "{}",
        stderr(&out)
    );
    // --unsafe takes the place as given (attached, never run here).
    let out = run(&[
        "--unsafe",
        "--dry-run",
        "-e",
        &format!("uprobe:{bin}:sonde_add+{inside} {{ }}"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_released("@up_second");
}

#[test]
fn libraries_are_found_by_short_name_and_scoped_to_the_child() {
    let bin = user_target(true);
    // The target calls getppid once a round; other processes calling it at
    // the same time are not counted because the probe is scoped to the child.
    let (out, err) = trace("uprobe:libc:getppid { @up_lib = count(); }", &bin, 3);
    assert_eq!(out, "\n\n@up_lib: 3\n");
    assert_eq!(err, "Attached 1 probe\n");
    assert_released("@up_lib");
}

#[test]
fn usdt_arguments_from_registers_immediates_and_memory() {
    let bin = user_target(true);
    let (out, err) = trace(
        &format!(
            r#"usdt:{bin}:sonde:tick {{ printf("tick %d %d\n", arg0, arg1); }}
               usdt:{bin}:sonde:memory {{ printf("memory %d %d\n", arg0, arg1); }}"#
        ),
        &bin,
        3,
    );
    assert_eq!(
        out,
        "tick 0 7\nmemory 0 100\ntick -1000 7\nmemory 1 101\ntick -2000 7\nmemory 2 102\n\n\n"
    );
    assert_eq!(err, "Attached 2 probes\n");
}

#[test]
fn usdt_operands_of_every_form() {
    let bin = user_target(true);
    // Round i: %rax = 0x1234 + i, sonde_table[2] = -30 - i (at %rdx + %rcx * 8
    // + 8 with %rcx = 1), sonde_table[1] = 20, sonde_counter = -5i.
    let (out, _) = trace(
        &format!(
            r#"usdt:{bin}:sonde:operands {{ printf("%d %d %d %d %d %d\n", arg0, arg1, arg2, arg3, arg4, arg5); }}
               usdt:{bin}:sonde:odd {{ @up_odd = sum(arg1); }}"#
        ),
        &bin,
        3,
    );
    assert_eq!(
        out,
        "18 52 -30 0 20 0\n18 53 -31 -5 20 -5\n18 54 -32 -10 20 -10\n\n\n@up_odd: 9\n"
    );
    let out = run(&["-lv", &format!("usdt:{bin}:sonde:o*")]);
    assert_eq!(
        stdout(&out),
        format!(
            "usdt:{bin}:sonde:odd\n\
             \x20   arg0: uint64 (unsupported USDT argument '8@%xmm0')\n\
             \x20   arg1: int32 (constant 3)\n\
             usdt:{bin}:sonde:operands\n\
             \x20   arg0: uint8 (register ax bits 8-15)\n\
             \x20   arg1: uint8 (register ax)\n\
             \x20   arg2: int64 (memory at dx+cx*8+8)\n\
             \x20   arg3: int32 (memory at sonde_counter)\n\
             \x20   arg4: uint64 (memory at sonde_table+8)\n\
             \x20   arg5: int32 (memory at sonde_counter)\n"
        )
    );
    // Only using the argument that cannot be read is an error.
    let out = run(&["-e", &format!("usdt:{bin}:sonde:odd {{ print(arg0); }}")]);
    assert!(
        stderr(&out).contains(
            "ERROR: this USDT argument cannot be read: unsupported USDT argument '8@%xmm0'"
        ),
        "{}",
        stderr(&out)
    );
    assert_released("@up_odd");
}

#[test]
fn usdt_semaphores_are_counted_while_attached() {
    let bin = user_target(true);
    // The guarded site only fires when its semaphore is non-zero, and then
    // reports the semaphore's value as its second argument.
    let (out, _) = trace(
        &format!(r#"usdt:{bin}:sonde:guarded {{ @up_guard[arg1] = count(); }}"#),
        &bin,
        5,
    );
    assert_eq!(out, "\n\n@up_guard[1]: 5\n");
    assert_released("@up_guard");
}

#[test]
fn usdt_wildcards_and_a_pattern_without_provider() {
    let bin = user_target(false);
    let (out, err) = trace(
        &format!(
            r#"usdt:{bin}:* {{ @up_usdt[probe] = count(); }} usdt:{bin}:memo* {{ @up_tick = count(); }}"#
        ),
        &bin,
        2,
    );
    assert_eq!(
        out,
        format!(
            "\n\n@up_tick: 2\n@up_usdt[usdt:{bin}:sonde:guarded]: 2\n\
             @up_usdt[usdt:{bin}:sonde:memory]: 2\n@up_usdt[usdt:{bin}:sonde:odd]: 2\n\
             @up_usdt[usdt:{bin}:sonde:operands]: 2\n@up_usdt[usdt:{bin}:sonde:tick]: 2\n"
        )
    );
    // Counted per block, as bpftrace counts: sonde:memory is in both.
    assert_eq!(err, "Attached 6 probes\n");
    assert_released("@up_usdt");
}

#[test]
fn missing_functions_and_bad_offsets_are_errors() {
    let bin = user_target(true);
    let out = run(&["-e", &format!("uprobe:{bin}:no_such_function {{ }}")]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!(
            "ERROR: No matches for uprobe {bin}:no_such_function."
        )),
        "{}",
        stderr(&out)
    );
    let out = run(&["-e", &format!("uprobe:{bin}:sonde_add+100000 {{ }}")]);
    assert!(stderr(&out).contains("Offset outside the function bounds ('sonde_add' size is"));
    let out = run(&[
        "-e",
        &format!("uretprobe:{bin}:sonde_add {{ print(arg0); }}"),
    ]);
    assert!(stderr(&out).contains("can not be used with return probes"));
}

#[test]
fn perf_event_uprobes_where_there_are_no_uprobe_multi_links() {
    let bin = user_target(true);
    let out = sonde(&[
        "-e",
        &format!(
            r#"uprobe:{bin}:sonde_add {{ @up_perf[func] = count(); }}
               uretprobe:{bin}:sonde_negate {{ @up_perf_ret = sum(retval); }}
               usdt:{bin}:sonde:guarded {{ @up_perf_sem = count(); }}"#
        ),
        "-c",
        &format!("{bin} 4"),
    ])
    .env("SONDE_NO_UPROBE_MULTI", "1")
    .output()
    .expect("sonde runs");
    assert!(out.status.success(), "{}", stderr(&out));
    // -1 -2 -3 -4 summed as u64.
    assert_eq!(
        stdout(&out),
        "\n\n@up_perf[sonde_add]: 4\n@up_perf_ret: -10\n@up_perf_sem: 4\n"
    );
    assert_eq!(stderr(&out), "Attached 3 probes\n");
    assert_released("@up_perf");
}

#[test]
fn listing_functions_and_usdt_probes_of_a_file() {
    let bin = user_target(true);
    let out = run(&["-l", &format!("uprobe:{bin}:sonde_*")]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        format!(
            "uprobe:{bin}:sonde_add\nuprobe:{bin}:sonde_many\nuprobe:{bin}:sonde_negate\n\
             uprobe:{bin}:sonde_point_x\n"
        )
    );
    let out = run(&["-l", &format!("uretprobe:{bin}:sonde_*")]);
    assert_eq!(
        stdout(&out),
        format!(
            "uretprobe:{bin}:sonde_add\nuretprobe:{bin}:sonde_many\nuretprobe:{bin}:sonde_negate\n\
             uretprobe:{bin}:sonde_point_x\n"
        )
    );
    let out = run(&["-l", &format!("usdt:{bin}:*")]);
    assert_eq!(
        stdout(&out),
        format!(
            "usdt:{bin}:sonde:guarded\nusdt:{bin}:sonde:memory\nusdt:{bin}:sonde:odd\n\
             usdt:{bin}:sonde:operands\nusdt:{bin}:sonde:tick\n"
        )
    );
    // -v shows each argument's type; where it lives depends on the compiler.
    let out = run(&["-lv", &format!("usdt:{bin}:sonde:tick")]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], format!("usdt:{bin}:sonde:tick"));
    assert!(lines[1].starts_with("    arg0: int32 ("), "{text}");
    assert_eq!(lines[2], "    arg1: uint64 (constant 7)");
}

#[test]
fn typed_args_from_dwarf() {
    let bin = user_target(true);
    let (out, _) = trace(
        &format!(
            r#"uprobe:{bin}:sonde_point_x {{ printf("%d %s %c %d\n", args.p->x, args.p->name, args.tag, ((struct sonde_point *)arg0)->x); }}
               uprobe:{bin}:sonde_add {{ @up_dwarf = sum(args.a + args.b); }}"#
        ),
        &bin,
        2,
    );
    // sonde_add(i, 2i) for i = 0, 1: 0 + 3.
    // The record named in the cast comes from the probed file's DWARF.
    assert_eq!(out, "40 pt k 40\n41 pt k 41\n\n\n@up_dwarf: 3\n");
    let out = run(&["-lv", &format!("uprobe:{bin}:sonde_point_x")]);
    assert_eq!(
        stdout(&out),
        format!("uprobe:{bin}:sonde_point_x\n    struct sonde_point* p\n    char tag\n")
    );
    let out = run(&[
        "-e",
        &format!("uprobe:{bin}:sonde_add {{ print(args.c); }}"),
    ]);
    assert!(
        stderr(&out).contains("ERROR: Can't find a field c in args of sonde_add"),
        "{}",
        stderr(&out)
    );
    assert_released("@up_dwarf");
}

#[test]
fn args_as_a_whole_record() {
    let bin = user_target(true);
    let (out, _) = trace(
        &format!(
            r#"uprobe:{bin}:sonde_add {{ print(args); @up_args[args] = sum(args.b); }}
               uprobe:{bin}:sonde_point_x {{ print(args.tag); }}"#
        ),
        &bin,
        2,
    );
    assert_eq!(
        out,
        "{ .a = 0, .b = 0 }\n107\n{ .a = 1, .b = 2 }\n107\n\n\n\
         @up_args[{ .a = 0, .b = 0 }]: 0\n@up_args[{ .a = 1, .b = 2 }]: 2\n"
    );
    assert_released("@up_args");
}

#[test]
fn source_lines_and_registers() {
    let bin = user_target(true);
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/progs/user_target.c"
    ))
    .unwrap();
    // The opening brace of sonde_add is its entry.
    let line = src
        .lines()
        .position(|l| l.contains("long sonde_add(long a, long b)"))
        .unwrap()
        + 2;
    let (out, err) = trace(
        &format!(
            r#"uprobe:{bin}@user_target.c:{line} {{ printf("%s %d %s\n", func, reg("ip") == uaddr("sonde_add"), probe); }}"#
        ),
        &bin,
        2,
    );
    let name = format!("uprobe:{bin}@user_target.c:{line}");
    assert_eq!(out, format!("sonde_add 1 {name}\nsonde_add 1 {name}\n\n\n"));
    assert_eq!(err, "Attached 1 probe\n");
    let out = run(&[
        "-e",
        &format!("uprobe:{bin}:sonde_add {{ print(reg(\"xyz\")); }}"),
    ]);
    assert!(stderr(&out).contains("ERROR: 'xyz' is not a valid register"));
}

#[test]
fn debug_info_in_a_separate_file() {
    let bin = user_target(true);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("up_split_debug");
    std::fs::create_dir_all(dir.join("debug")).unwrap();
    let stripped = dir.join("target");
    let debug = dir.join("debug").join("target.debug");
    let objcopy = |args: &[&std::ffi::OsStr]| {
        let status = std::process::Command::new("objcopy")
            .args(args)
            .status()
            .expect("objcopy (binutils) is installed with the C compiler");
        assert!(status.success());
    };
    objcopy(&[
        "--only-keep-debug".as_ref(),
        bin.as_ref(),
        debug.as_os_str(),
    ]);
    objcopy(&["--strip-debug".as_ref(), bin.as_ref(), stripped.as_os_str()]);
    let stripped = stripped.display().to_string();
    let listing = |extra: &[&str]| {
        let mut args = vec!["-lv".to_string(), format!("uprobe:{stripped}:sonde_add")];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        stdout(&run(&args))
    };
    assert_eq!(listing(&[]), format!("uprobe:{stripped}:sonde_add\n"));
    // A relative --debuginfo directory is relative to the binary's.
    assert_eq!(
        listing(&["--debuginfo", "debug"]),
        format!("uprobe:{stripped}:sonde_add\n    long int a\n    long int b\n")
    );
}

#[test]
fn split_debug_info_in_dwo_files_and_a_dwp_package() {
    let tmp = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    // Built in one directory and moved to another, so the .dwo is found
    // beside the binary rather than where the compiler ran.
    let built = tmp.join("up_dwo_build");
    user_target_split_dwarf(&built, &[]);
    let dwo_dir = tmp.join("up_dwo");
    let _ = std::fs::remove_dir_all(&dwo_dir);
    std::fs::rename(&built, &dwo_dir).unwrap();
    // The .dwo files packed into user_target.dwp and removed. DWARF 4,
    // GNU's split-DWARF extension: binutils' dwp packs only that.
    let dwp_dir = tmp.join("up_dwp");
    let packed = user_target_split_dwarf(&dwp_dir, &["-gdwarf-4"]);
    let status = std::process::Command::new("dwp")
        .current_dir(&dwp_dir)
        .args(["-e", "user_target", "-o", "user_target.dwp"])
        .status()
        .expect("dwp (binutils) is installed with the C compiler");
    assert!(status.success());
    for entry in std::fs::read_dir(&dwp_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "dwo") {
            std::fs::remove_file(path).unwrap();
        }
    }
    for bin in [dwo_dir.join("user_target"), packed] {
        let bin = bin.display().to_string();
        let (out, _) = trace(
            &format!(
                r#"uprobe:{bin}:sonde_point_x {{ printf("%d %s %c %d\n", args.p->x, args.p->name, args.tag, ((struct sonde_point *)arg0)->x); }}"#
            ),
            &bin,
            2,
        );
        assert_eq!(out, "40 pt k 40\n41 pt k 41\n\n\n", "{bin}");
        let out = run(&["-lv", &format!("uprobe:{bin}:sonde_point_x")]);
        assert_eq!(
            stdout(&out),
            format!("uprobe:{bin}:sonde_point_x\n    struct sonde_point* p\n    char tag\n")
        );
    }
}

#[test]
fn an_address_outside_every_function_is_refused_without_a_location() {
    let prog = testprog();
    let out = run(&["-e", &format!("uprobe:{prog}:10 {{ exit(); }}")]);
    assert_eq!(
        stderr(&out),
        format!("ERROR: Could not resolve address: {prog}:0xa\n")
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_char_array_of_a_script_struct_prints_whole_even_without_a_nul() {
    let bin = user_target(true);
    // sonde_point's name is "pt" then zeros: seen as char[2], it has no NUL.
    let script = format!(
        r#"struct up_q {{ int x; char n[2]; char rest[6]; }}
           uprobe:{bin}:sonde_point_x {{ $q = (struct up_q *)arg0;
             printf("%s|%s|%d\n", $q->n, $q->rest, sizeof(struct up_q)); print(*$q); }}"#
    );
    let (out, err) = trace(&script, &bin, 1);
    assert_eq!(out, "pt||12\n{ .x = 40, .n = pt, .rest =  }\n\n\n");
    assert_eq!(err, "Attached 1 probe\n");
}

#[test]
fn a_flat_binary_takes_an_offset_with_unsafe() {
    let dir = std::env::temp_dir().join(format!("sonde-flat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let flat = dir.join("flat.bin");
    // Not ELF: a lone x86 `ret`.
    std::fs::write(&flat, [0xc3u8]).unwrap();
    let flat = flat.display().to_string();
    let script = format!("uprobe:{flat}:0x0 {{ @up_flat = count(); }}");
    let out = run(&["-e", &script]);
    assert!(
        stderr(&out).starts_with(&format!(
            "stdin:1:1-{}: ERROR: {flat} is not a 64-bit ELF file\n",
            12 + flat.len()
        )),
        "{}",
        stderr(&out)
    );
    // With --unsafe the number is an offset into the file: it attaches.
    let traced = start(&["--unsafe", "-e", &script]);
    let (out, err, code) = traced.stop(libc::SIGINT);
    assert_eq!(out, "\n\n");
    assert_eq!(err, "Attached 1 probe\n");
    assert_eq!(code, Some(0));
    assert_released("@up_flat");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_function_of_unknown_size_needs_unsafe() {
    let bin = user_target(true);
    let out = run(&["-e", &format!("uprobe:{bin}:_init {{ exit(); }}")]);
    assert_eq!(
        stderr(&out),
        "ERROR: Could not determine boundary for _init (symbol has size 0).\n\
         Use --unsafe to force attachment. WARNING: This option could lead to data corruption \
         in the target process.\n"
    );
    assert_eq!(out.status.code(), Some(1));
}
