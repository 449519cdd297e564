//! Syntax errors as the user sees them: message, location, underline and
//! hint, for malformed code, for bpftrace features the syntax tree does not
//! hold, and for input nested too deeply.

mod common;

use common::{error, headline};
use sonde_lang::{parse, render, Diagnostic, Span};

/// Only the first line of the rendered error.

#[test]
fn unexpected_tokens() {
    assert_eq!(
        error("i:s:1 { < }"),
        "stdin:1:9-10: ERROR: syntax: expected expression\ni:s:1 { < }\n        ~\n"
    );
    assert_eq!(
        error("k:f { print((,)); }"),
        "stdin:1:14-15: ERROR: syntax: expected expression\nk:f { print((,)); }\n             ~\n"
    );
    assert_eq!(
        headline("BEGIN { f(1 2) }"),
        "stdin:1:13-14: ERROR: syntax: expected ')'"
    );
    assert_eq!(
        headline("BEGIN { @x[1 = 2 }"),
        "stdin:1:14-15: ERROR: syntax: expected ']'"
    );
    assert_eq!(
        headline("BEGIN { @x[] = 2 }"),
        "stdin:1:12-13: ERROR: syntax: expected expression"
    );
    assert_eq!(
        headline("BEGIN { $x = 1 ? 2 }"),
        "stdin:1:20-21: ERROR: syntax: expected ':'"
    );
    assert_eq!(
        headline("BEGIN { $x. }"),
        "stdin:1:13-14: ERROR: syntax: expected field name after '.'"
    );
    assert_eq!(
        headline("BEGIN { $x->1 }"),
        "stdin:1:13-14: ERROR: syntax: expected field name after '->'"
    );
    assert_eq!(
        headline("BEGIN { if (1) { } else 2 }"),
        "stdin:1:25-26: ERROR: syntax: expected '{' or 'if' after 'else'"
    );
    assert_eq!(
        headline("BEGIN { while(x=1, y=2) {} }"),
        "stdin:1:16-17: ERROR: syntax: expected ')'"
    );
    assert_eq!(
        headline("BEGIN { if (a) + 1 { } }"),
        "stdin:1:16-17: ERROR: syntax: expected '{'"
    );
    assert_eq!(
        headline("BEGIN { 1 # }"),
        "stdin:1:11-12: ERROR: syntax: expected ';'"
    );
    assert_eq!(
        headline("BEGIN { é }"),
        "stdin:1:9-11: ERROR: syntax: expected expression"
    );
    // An assignment operator is not an expression operator.
    assert_eq!(
        headline("BEGIN { $x[0] += 1 }"),
        "stdin:1:15-16: ERROR: syntax: expected ';'"
    );
}

#[test]
fn conditions_without_parentheses_are_single_operands() {
    assert_eq!(
        error("BEGIN { if $x > 0 { } }"),
        "stdin:1:15-16: ERROR: syntax: expected '{'\n\
         BEGIN { if $x > 0 { } }\n              ~\n\
         HINT: without parentheses a condition is a single operand; write the whole condition in ( )\n"
    );
    assert_eq!(
        headline("BEGIN { while !$a && $b { } }"),
        "stdin:1:19-20: ERROR: syntax: expected '{'"
    );
}

#[test]
fn unclosed_blocks() {
    assert_eq!(
        error("BEGIN {\n  @x = 1;\n"),
        "stdin:3:1-1: ERROR: syntax: expected '}'\n\n\n\
         HINT: the '{' at line 1 column 7 is never closed\n"
    );
    assert_eq!(
        error("BEGIN { if (1) { @x = 1 }"),
        "stdin:1:26-26: ERROR: syntax: expected '}'\n\
         BEGIN { if (1) { @x = 1 }\n                         \n\
         HINT: the '{' at line 1 column 7 is never closed\n"
    );
    assert_eq!(
        error("BEGIN { /* never closed }"),
        "stdin:1:9-11: ERROR: syntax: unterminated comment\n\
         BEGIN { /* never closed }\n        ~~\n\
         HINT: close the comment with '*/'\n"
    );
}

