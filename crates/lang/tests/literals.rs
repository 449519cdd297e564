//! Literal values: integers in every base and suffix, durations, strings
//! with their escapes, booleans, and the errors for malformed ones.

mod common;

use common::{error, expr_tree};
use sonde_lang::ast::ExprKind;

fn int(src: &str) -> u64 {
    match expr_tree(src).kind {
        ExprKind::Int(v) => v,
        other => panic!("{src}: not an integer: {other:?}"),
    }
}

fn string(src: &str) -> Vec<u8> {
    match expr_tree(src).kind {
        ExprKind::Str(v) => v,
        other => panic!("{src}: not a string: {other:?}"),
    }
}

#[test]
fn integers() {
    assert_eq!(int("0"), 0);
    assert_eq!(int("42"), 42);
    assert_eq!(int("0x10"), 16);
    assert_eq!(int("0XAbC"), 0xabc);
    assert_eq!(int("0777"), 0o777);
    assert_eq!(int("010"), 8);
    assert_eq!(int("1_000_000"), 1_000_000);
    assert_eq!(int("0xffff_ffff"), 0xffff_ffff);
    assert_eq!(int("1e6"), 1_000_000);
    assert_eq!(int("5e9"), 5_000_000_000);
    assert_eq!(int("18446744073709551615"), u64::MAX);
    assert_eq!(int("0xffffffffffffffff"), u64::MAX);
}

#[test]
fn c_suffixes_are_accepted_and_ignored() {
    for text in ["7u", "7ul", "7ull", "7l", "7ll"] {
        assert_eq!(int(text), 7, "{text}");
    }
}

#[test]
fn durations_become_nanoseconds() {
    assert_eq!(int("100ns"), 100);
    assert_eq!(int("5us"), 5_000);
    assert_eq!(int("10ms"), 10_000_000);
    assert_eq!(int("1s"), 1_000_000_000);
    assert_eq!(int("2m"), 120_000_000_000);
    assert_eq!(int("1h"), 3_600_000_000_000);
    assert_eq!(int("1d"), 86_400_000_000_000);
    assert_eq!(int("1_000ms"), 1_000_000_000);
}

#[test]
fn negative_literals_are_negations() {
    let tree = expr_tree("-9223372036854775808");
    assert_eq!(common::expr_text(&tree), "(-9223372036854775808)");
}

