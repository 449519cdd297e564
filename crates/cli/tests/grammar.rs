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
        output_of(r#"begin { @gr_block = { $s = "abc"; $s }; }"#),
        "\n\n@gr_block: abc\n"
    );
    assert_released("@gr_block");
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
        output_of("begin { let $a: uint8 = 5; let $s: string; $s = \"hi\"; print(($a, $s)); }"),
        "(5, hi)\n\n\n"
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
fn return_and_discard() {
    // The value of `return` is evaluated; nothing after it runs.
    assert_eq!(
        output_of("begin { $a = 1; print($a); return { print(2); $a }; print(3); }"),
        "1\n2\n\n\n"
    );
    assert_eq!(output_of("begin { _ = { print(1); 1 } }"), "1\n\n\n");
    assert_eq!(
        output_of("begin { if (1) { return } else { exit() } print(3) }"),
        "\n\n"
    );
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
fn defines_are_expanded_where_used() {
    assert_eq!(
        output_of("#define _UNDERSCORE 314\n#include <linux/sched.h>\nbegin { printf(\"%d\\n\", _UNDERSCORE); }"),
        "314\n\n\n"
    );
}