#[test]
fn bad_assignment_and_increment_targets() {
    assert_eq!(
        error("i:s:1 { $a = 1; $a.2 = 3; }"),
        "stdin:1:17-25: ERROR: syntax: Tuples and records are immutable once created. \
         Consider creating a new value and assigning it instead.\n\
         i:s:1 { $a = 1; $a.2 = 3; }\n                ~~~~~~~~\n\
         HINT: only variables ($x) and maps (@x, @x[key]) can be assigned to\n"
    );
    assert_eq!(
        headline("i:s:1 { $a[0] = 3; }"),
        "stdin:1:9-18: ERROR: syntax: invalid assignment target"
    );
    assert_eq!(
        headline("i:s:1 { (1, 0) = 0 }"),
        "stdin:1:16-17: ERROR: syntax: expected ';'"
    );
    assert_eq!(
        headline("i:s:1 { 0.1 = 1.0 }"),
        "stdin:1:13-14: ERROR: syntax: expected ';'"
    );
    assert_eq!(
        headline("i:s:1 { pid = 1 }"),
        "stdin:1:13-14: ERROR: syntax: expected ';'"
    );
    assert_eq!(
        headline("i:s:1 { $1 = 1 }"),
        "stdin:1:12-13: ERROR: syntax: expected ';'"
    );
    for (src, span) in [
        ("i:s:1 { @=5++}", "1:12-14"),
        ("i:s:1 { @=++5}", "1:13-14"),
        ("i:s:1 { @=5--}", "1:12-14"),
        ("i:s:1 { @=--5}", "1:13-14"),
        ("i:s:1 { @=\"a\"++}", "1:14-16"),
        ("i:s:1 { $x.y++ }", "1:13-15"),
    ] {
        assert_eq!(
            headline(src),
            format!("stdin:{span}: ERROR: syntax: increment/decrement requires a variable or map")
        );
    }
    assert_eq!(
        headline("BEGIN { $p = &5 }"),
        "stdin:1:15-16: ERROR: syntax: address-of operator (&) can only be used on a map or variable"
    );
    assert_eq!(
        headline("BEGIN { $x = $ y }"),
        "stdin:1:14-15: ERROR: syntax: expected identifier after '$'"
    );
}

#[test]
fn unsupported_bpftrace_features_are_named() {
    let cases = [
        ("#pragma once\nBEGIN { }", "stdin:1:1-13: ERROR: syntax: the C preprocessor directive #pragma is not supported"),
        ("fn f(): void { } BEGIN { }", "stdin:1:1-3: ERROR: syntax: functions (fn) are not supported"),
        ("let $a; BEGIN { }", "stdin:1:1-4: ERROR: syntax: root-level let statements need to be map declarations, e.g. let @a = hash(2);"),
        ("BEGIN { import \"x\"; }", "stdin:1:9-15: ERROR: syntax: imports inside blocks are not supported"),
    ];
    for (src, expected) in cases {
        assert_eq!(headline(src), expected, "{src}");
    }
    assert_eq!(
        error("#if X\nBEGIN { }"),
        "stdin:1:1-6: ERROR: syntax: the C preprocessor directive #if is not supported\n\
         #if X\n~~~~~\n\
         HINT: Sonde has no C compiler: only #define NAME value and #include are accepted\n"
    );
}

#[test]
fn struct_as_an_attach_point_is_not_a_definition() {
    // Only `struct Name ... {` is a C definition.
    let program = parse("struct:x { }").unwrap();
    assert_eq!(program.probes[0].attach_points[0].raw, "struct:x");
}

#[test]
fn nesting_is_limited() {
    let deep = |open: &str, close: &str, n: usize| {
        format!("BEGIN {{ $x = {}1{}; }}", open.repeat(n), close.repeat(n))
    };
    // Reasonable depths parse.
    assert!(parse(&deep("(", ")", 100)).is_ok());
    assert!(parse(&deep("- ", "", 100)).is_ok());
    assert!(parse(&deep("f(", ")", 60)).is_ok());
    // Absurd ones are an error, not a stack overflow.
    for src in [
        deep("(", ")", 100_000),
        deep("- ", "", 100_000),
        deep("!", "", 100_000),
        deep("f(", ")", 100_000),
        deep("@m[", "]", 100_000),
        deep("1 ? 2 : ", "", 100_000),
        format!("BEGIN {{ {} }}", "{".repeat(100_000)),
        format!("BEGIN {{ {} }}", "if (1) { } else ".repeat(100_000)),
    ] {
        let d = parse(&src).unwrap_err();
        assert!(
            d.message
                .starts_with("syntax: the program nests too deeply here (the limit is 128 levels)"),
            "{}",
            d.message
        );
        assert!(d.span.end <= src.len());
    }
}

