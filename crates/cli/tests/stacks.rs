//! Stacks and symbols on the real kernel: user stacks of a C program with
//! known call paths (tests/progs/user_target.c), kernel stacks of system
//! calls, and ksym/usym/kaddr/uaddr.

mod common;

use common::user_target::{library, user_target};
use common::*;

/// The source of the target, and the line numbers stack frames name.
fn source() -> (String, String) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/progs/user_target.c");
    (path.to_string(), std::fs::read_to_string(path).unwrap())
}

/// 1-based number of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in source")
        + 1
}

fn trace(script: &str, target: &str, rounds: u32) -> String {
    let out = run(&["-e", script, "-c", &format!("{target} {rounds}")]);
    assert!(out.status.success(), "sonde failed: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn user_stacks_of_a_process_that_has_exited() {
    let (src, text) = source();
    // sonde_add's entry is the line of its opening brace; main's frame is
    // the return address, the first instruction of the statement after
    // the call.
    let entry = line_of(&text, "long sonde_add(long a, long b)") + 1;
    let call = line_of(&text, "sonde_add(i, 2 * i);") + 1;
    for pie in [true, false] {
        let bin = user_target(pie);
        let out = trace(
            &format!("uprobe:{bin}:sonde_add {{ @st_user[ustack(2)] = count(); }}"),
            &bin,
            3,
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 6, "{out}");
        assert_eq!(lines[..3], ["", "", "@st_user["]);
        assert_eq!(lines[3], format!("        sonde_add+0@{src}:{entry}"));
        assert!(
            lines[4].starts_with("        main+") && lines[4].ends_with(&format!("@{src}:{call}")),
            "{out}"
        );
        assert_eq!(lines[5], "]: 3");
    }
    assert_released("@st_user");
}

#[test]
fn stack_modes_perf_and_raw() {
    let bin = user_target(true);
    let out = trace(
        &format!(
            r#"uprobe:{bin}:sonde_negate {{ printf("%s", ustack(perf, 1)); print(ustack(raw, 1)); exit(); }}"#
        ),
        &bin,
        1,
    );
    // perf: "\t<address> symbol+offset (file)"; raw: the address alone.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "", "{out}");
    let (addr, rest) = lines[1]
        .strip_prefix('\t')
        .and_then(|l| l.split_once(' '))
        .expect("a perf frame");
    assert_eq!(rest, format!("sonde_negate+0 ({bin})"));
    assert_eq!(lines[2], "");
    assert_eq!(lines[3], addr, "the raw frame is the same address: {out}");
}

/// The GNU build id of the ELF file at `path`, in hex: the 20 bytes after
/// the note header (name size 4, descriptor size 20, type 3, "GNU").
fn build_id(path: &str) -> String {
    let bytes = std::fs::read(path).unwrap();
    let header = [4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, b'G', b'N', b'U', 0];
    let at = bytes
        .windows(header.len())
        .position(|w| w == header)
        .expect("a build id note")
        + header.len();
    bytes[at..at + 20]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn build_id_stacks_name_the_file_and_offset() {
    let bin = user_target(true);
    let id = build_id(&bin);
    let out = trace(
        &format!("uprobe:{bin}:sonde_add {{ print(ustack(build_id, 2)); exit(); }}"),
        &bin,
        1,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "", "{out}");
    assert_eq!(
        lines[1],
        format!("{id} {:#x}", symbol_address(&bin, "sonde_add")),
        "{out}"
    );
    // main's frame is in the same file.
    assert!(lines[2].starts_with(&format!("{id} 0x")), "{out}");
    assert_eq!(lines[3..], ["", "", ""], "{out}");
    // A kernel stack has no build ids: the configured mode falls back to
    // raw addresses, with a warning.
    let out = run(&[
        "-e",
        "config = { stack_mode = build_id } begin { print(kstack(1)); }",
    ]);
    assert!(out.status.success());
    assert!(
        stderr(&out).starts_with(
            "stdin:1:50-59: WARNING: 'build_id' stack mode can only be used for ustack. \
             Falling back to 'raw' mode.\n"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn kernel_stacks_of_a_tracepoint_are_symbols() {
    let tp = testprog();
    let out = trace(
        r#"tracepoint:syscalls:sys_enter_getppid /comm == "st_kstack"/ { @st_kernel[kstack(3)] = count(); }"#,
        &format!("{tp} comm st_kstack getppid"),
        4,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 7, "{out}");
    assert_eq!(lines[2], "@st_kernel[");
    for frame in &lines[3..6] {
        let name = frame.strip_prefix("        ").expect("indented frame");
        let (symbol, offset) = name.rsplit_once('+').expect("symbol+offset");
        assert!(!symbol.is_empty() && !symbol.starts_with("0x"), "{out}");
        assert!(offset.parse::<u64>().is_ok(), "{out}");
    }
    assert_eq!(lines[6], "]: 4");
    assert_released("@st_kernel");
}

#[test]
fn symbols_and_addresses() {
    let bin = user_target(true);
    let out = trace(
        &format!(
            r#"uprobe:{bin}:sonde_add {{
                 printf("%s|%s|%s|%s|%s\n", usym(uaddr("sonde_add")), usym(uaddr("sonde_negate") + 3),
                        ksym(kaddr("do_nanosleep")), ksym(0), func);
                 exit();
               }}"#
        ),
        &bin,
        1,
    );
    assert_eq!(
        out,
        "sonde_add|sonde_negate|do_nanosleep|0x0|sonde_add\n\n\n"
    );
}

#[test]
fn the_depth_of_a_stack_and_a_positional_frame_limit() {
    let bin = user_target(true);
    // sonde_add is called from main: two frames of this file, then libc's.
    let out = run(&[
        "-e",
        &format!(
            r#"uprobe:{bin}:sonde_add {{ $s = ustack(2); @st_len[len($s), len(ustack(1)), len(ustack($1))] = count(); @st_short = count(); print(ustack($1)); }}"#
        ),
        "-c",
        &format!("{bin} 2"),
        "1",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let entry = format!("\n        sonde_add+0@{}:", source().0);
    let text = stdout(&out);
    assert_eq!(text.matches(&entry).count(), 2, "{text}");
    assert!(!text.contains("main+"), "one frame per stack: {text}");
    assert!(
        text.ends_with("\n@st_len[2, 1, 1]: 2\n@st_short: 2\n"),
        "{text}"
    );

    // A kernel stack's depth is the number of frames it prints.
    let tp = testprog();
    let out = trace(
        r#"tracepoint:syscalls:sys_enter_getppid /comm == "st_klen"/ { printf("%d%s", len(kstack), kstack); }"#,
        &format!("{tp} comm st_klen getppid"),
        1,
    );
    let (depth, frames) = out.split_once('\n').expect("a depth and a stack");
    let depth: usize = depth.parse().expect("a number");
    let frames: Vec<&str> = frames.lines().take_while(|l| !l.is_empty()).collect();
    assert!(depth > 0, "{out}");
    assert_eq!(frames.len(), depth, "{out}");
    assert!(frames.iter().all(|f| f.starts_with("        ")), "{out}");

    let out = run(&["-e", "BEGIN { @ = len(1); }"]);
    assert!(
        stderr(&out).contains("ERROR: call to len() expects a map, ustack, or kstack"),
        "{}",
        stderr(&out)
    );
    assert_released("@st_len");
}

#[test]
fn return_probe_stacks_and_library_frames_resolve_after_exit() {
    // Frames in a library and in a position-independent executable, and a
    // return probe (which gives no probe site to place a file by): all
    // resolve, after the process exits, from the mappings the kernel
    // reported while it ran.
    let (lib, main) = library();
    let out = trace(
        &format!(
            "config = {{ show_debug_info = 0 }}
             uprobe:{lib}:sonde_lib_work {{ @st_lib[ustack(2)] = count(); }}
             uretprobe:{lib}:sonde_lib_work {{ @st_ret[ustack(1), usym(reg(\"ip\"))] = count(); }}"
        ),
        &main,
        3,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 9, "{out}");
    assert_eq!(lines[2], "@st_lib[");
    assert_eq!(lines[3], "        sonde_lib_work+0");
    assert!(lines[4].starts_with("        main+"), "{out}");
    assert_eq!(lines[5], "]: 3");
    assert_eq!(lines[6], "@st_ret[");
    assert!(lines[7].starts_with("        main+"), "{out}");
    assert_eq!(lines[8], ", main]: 3");
    assert_released("@st_lib");
}
