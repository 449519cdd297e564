//! Probes: attach points as raw text, predicates, several probes, shebang
//! and comments.

mod common;

use common::{ast, error};
use sonde_lang::{parse, Span};

fn attach_points(src: &str) -> Vec<String> {
    let program = parse(src).expect("parses");
    program
        .probes
        .iter()
        .flat_map(|p| p.attach_points.iter().map(|a| a.raw.clone()))
        .collect()
}

#[test]
fn simple_probe_kinds_keep_their_text() {
    for point in [
        "BEGIN",
        "begin",
        "END",
        "tracepoint:syscalls:sys_enter_*",
        "tracepoint:syscalls:sys_enter_open*",
        "t:sched:sched_switch",
        "rawtracepoint:sched_switch",
        "interval:s:1",
        "interval:1s",
        "i:ms:100",
        "profile:hz:99",
        "uprobe:/bin/bash:readline",
        "uprobe:/usr/lib/libc.so.6:malloc+4",
        "uprobe:/my/go/program:runtime.main.func1",
        "usdt:/bin/x:prov:name",
        "kprobe:do_sys_open",
        "k:fn+0x10",
        "watchpoint:0x1234:8:rw",
        "iter:task",
        "software:cpu-clock:1000",
        "kprobe:[Ss]y[Ss]_read",
        "t*point:sched:sched_switch",
        "*:/bin/sh:*",
        "uprobe:/with#hash:asdf",
        "uprobe:$1:$2func",
        "kprobe:f?o",
    ] {
        assert_eq!(
            attach_points(&format!("{point} {{ }}")),
            vec![point],
            "{point}"
        );
    }
}

#[test]
fn quoted_parts_are_kept_with_their_quotes() {
    assert_eq!(
        attach_points(r#"uprobe:"/path with space":f { }"#),
        vec![r#"uprobe:"/path with space":f"#]
    );
    assert_eq!(
        attach_points(r#"uprobe:/my/program:"A::f" { }"#),
        vec![r#"uprobe:/my/program:"A::f""#]
    );
    assert_eq!(
        attach_points(r#"usdt:/my/program:"\"probe\"" { }"#),
        vec![r#"usdt:/my/program:"\"probe\"""#]
    );
    assert_eq!(
        attach_points(r#"uprobe:"a{b,c}":f{ }"#),
        vec![r#"uprobe:"a{b,c}":f"#]
    );
}

#[test]
fn attach_point_spans_cover_the_text() {
    let src = "BEGIN,\n  kprobe:f { }";
    let program = parse(src).unwrap();
    let points = &program.probes[0].attach_points;
    assert_eq!(points[0].span, Span::new(0, 5));
    assert_eq!(points[1].span, Span::new(9, 17));
    assert_eq!(program.probes[0].span, Span::new(0, 21));
}

#[test]
fn several_attach_points() {
    assert_eq!(
        ast("begin,kprobe:sys_open,uprobe:/bin/sh:foo,tracepoint:syscalls:sys_enter_* { 1 }"),
        "begin, kprobe:sys_open, uprobe:/bin/sh:foo, tracepoint:syscalls:sys_enter_* { 1; }"
    );
    // Whitespace, newlines and comments may follow a comma.
    assert_eq!(
        ast("t:a:b,\n   t:c:d, // more\n /* and */ t:e:f\n{ }"),
        "t:a:b, t:c:d, t:e:f { }"
    );
    // A trailing comma is allowed.
    assert_eq!(ast("BEGIN, END, { }"), "BEGIN, END { }");
    assert_eq!(ast("BEGIN, END, /1/ { }"), "BEGIN, END /1/ { }");
}

#[test]
fn predicates() {
    assert_eq!(ast("kprobe:f /pid == 1/ { }"), "kprobe:f /(pid == 1)/ { }");
    assert_eq!(ast("BEGIN/pid/{ }"), "BEGIN /pid/ { }");
    assert_eq!(
        ast("uprobe:/bin/bash:readline /pid == 1/ { }"),
        "uprobe:/bin/bash:readline /(pid == 1)/ { }"
    );
    // Division inside a predicate; only a '/' before '{' closes it.
    assert_eq!(
        ast("kprobe:f /100/25/ { 1; }"),
        "kprobe:f /(100 / 25)/ { 1; }"
    );
    assert_eq!(
        ast("kprobe:f /$1 / 2 > @x/\n{ }"),
        "kprobe:f /(($1 / 2) > @x)/ { }"
    );
    assert_eq!(
        ast("kprobe:f / comm == \"bash\" && (pid > 10 || tid < 5) / { }"),
        "kprobe:f /((comm == \"bash\") && ((pid > 10) || (tid < 5)))/ { }"
    );
}

#[test]
fn after_a_colon_a_slash_belongs_to_the_attach_point() {
    // As in bpftrace: a predicate after a path-like attach point needs
    // whitespace before it.
    assert_eq!(attach_points("i:s:1/1/ { }"), vec!["i:s:1/1/"]);
}

#[test]
fn several_probes() {
    assert_eq!(
        ast("BEGIN { @a = 1 } END { @b = 2; }\n\ni:s:1{exit()}"),
        "BEGIN { @a = 1; }\nEND { @b = 2; }\ni:s:1 { exit(); }"
    );
    assert_eq!(ast("BEGIN{}END{}"), "BEGIN { }\nEND { }");
}

#[test]
fn empty_programs() {
    assert_eq!(ast(""), "");
    assert_eq!(ast("  \n// nothing\n/* at all */\n"), "");
    assert_eq!(ast("#!/usr/bin/env bpftrace\n"), "");
    assert_eq!(ast("#!/usr/bin/env bpftrace"), "");
}

#[test]
fn shebang_and_comments() {
    assert_eq!(
        ast("#!/usr/bin/env bpftrace\n// comment\nkprobe:f { /*** ***/0; }"),
        "kprobe:f { 0; }"
    );
    assert_eq!(
        ast("/* before */ BEGIN // after\n{ // inside\n  1; /* mid */ 2 // end\n}"),
        "BEGIN { 1; 2; }"
    );
}

#[test]
fn errors_in_probe_structure() {
    assert_eq!(
        error("kprobe:f /pid == 1 { 0; }"),
        "stdin:1:20-21: ERROR: syntax: expected '/' to close predicate\n\
         kprobe:f /pid == 1 { 0; }\n                   ~\n\
         HINT: a predicate is written /condition/ before the probe's '{'\n"
    );
    assert_eq!(
        error("i:s:1\t\t\t$a"),
        "stdin:1:9-11: ERROR: syntax: expected '{'\n\
         i:s:1            $a\n                 ~~\n"
    );
    assert_eq!(
        error("k:asdf+123abc"),
        "stdin:1:14-14: ERROR: syntax: expected '{'\nk:asdf+123abc\n             \n"
    );
    assert_eq!(
        error("{ }"),
        "stdin:1:1-2: ERROR: syntax: expected attach point\n{ }\n~\n"
    );
    assert_eq!(
        error("BEGIN,,END { }"),
        "stdin:1:7-8: ERROR: syntax: expected attach point\nBEGIN,,END { }\n      ~\n"
    );
    assert_eq!(
        error("BEGIN { } }"),
        "stdin:1:11-12: ERROR: syntax: expected attach point\nBEGIN { } }\n          ~\n\
         HINT: this '}' closes no block\n"
    );
    assert_eq!(
        error("BEGIN { }\n;"),
        "stdin:2:1-2: ERROR: syntax: expected attach point\n;\n~\n"
    );
}
