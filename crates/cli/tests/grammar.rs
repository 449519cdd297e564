//! bpftrace 0.26's newer grammar run by the real binary on the real kernel:
//! block and `if` expressions, `let` and block scoping, discards, `return`
//! with a value, and the exact output each produces.

mod common;

use common::*;

/// Runs a script that ends by itself and returns its standard output; it
/// must succeed and say it attached one probe.
fn output_of(script: &str) -> String {
    let out = run(&["-e", script]);
    assert_eq!(stderr(&out), "Attached 1 probe\n", "{script}");
    assert!(out.status.success(), "{script}");
    stdout(&out)
}

#[test]
fn block_expressions_give_their_last_value() {
    assert_eq!(
        output_of("begin { let $a = { let $b = 1; $b }; print($a); }"),
        "1\n\n\n"
    );
    assert_eq!(
        output_of("begin { $x = { $y = { $z = 10; $z + 5 }; $y * 2 }; print($x); }"),
        "30\n\n\n"
    );
    assert_eq!(
        output_of(r#"begin { print({ $x = 1; print("bob"); $x > 1 }); }"#),
        "bob\nfalse\n\n\n"
    );
    assert_eq!(
        output_of(r#"begin { if ({ let $a = true; $a }) { print("bob"); } }"#),
        "bob\n\n\n"
    );
    assert_eq!(
        output_of(
            r#"begin { @gr_block = { $s = "abc"; $s }; @gr_block_avg = { let $a = 100; avg($a) }; }"#
        ),
        "\n\n@gr_block: abc\n@gr_block_avg: 100\n"
    );
    assert_released("@gr_block");
    assert_released("@gr_block_avg");
}

#[test]
fn if_expressions_choose_a_value() {
    assert_eq!(
        output_of(
            "begin { let $x = 1; let $y = 0; \
             print(if ($x) { if $y { 2 } else { 3 } } else { 4 }); \
             print(if !$x { \"a\" } else { \"bcd\" }); }"
        ),
        "3\nbcd\n\n\n"
    );
}

#[test]
fn variables_are_scoped_to_their_block() {
    assert_eq!(
        output_of(
            "begin { if 1 { $x = 1; } if 1 { let $x; if $x { $x = 5; } print($x); } \
             if 1 { $x = \"s\"; print($x); } }"
        ),
        "0\ns\n\n\n"
    );
    // `let` without a value starts the variable over on every pass.
    assert_eq!(
        output_of("begin { $i = 0; while ($i < 3) { let $c; print($c); $c = 5; $i++; } }"),
        "0\n0\n0\n\n\n"
    );
    assert_eq!(
        output_of(
            "begin { let $a: uint8 = 300; let $s: string; $s = \"hi\"; let $b: int8 = 255; \
             print(($a, $s, $b)); }"
        ),
        "(44, hi, -1)\n\n\n"
    );
    let out = run(&["-e", "begin { if 1 { $x = 1; } print($x); }"]);
    assert_eq!(
        stderr(&out),
        "stdin:1:32-34: ERROR: Undefined or undeclared variable: $x\n\
         begin { if 1 { $x = 1; } print($x); }\n                               ~~\n"
    );
    assert!(!out.status.success());
}

#[test]
fn several_begin_probes_and_named_probes() {
    let out = run(&[
        "-e",
        "one=begin { print(probe); } begin { print(2); } end { print(3); } end { print(4); }",
    ]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "one\n2\n3\n4\n\n\n");
}

#[test]
fn return_and_discard() {
    // The value of `return` is evaluated; nothing after it runs (and the
    // statements after it are reported unreachable).
    let out = run(&[
        "-e",
        "begin { $a = 1; print($a); return { print(2); $a }; print(3); }",
    ]);
    assert_eq!(stdout(&out), "1\n2\n\n\n");
    assert!(stderr(&out).starts_with("stdin:1:53-61: WARNING: Unreachable statement.\n"));
    assert_eq!(output_of("begin { _ = { print(1); 1 } }"), "1\n\n\n");
    let out = run(&["-e", "begin { if (1) { return } else { exit() } print(3) }"]);
    assert_eq!(stdout(&out), "\n\n");
    assert!(stderr(&out).starts_with("stdin:1:43-51: WARNING: Unreachable statement.\n"));
}

#[test]
fn macros_expand_hygienically() {
    assert_eq!(
        output_of(
            "macro inc($x) { $x += 1; $x } macro add(a, b) { let $y = a; $y + b } \
             begin { $a = 1; $b = inc($a); $y = 10; print(($a, $b, add($a, $y), $y)); }"
        ),
        "(2, 2, 12, 10)\n\n\n"
    );
    // An expression parameter is evaluated wherever it is used.
    assert_eq!(
        output_of(r#"macro thrice(x) { x; x; x; } begin { thrice({ printf("hi") }); }"#),
        "hihihi\n\n"
    );
    assert_eq!(
        output_of(
            "macro set(@m, k) { @m[k] = k * 2; } macro one() { 1 } \
             begin { set(@gr_macro, one); set(@gr_macro, one() + 1); }"
        ),
        "\n\n@gr_macro[1]: 2\n@gr_macro[2]: 4\n"
    );
    assert_released("@gr_macro");
}

#[test]
fn errors_in_macros_show_where_they_were_expanded() {
    // At run time, as bpftrace prints it.
    let script = r#"macro bad() { errorf("Something bad"); } begin { bad(); }"#;
    let out = run(&["-e", script]);
    assert_eq!(
        stderr(&out),
        format!(
            "Attached 1 probe\n\
             stdin:1:15-38: ERROR: Something bad\n{script}\n{}{}\n\
             stdin:1:50-55: ERROR: expanded from\n{script}\n{}{}\n",
            " ".repeat(14),
            "~".repeat(23),
            " ".repeat(49),
            "~".repeat(5),
        )
    );
    // At compile time.
    let script = r#"macro bad() { $x = "a" + 1; } begin { bad(); }"#;
    let out = run(&["-e", script]);
    assert_eq!(
        stderr(&out),
        format!(
            "stdin:1:20-27: ERROR: Type mismatch for '+': comparing 'string[2]' with 'int64'\n\
             {script}\n{}{}\n\
             stdin:1:39-44: ERROR: expanded from\n{script}\n{}{}\n",
            " ".repeat(19),
            "~".repeat(7),
            " ".repeat(38),
            "~".repeat(5),
        )
    );
    assert!(!out.status.success());
}

#[test]
fn builtins_as_calls_compare_equal() {
    assert_eq!(
        output_of(
            "begin { print((__builtin_username == username(), probe() != __builtin_probe, \
             curtask() == __builtin_curtask)); }"
        ),
        "(true, false, true)\n\n\n"
    );
}

#[test]
fn dividing_by_zero_warns_and_gives_one() {
    let script = "begin { $z = 0; print((7 / $z, -7 % $z, 7 / 0, 7 / 2)); }";
    let out = run(&["-e", script]);
    assert_eq!(stdout(&out), "(1, 1, 1, 3)\n\n\n");
    let warning = |at: &str, pad: usize, width: usize| {
        format!(
            "stdin:1:{at}: WARNING: Divide or modulo by 0 detected. This can lead to unexpected \
             results. 1 is being used as the result.\n{script}\n{}{}\n",
            " ".repeat(pad),
            "~".repeat(width)
        )
    };
    assert_eq!(
        stderr(&out),
        format!(
            "Attached 1 probe\n{}{}{}",
            warning("24-30", 23, 6),
            warning("32-39", 31, 7),
            warning("41-46", 40, 5)
        )
    );
}

#[test]
fn defines_are_expanded_where_used() {
    assert_eq!(
        output_of("#define _UNDERSCORE 314\n#include <linux/sched.h>\nbegin { printf(\"%d\\n\", _UNDERSCORE); }"),
        "314\n\n\n"
    );
}

#[test]
fn for_loops_over_ranges() {
    assert_eq!(
        output_of(
            "begin { $n = 0; for ($i : (-2)..3) { $n += $i; print($i); } print($n); \
             for ($i : 5..5) { print(\"never\"); } }"
        ),
        "-2\n-1\n0\n1\n2\n0\n\n\n"
    );
    // break, continue, and a return out of nested loops; the end is
    // evaluated once.
    assert_eq!(
        output_of(
            "begin { $e = 4; for ($i : 1..$e) { $e = 100; if ($i == 2) { continue; } \
             for ($j : 1..$i) { print(($i, $j)); if ($j == 2) { return; } } } print(\"end\"); }"
        ),
        "(3, 1)\n(3, 2)\n\n\n"
    );
}

#[test]
fn for_loops_over_maps() {
    assert_eq!(
        output_of(
            "begin { @gr_m[16, 17] = 32; $s = \"x\"; \
             for ($kv : @gr_m) { print($kv); printf(\"%d %d %s\\n\", $kv.0.1, $kv.1, $s); \
             $s = \"changed\"; } print($s); }"
        ),
        "((16, 17), 32)\n17 32 x\nchanged\n\n\n@gr_m[16, 17]: 32\n"
    );
    // Every entry is seen once, in no particular order; entries can be
    // deleted while the loop runs.
    assert_eq!(
        output_of(
            "begin { @gr_n[1] = 10; @gr_n[2] = 20; @gr_n[3] = 30; \
             for ($kv : @gr_n) { @gr_total = sum($kv.1); @gr_keys = sum($kv.0); \
             if ($kv.0 == 2) { delete(@gr_n, $kv.0); } } }"
        ),
        "\n\n@gr_keys: 6\n@gr_n[1]: 10\n@gr_n[3]: 30\n@gr_total: 60\n"
    );
    assert_released("@gr_m");
    assert_released("@gr_n");
    assert_released("@gr_total");
    assert_released("@gr_keys");
}

#[test]
fn loops_see_the_probe_context() {
    let tp = testprog();
    let out = run(&[
        "-e",
        r#"tracepoint:syscalls:sys_enter_write /comm == "tc_gr_for"/ { for ($i : 0..2) { @gr_ctx[args.count, comm, $i] = count(); } }"#,
        "-c",
        &format!("{tp} comm tc_gr_for write 7,9,9"),
    ]);
    assert_eq!(
        stdout(&out),
        "\n\n@gr_ctx[7, tc_gr_for, 0]: 1\n@gr_ctx[7, tc_gr_for, 1]: 1\n\
         @gr_ctx[9, tc_gr_for, 0]: 2\n@gr_ctx[9, tc_gr_for, 1]: 2\n"
    );
    assert_released("@gr_ctx");
}

#[test]
fn map_loops_read_aggregations_as_printed() {
    assert_eq!(
        output_of(
            "begin { @gr_avg[1] = avg(5); @gr_avg[1] = avg(10); @gr_min[2] = min(3); \
             @gr_min[2] = min(-4); @gr_max[\"x\"] = max(9); \
             for ($kv : @gr_avg) { print($kv); } for ($kv : @gr_min) { print($kv); } \
             for ($kv : @gr_max) { print($kv); } }"
        ),
        "(1, 7)\n(2, -4)\n(x, 9)\n\n\n@gr_avg[1]: 7\n@gr_max[x]: 9\n@gr_min[2]: -4\n"
    );
    for name in ["@gr_avg", "@gr_min", "@gr_max"] {
        assert_released(name);
    }
}

#[test]
fn map_loops_sum_per_cpu_counts() {
    let tp = testprog();
    // getppid on every CPU the scheduler picks; the loop's total must be
    // the map's, summed over CPUs the same way.
    let out = run(&[
        "-e",
        r#"tracepoint:syscalls:sys_enter_getppid /comm == "tc_gr_cpu"/ { @gr_cpu[1] = count(); } end { for ($kv : @gr_cpu) { printf("loop %d\n", $kv.1); } }"#,
        "-c",
        &format!("{tp} comm tc_gr_cpu getppid 5000"),
    ]);
    assert_eq!(stdout(&out), "loop 5000\n\n\n@gr_cpu[1]: 5000\n");
    assert_released("@gr_cpu");
}

#[test]
fn config_blocks_and_environment_settings() {
    assert_eq!(
        output_of("config = { print_maps_on_exit = 0 } begin { @gr_cfg_quiet = count(); }"),
        "\n\n"
    );
    // max_map_keys sizes undeclared maps; the third key does not fit, and
    // the failed update is reported as bpftrace reports it.
    let script = "config = { BPFTRACE_MAX_MAP_KEYS = 2 } begin { @gr_cfg_keys[1] = 1; @gr_cfg_keys[2] = 2; @gr_cfg_keys[3] = 3; }";
    let out = run(&["-e", script]);
    assert_eq!(stdout(&out), "\n\n@gr_cfg_keys[1]: 1\n@gr_cfg_keys[2]: 2\n");
    assert!(
        stderr(&out).contains(
            "stdin:1:90-109: WARNING: Map full; can't update element. Try increasing max_map_keys config"
        ),
        "{}",
        stderr(&out)
    );
    // The environment wins over the script.
    let out = sonde(&[
        "-e",
        "config = { max_map_keys = 1 } begin { @gr_cfg_env[1] = 1; @gr_cfg_env[2] = 2; }",
    ])
    .env("BPFTRACE_MAX_MAP_KEYS", "3")
    .output()
    .expect("sonde runs");
    assert_eq!(stdout(&out), "\n\n@gr_cfg_env[1]: 1\n@gr_cfg_env[2]: 2\n");
    let out = run(&["-e", "config = { bad_config=raw } begin {}"]);
    assert_eq!(
        stderr(&out),
        "stdin:1:12-26: ERROR: bad_config: not a known configuration option\n\
         config = { bad_config=raw } begin {}\n           ~~~~~~~~~~~~~~\n"
    );
    assert!(!out.status.success());
    let out = sonde(&["-e", "begin {}"])
        .env("BPFTRACE_MAX_STRLEN", "many")
        .output()
        .expect("sonde runs");
    assert_eq!(
        stderr(&out),
        "ERROR: BPFTRACE_MAX_STRLEN: expecting a number, got many\n"
    );
    assert_released("@gr_cfg_quiet");
    assert_released("@gr_cfg_keys");
    assert_released("@gr_cfg_env");
}

#[test]
fn missing_probes_can_be_skipped() {
    let script = "config = { missing_probes = warn } \
                  tracepoint:gr_none:gr_nothing { } begin { printf(\"ran\\n\"); }";
    let out = run(&["-e", script]);
    assert_eq!(stdout(&out), "ran\n\n\n");
    assert_eq!(
        stderr(&out),
        format!(
            "stdin:1:36-65: WARNING: No matches for tracepoint gr_none:gr_nothing. Skipping.\n{script}\n{pad}{}\n\
             stdin:1:36-69: WARNING: Probe has no valid attach points. It is being removed which may cause issues with program behavior.\n{script}\n{pad}{}\n\
             Attached 1 probe\n",
            "~".repeat(29),
            "~".repeat(33),
            pad = " ".repeat(35),
        )
    );
    let quiet = script.replace("warn", "ignore");
    let out = run(&["-e", &quiet]);
    assert_eq!(stderr(&out), "Attached 1 probe\n");
    let strict = script.replace("warn", "error");
    assert!(!run(&["-e", &strict]).status.success());
    // With nothing left to attach the script fails.
    let out = run(&[
        "-e",
        "config = { missing_probes = ignore } tracepoint:gr_none:gr_nothing { }",
    ]);
    assert_eq!(stdout(&out), "No probes to attach\n");
    assert_eq!(stderr(&out), "");
    assert!(!out.status.success());
}

#[test]
fn increments_inside_expressions() {
    assert_eq!(
        output_of(
            "begin { @gr_inc = 10; printf(\"%d\", @gr_inc++); printf(\" %d\", ++@gr_inc); \
             printf(\" %d\", @gr_inc--); printf(\" %d\\n\", --@gr_inc); \
             $x = 10; printf(\"%d %d %d %d\\n\", $x++, ++$x, $x--, --$x); }"
        ),
        "10 12 12 10\n10 12 12 10\n\n\n@gr_inc: 10\n"
    );
    assert_released("@gr_inc");
}

#[test]
fn tuples_index_compare_and_short_forms() {
    assert_eq!(
        output_of(
            "begin { $t = (1, \"abc\", (2, 3)); print($t[1]); print($t[2][2 - 1]); \
             $s = \"hello\"; $i = 4; printf(\"%c%c\\n\", $s[1], $s[$i]); \
             print((1,)); print(()); print(((1, \"ab\") == (1, \"ab\"), (1, \"a\") != (1, \"ab\"))); \
             print(*(&$t)); }"
        ),
        "abc\n3\neo\n(1)\n()\n(true, true)\n(1, abc, (2, 3))\n\n\n"
    );
}

#[test]
fn records_keep_names_and_evaluation_order() {
    assert_eq!(
        output_of(
            "begin { $a = (foo = { printf(\"1\"); 1 }, bar = \"b\"); \
             $a = (bar = { printf(\"2\"); \"longer\" }, foo = { printf(\"3\\n\"); 2 }); \
             print($a); printf(\"%d %s\\n\", $a.foo, $a.bar); \
             @gr_rec[(k = 1, n = \"x\")] = (v = (1, 2)); }"
        ),
        "123\n{ .foo = 2, .bar = longer }\n2 longer\n\n\n@gr_rec[{ .k = 1, .n = x }]: { .v = (1, 2) }\n"
    );
    assert_released("@gr_rec");
}

#[test]
fn declared_maps() {
    let out = run(&[
        "-e",
        "let @gr_decl = hash(2); let @gr_lc = percpulruhash(4); \
         begin { @gr_decl[1] = 1; @gr_decl[2] = 2; @gr_decl[3] = 3; \
         @gr_lc[7] = count(); for ($kv : @gr_lc) { print($kv); } }",
    ]);
    assert_eq!(
        stdout(&out),
        "(7, 1)\n\n\n@gr_decl[1]: 1\n@gr_decl[2]: 2\n@gr_lc[7]: 1\n"
    );
    // The third key does not fit, as bpftrace says.
    assert!(
        stderr(&out).contains("WARNING: Map full; can't update element."),
        "{}",
        stderr(&out)
    );
    assert_released("@gr_decl");
    assert_released("@gr_lc");
}

/// A directory of its own for files a test writes, removed afterwards.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("sonde-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        for d in [dir.clone(), dir.join("lib")] {
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn imports_merge_scripts() {
    let dir = TempDir::new("gr-imports");
    dir.write(
        "lib/helpers.bt",
        "import \"more.bt\";\nmacro greet(x) { printf(\"hello %s\\n\", x); }\nlet @gr_imp = hash(4);\n",
    );
    dir.write(
        "lib/more.bt",
        "begin { print(\"from more\"); }\nmacro twice(x) { x * 2 }\n",
    );
    let main = dir.write(
        "main.bt",
        "import \"lib/helpers.bt\";\nimport \"lib\";\nbegin { greet(\"world\"); @gr_imp[1] = twice(21); }\n",
    );
    let out = run(&[&main]);
    assert_eq!(stdout(&out), "from more\nhello world\n\n\n@gr_imp[1]: 42\n");
    assert!(out.status.success());
    assert_released("@gr_imp");

    // Errors point into the file they are in, and at the call.
    let bad = dir.write("lib/bad.bt", "macro oops() {\n  @nope = 1;\n}\n");
    let main = dir.write("main2.bt", "import \"lib/bad.bt\"; begin { oops(); }");
    let out = run(&[&main]);
    assert_eq!(
        stderr(&out),
        format!(
            "{bad}:2:3-8: ERROR: Unhygienic access to map: @nope. Maps must be passed into the macro as arguments.\n  @nope = 1;\n  ~~~~~\n\
             {main}:1:30-36: ERROR: expanded from\n\
             import \"lib/bad.bt\"; begin {{ oops(); }}\n{}~~~~~~\n",
            " ".repeat(29)
        )
    );
    let main = dir.write(
        "main3.bt",
        "import \"lib/c.h\";\nimport \"none.bt\"; begin {}",
    );
    let first = stderr(&run(&[&main]));
    assert!(
        first.starts_with(&format!(
            "{main}:1:1-17: ERROR: cannot import lib/c.h: importing C is not supported"
        )),
        "{first}"
    );
    let main = dir.write("main4.bt", "import \"none.bt\"; begin {}");
    assert_eq!(
        stderr(&run(&[&main])),
        format!("{main}:1:1-17: ERROR: cannot import none.bt: No such file or directory\nimport \"none.bt\"; begin {{}}\n~~~~~~~~~~~~~~~~\n")
    );
    dir.write("lib/conf.bt", "config = { max_map_keys = 2 }\n");
    let main = dir.write("main5.bt", "import \"lib/conf.bt\"; begin {}");
    let conf = dir.0.join("lib/conf.bt");
    assert!(stderr(&run(&[&main])).starts_with(&format!(
        "{}:1:1-30: ERROR: an imported script cannot have a config block",
        conf.display()
    )));
}

#[test]
fn statements_after_exit_or_return_are_reported_unreachable() {
    let script = r#"BEGIN { @gr_un = 1; exit(); @gr_un = 2; } END { if (1) { return; } else { exit(); } printf("x"); printf("y"); }"#;
    let out = run(&["-e", script]);
    assert_eq!(
        stderr(&out),
        format!(
            "stdin:1:29-39: WARNING: Unreachable statement.\n{script}\n{}{}\n\
             stdin:1:85-96: WARNING: Unreachable statement.\n{script}\n{}{}\n\
             Attached 2 probes\n",
            " ".repeat(28),
            "~".repeat(10),
            " ".repeat(84),
            "~".repeat(11)
        )
    );
    assert_eq!(stdout(&out), "\n\n@gr_un: 1\n");
    assert!(out.status.success());
    assert_released("@gr_un");
}

#[test]
fn a_ternary_of_valueless_calls_is_an_if_statement() {
    assert_eq!(
        output_of(
            r#"begin { 1 ? printf("yes\n") : printf("no\n"); 0 ? exit() : printf("on\n"); }"#
        ),
        "yes\non\n\n\n"
    );
    let out = run(&["-e", r#"begin { $x = 1 ? printf("a") : printf("b"); }"#]);
    assert!(
        stderr(&out).starts_with(
            "stdin:1:18-29: ERROR: printf() has no value and cannot be used in an expression\n"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_block_on_begin_and_end_runs_at_both_even_after_exit() {
    let out = run(&[
        "-e",
        r#"begin,end { printf("Hello %s\n", probe); @gr_be = count(); exit(); }"#,
    ]);
    assert_eq!(stdout(&out), "Hello begin\nHello end\n\n\n@gr_be: 2\n");
    assert_eq!(stderr(&out), "Attached 2 probes\n");
    assert!(out.status.success());
    assert_released("@gr_be");
}