#[test]
fn deepest_accepted_nesting_fits_in_a_small_stack() {
    // The deepest programs the limits allow, parsed on a thread with 1 MiB
    // of stack (a test thread has 2 MiB): each shape recurses differently.
    let cases = [
        format!("BEGIN {{ $x = {}1{}; }}", "(".repeat(126), ")".repeat(126)),
        format!("BEGIN {{ $x = {}1{}; }}", "f(".repeat(63), ")".repeat(63)),
        format!("BEGIN {{ $x = {}1{}; }}", "@m[".repeat(63), "]".repeat(63)),
        format!(
            "BEGIN {{ $x = {}1{}; }}",
            "(1 ? ".repeat(63),
            " : 2)".repeat(63)
        ),
        format!("BEGIN {{ $x = {}1; }}", "- ".repeat(126)),
        format!("BEGIN {{ {}{} }}", "if (1) { ".repeat(63), "}".repeat(63)),
        format!("BEGIN {{ {}{} }}", "{".repeat(126), "}".repeat(126)),
        format!(
            "BEGIN {{ {}{} }}",
            "while (1) { ".repeat(63),
            "}".repeat(63)
        ),
    ];
    let parsed = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || cases.iter().map(|c| parse(c).is_ok()).collect::<Vec<_>>())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(parsed, vec![true; 8]);
}

#[test]
fn operator_chains_are_limited() {
    let chain = |op: &str, n: usize| format!("BEGIN {{ $x = 1{} }}", format!(" {op} 1").repeat(n));
    assert!(parse(&chain("+", 256)).is_ok());
    assert!(parse(&chain("||", 200)).is_ok());
    assert!(parse(&format!("BEGIN {{ $x = $y{} }}", ".a".repeat(256))).is_ok());
    for src in [
        chain("+", 257),
        chain("+", 100_000),
        chain("&&", 300),
        format!("BEGIN {{ $x = $y{} }}", ".a".repeat(100_000)),
        format!("BEGIN {{ $x = $y{} }}", "[1]".repeat(100_000)),
    ] {
        let d = parse(&src).unwrap_err();
        assert_eq!(
            d.message,
            "syntax: expression too long (more than 256 chained operators)"
        );
    }
}

#[test]
fn short_ternaries_cannot_multiply_the_tree() {
    // `a ?: b` keeps `a` twice; nested in its own condition that doubles
    // each time, so the copies are budgeted.
    assert!(parse("BEGIN { $x = (($a ?: 1) ?: 2) ?: 3; }").is_ok());
    let src = format!(
        "BEGIN {{ $x = {}1{}; }}",
        "(".repeat(60),
        " ?: 2)".repeat(60)
    );
    let d = parse(&src).unwrap_err();
    assert_eq!(
        d.message,
        "syntax: the conditions of '?:' are too large to repeat"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("store the condition in a variable: $c = ...; $c ? $c : other")
    );
}

#[test]
fn render_layout_through_the_public_api() {
    let src = "BEGIN {\n\tfoo(1,\n\t    2);\n}\n";
    // One line, with a tab before the span.
    let d =
        Diagnostic::error(Span::new(9, 12), "unknown function: 'foo'").with_help("check the name");
    assert_eq!(
        render(&d, src, "script.bt"),
        "script.bt:2:2-5: ERROR: unknown function: 'foo'\n    foo(1,\n    ~~~\nHINT: check the name\n"
    );
    // Several lines: the lines as they are, no underline.
    let d = Diagnostic::error(Span::new(9, 23), "bad call");
    assert_eq!(
        render(&d, src, "stdin"),
        "stdin:2-3: ERROR: bad call\n\tfoo(1,\n\t    2);\n"
    );
}