#[test]
fn strings_and_escapes() {
    assert_eq!(string(r#""hello""#), b"hello");
    assert_eq!(string(r#""""#), b"");
    assert_eq!(
        string(r#""newline\nand tab\tcr\rbackslash\\quote\"here oct\1009hex\x309""#),
        b"newline\nand tab\tcr\rbackslash\\quote\"here oct@9hex09"
    );
    assert_eq!(string(r#""\0""#), b"\0");
    assert_eq!(string(r#""a\0b""#), b"a\0b");
    assert_eq!(string(r#""\101\102""#), b"AB");
    assert_eq!(string(r#""\xff\x0""#), [0xff, 0]);
    assert_eq!(string(r#""\377""#), [0xff]);
    assert_eq!(string("\"tab\there\""), b"tab\there");
    assert_eq!(string("\"ünï\""), "ünï".as_bytes());
    assert_eq!(string(r#""%s: %d\n""#), b"%s: %d\n");
}

#[test]
fn booleans() {
    assert_eq!(expr_tree("true").kind, ExprKind::Bool(true));
    assert_eq!(expr_tree("false").kind, ExprKind::Bool(false));
    assert_eq!(expr_tree("truex").kind, ExprKind::Ident("truex".into()));
}

#[test]
fn integer_errors() {
    let max = u64::MAX;
    assert_eq!(
        error("k:f { print(5e); }"),
        "stdin:1:13-15: ERROR: syntax: invalid trailing bytes: 5e\nk:f { print(5e); }\n            ~~\n"
    );
    assert_eq!(
        error("k:f { print(1e21); }"),
        format!(
            "stdin:1:13-17: ERROR: syntax: overflow error, maximum value is {max}: 1e21\n\
             k:f {{ print(1e21); }}\n            ~~~~\n"
        )
    );
    assert_eq!(
        error("k:f { print(10000000000m); }"),
        format!(
            "stdin:1:13-25: ERROR: syntax: overflow error, maximum value is {max}: 10000000000m\n\
             k:f {{ print(10000000000m); }}\n            ~~~~~~~~~~~~\n"
        )
    );
    assert_eq!(
        error("k:f { print(12e4); }"),
        "stdin:1:13-17: ERROR: syntax: coefficient part of scientific literal must be 1-9: 12e4\n\
         k:f { print(12e4); }\n            ~~~~\n"
    );
    assert_eq!(
        error("k:f { print(1_000_); }"),
        "stdin:1:18-19: ERROR: syntax: trailing underscore in integer literal\n\
         k:f { print(1_000_); }\n                 ~\n\
         HINT: remove the '_' or put digits after it\n"
    );
    assert_eq!(
        error("k:f { print(1ulll); }"),
        "stdin:1:17-18: ERROR: syntax: invalid integer suffix 'l'\n\
         k:f { print(1ulll); }\n                ~\n\
         HINT: integer suffixes are u, ul, ull, l, ll and the durations ns, us, ms, s, m, h, d\n"
    );
    assert_eq!(
        error("k:f { print(0b101); }"),
        "stdin:1:14-18: ERROR: syntax: invalid integer suffix 'b101'\n\
         k:f { print(0b101); }\n             ~~~~\n\
         HINT: integer suffixes are u, ul, ull, l, ll and the durations ns, us, ms, s, m, h, d\n"
    );
    assert_eq!(
        error("k:f { print(4294967296u); }"),
        "stdin:1:13-24: ERROR: syntax: overflow error, maximum value is 4294967295: 4294967296u\n\
         k:f { print(4294967296u); }\n            ~~~~~~~~~~~\n"
    );
}

#[test]
fn string_errors() {
    assert_eq!(
        error(r#"kprobe:sys_open { "\777" }"#),
        "stdin:1:20-24: ERROR: syntax: octal escape sequence out of range '\\777'\n\
         kprobe:sys_open { \"\\777\" }\n                   ~~~~\n\
         HINT: octal escapes go up to \\377\n"
    );
    assert_eq!(
        error(r#"BEGIN { printf("a\qb") }"#),
        "stdin:1:18-20: ERROR: syntax: invalid escape character '\\q'\n\
         BEGIN { printf(\"a\\qb\") }\n                 ~~\n\
         HINT: valid escapes are \\n \\t \\r \\\" \\\\, octal \\NNN and hex \\xNN\n"
    );
    // bpftrace has no \' escape.
    assert!(error(r#"BEGIN { "it\'s" }"#).contains("invalid escape character '\\''"));
    assert_eq!(
        error(r#"BEGIN { "\xz" }"#),
        "stdin:1:10-12: ERROR: syntax: invalid hex escape sequence\n\
         BEGIN { \"\\xz\" }\n         ~~\n\
         HINT: write one or two hex digits after \\x, e.g. \\x41\n"
    );
    assert_eq!(
        error("kprobe:f { \"asdf }"),
        "stdin:1:12-19: ERROR: syntax: unterminated string\n\
         kprobe:f { \"asdf }\n           ~~~~~~~\n\
         HINT: close the string with '\"' on the same line; write a newline inside it as \\n\n"
    );
    assert_eq!(
        error("BEGIN { printf(\"abc\n\"); }"),
        "stdin:1:16-20: ERROR: syntax: unterminated string\n\
         BEGIN { printf(\"abc\n               ~~~~\n\
         HINT: close the string with '\"' on the same line; write a newline inside it as \\n\n"
    );
}

#[test]
fn positional_parameter_range() {
    assert_eq!(
        error("kprobe:f { $0 }"),
        "stdin:1:12-14: ERROR: syntax: param $0 is out of integer range [1, 9223372036854775807]\n\
         kprobe:f { $0 }\n           ~~\n"
    );
    assert_eq!(
        error("kprobe:f { $999999999999999999999999 }"),
        "stdin:1:12-37: ERROR: syntax: param $999999999999999999999999 is out of integer range \
         [1, 9223372036854775807]\n\
         kprobe:f { $999999999999999999999999 }\n           ~~~~~~~~~~~~~~~~~~~~~~~~~\n"
    );
}
