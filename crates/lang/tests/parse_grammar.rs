//! bpftrace 0.26's newer grammar: config blocks, C preprocessor lines,
//! imports, macros, map declarations, `for`, `let`, discards, block and
//! `if` expressions, records and the short tuples; and the order the
//! top-level sections must come in.

mod common;

use common::{ast, body, error, expr};
use sonde_lang::ast::{ConfigValue, MacroParamKind, StmtKind};
use sonde_lang::{parse, Span};

#[test]
fn config_blocks() {
    assert_eq!(
        ast("config = { blah = 5 } begin {}"),
        "config { blah = 5; }\nbegin { }"
    );
    assert_eq!(
        ast("config = { blah = false; zoop = \"a\"; mode = raw; } begin {}"),
        "config { blah = false; zoop = \"a\"; mode = raw; }\nbegin { }"
    );
    assert_eq!(ast("config = {} begin {}"), "config {  }\nbegin { }");
    let program = parse("config = { BPFTRACE_STACK_MODE=raw } begin {}").unwrap();
    let item = &program.config.unwrap().items[0];
    assert_eq!(item.key, "BPFTRACE_STACK_MODE");
    assert_eq!(item.value, ConfigValue::Ident("raw".into()));
    assert_eq!(item.span, Span::new(11, 34));
}

#[test]
fn config_errors() {
    assert_eq!(
        error("i:s:1 { exit(); } config = { BPFTRACE_STACK_MODE=perf }"),
        "stdin:1:19-25: ERROR: syntax: config must appear before probes and functions\n\
         i:s:1 { exit(); } config = { BPFTRACE_STACK_MODE=perf }\n                  ~~~~~~\n"
    );
    assert_eq!(
        error("config = { exit(); } i:s:1 { exit(); }"),
        "stdin:1:16-17: ERROR: syntax: expected '='\n\
         config = { exit(); } i:s:1 { exit(); }\n               ~\n"
    );
    assert_eq!(
        error("config = { @start = nsecs; } i:s:1 { exit(); }"),
        "stdin:1:12-18: ERROR: syntax: expected config key\n\
         config = { @start = nsecs; } i:s:1 { exit(); }\n           ~~~~~~\n"
    );
    assert_eq!(
        error("config = { BPFTRACE_STACK_MODE=perf BPFTRACE_MAX_PROBES=2 } i:s:1 { exit(); }"),
        "stdin:1:37-56: ERROR: syntax: expected ';'\n\
         config = { BPFTRACE_STACK_MODE=perf BPFTRACE_MAX_PROBES=2 } i:s:1 { exit(); }\n\
         \x20                                   ~~~~~~~~~~~~~~~~~~~\n"
    );
    assert_eq!(
        error("config { BPFTRACE_STACK_MODE=perf } i:s:1 { exit(); }"),
        "stdin:1:8-9: ERROR: syntax: expected '='\n\
         config { BPFTRACE_STACK_MODE=perf } i:s:1 { exit(); }\n       ~\n"
    );
    assert_eq!(
        common::headline("config = {} config = {} begin {}"),
        "stdin:1:13-19: ERROR: syntax: duplicate config block"
    );
}

#[test]
fn preprocessor_lines() {
    assert_eq!(
        ast("#include <linux/sched.h>\n#define RED \"\\033[31m\"\n#define N (1 + 2)\nbegin {}"),
        "#define RED \"\\033[31m\"\n#define N (1 + 2)\n#include <linux/sched.h>\nbegin { }"
    );
    // Function-like macros need a C preprocessor and are dropped.
    assert_eq!(ast("#define F(x) x\nbegin {}"), "begin { }");
    let program = parse("#define  _X   314  \nbegin {}").unwrap();
    let define = &program.defines[0];
    assert_eq!(define.name, "_X");
    assert_eq!(define.text, "314");
    assert_eq!(define.text_start, 14);
    assert_eq!(define.span, Span::new(0, 17));
    assert_eq!(
        error("config = { blah = 5 }\n#include <stdio.h>\nbegin {}"),
        "stdin:2:1-19: ERROR: syntax: C definitions must appear before probes and functions\n\
         #include <stdio.h>\n~~~~~~~~~~~~~~~~~~\n"
    );
}

#[test]
fn imports() {
    assert_eq!(
        ast("import \"foo\"; import \"bar\"; begin { }"),
        "import \"foo\";\nimport \"bar\";\nbegin { }"
    );
    assert_eq!(
        error("import 0; begin { }"),
        "stdin:1:8-9: ERROR: syntax: expected string after 'import'\n\
         import 0; begin { }\n       ~\n"
    );
    assert_eq!(
        common::headline("import \"foo\" begin { }"),
        "stdin:1:14-19: ERROR: syntax: expected ';' after import"
    );
    assert_eq!(
        common::headline("begin { } import \"foo\";"),
        "stdin:1:11-17: ERROR: syntax: root imports must appear before probes and functions"
    );
}

#[test]
fn macros() {
    assert_eq!(
        ast("macro add($a, b, @c) { $a += b; @c[1] = $a; $a } begin { }"),
        "macro add($a, b, @c) { $a += b; @c[1] = $a; => $a }\nbegin { }"
    );
    assert_eq!(
        ast("begin { } macro one() { 1 } macro two() { print(2); }"),
        "macro one() { => 1 }\nmacro two() { print(2); }\nbegin { }"
    );
    let program = parse("macro f($x, y) { }").unwrap();
    let m = &program.macros[0];
    assert_eq!(m.span, Span::new(0, 7));
    assert_eq!(m.params[0].kind, MacroParamKind::Var);
    assert_eq!(m.params[1].kind, MacroParamKind::Expr);
    assert_eq!(m.params[1].span, Span::new(12, 13));
    assert_eq!(
        common::headline("macro f(pid) { }"),
        "stdin:1:9-12: ERROR: syntax: builtin 'pid' can't be used as a macro argument"
    );
    assert_eq!(
        common::headline("macro f(1) { }"),
        "stdin:1:9-10: ERROR: syntax: expected macro argument ($var, @map, or identifier)"
    );
    assert_eq!(
        common::headline("macro () { }"),
        "stdin:1:7-8: ERROR: syntax: expected macro name"
    );
}

#[test]
fn map_declarations() {
    assert_eq!(
        ast("let @a = hash(2); let @b = per__cpuhash(7); begin { $x; }"),
        "let @a = hash(2);\nlet @b = per__cpuhash(7);\nbegin { $x; }"
    );
    assert_eq!(
        error("let @a = hash(); begin { $x; }"),
        "stdin:1:15-16: ERROR: syntax: expected positive integer for map declaration max entries\n\
         let @a = hash(); begin { $x; }\n              ~\n"
    );
    assert_eq!(
        common::headline("@a = hash(); begin { $x; }"),
        "stdin:1:4-5: ERROR: syntax: expected '{'"
    );
}

#[test]
fn for_loops() {
    assert_eq!(
        body("for ($kv : @map) { print($kv) }"),
        "for $kv : @map { print($kv); }"
    );
    assert_eq!(
        body("for $i : 0..10 { print($i); }"),
        "for $i : 0..10 { print($i); }"
    );
    assert_eq!(
        body("for ($i : (1 + 1)..$n) { } for ($i : @m[1]..ncpus) { }"),
        "for $i : (1 + 1)..$n { } for $i : @m[1]..ncpus { }"
    );
    assert_eq!(
        error("begin { for ($kv : @map) print($kv); }"),
        "stdin:1:26-31: ERROR: syntax: expected '{'\n\
         begin { for ($kv : @map) print($kv); }\n                         ~~~~~\n"
    );
    assert_eq!(
        common::headline("begin { for (@kv : @map) { } }"),
        "stdin:1:14-17: ERROR: syntax: expected variable in for loop"
    );
    assert_eq!(
        common::headline("begin { for ($i : 1+1..10) { print($i) } }"),
        "stdin:1:20-21: ERROR: syntax: expected ')'"
    );
    assert_eq!(
        common::headline("begin { for ($i : 0...10) { } }"),
        "stdin:1:22-23: ERROR: syntax: expected expression"
    );
    assert_eq!(
        common::headline("begin { for ($i : 0..) { } }"),
        "stdin:1:22-23: ERROR: syntax: expected expression"
    );
    assert_eq!(
        common::headline("begin { for ($i : ..10) { } }"),
        "stdin:1:19-20: ERROR: syntax: expected expression"
    );
    assert_eq!(
        common::headline("begin { for ($i : @m[1]) { } }"),
        "stdin:1:19-24: ERROR: syntax: expected map or range in for loop"
    );
}

#[test]
fn variable_declarations() {
    assert_eq!(body("let $x;"), "let $x;");
    assert_eq!(body("let $x: int8;"), "let $x: int8;");
    assert_eq!(
        body("let $x: struct task_struct *; let $y: typeof($x) = 1"),
        "let $x: struct task_struct*; let $y: typeof($x) = 1;"
    );
    assert_eq!(body("let $x = 1 + 2;"), "let $x = (1 + 2);");
    assert_eq!(
        common::headline("begin { $x: int8; }"),
        "stdin:1:11-12: ERROR: syntax: expected ';'"
    );
    assert_eq!(
        common::headline("begin { let @x = 1; }"),
        "stdin:1:13-15: ERROR: syntax: expected variable after 'let'"
    );
    let program = parse("begin { let $x: int8 = 1; }").unwrap();
    let stmt = &program.probes[0].body.stmts[0];
    assert_eq!(stmt.span, Span::new(8, 24));
    let StmtKind::Let { var_span, .. } = &stmt.kind else {
        panic!("{stmt:?}")
    };
    assert_eq!(*var_span, Span::new(12, 14));
}

#[test]
fn discard_and_return_values() {
    assert_eq!(body("_ = 1; _ = f()"), "_ = 1; _ = f();");
    assert_eq!(body("return; return $a + 1"), "return; return ($a + 1);");
    assert_eq!(body("_ == 1"), "(_ == 1);");
}

#[test]
fn block_expressions() {
    assert_eq!(
        body("$x = { $a = 1; $a }; exit();"),
        "$x = (block { $a = 1; => $a }); exit();"
    );
    assert_eq!(
        expr("{ let $b = { 1 }; $b * 2 }"),
        "(block { let $b = (block { => 1 }); => ($b * 2) })"
    );
    // A block at the start of a statement is a statement.
    assert_eq!(body("{ $a = 1; { 2 } }"), "{ $a = 1; { 2; } }");
    assert_eq!(
        error("begin { $x = { $a = 1; $b = 2 } exit(); }"),
        "stdin:1:33-37: ERROR: syntax: expected ';'\n\
         begin { $x = { $a = 1; $b = 2 } exit(); }\n                                ~~~~\n\
         HINT: statements are separated by ';'\n"
    );
    assert_eq!(
        common::headline("begin { $x = { $a = 1; $a } exit(); }"),
        "stdin:1:29-33: ERROR: syntax: expected ';'"
    );
    // A probe body keeps no value.
    assert_eq!(ast("begin { 1 }"), "begin { 1; }");
}

#[test]
fn if_expressions() {
    assert_eq!(
        expr("if $a { 1 } else { 2 }"),
        "(if $a { => 1 } else { => 2 })"
    );
    assert_eq!(
        expr("if ($a > 1) { 1 } else if $b { 2 } else { 3 }"),
        "(if ($a > 1) { => 1 } else { => (if $b { => 2 } else { => 3 }) })"
    );
    // As a statement, every branch's value is a statement.
    assert_eq!(
        body("if $a { 1 } else { print(2) }"),
        "if $a { 1; } else { print(2); }"
    );
    // As the value of a block.
    assert_eq!(
        expr("{ if $a { 1 } else { 2 } }"),
        "(block { => (if $a { => 1 } else { => 2 }) })"
    );
    assert_eq!(expr("{ if $a { 1 }; 2 }"), "(block { if $a { 1; } => 2 })");
}

#[test]
fn tuples_and_records() {
    assert_eq!(expr("()"), "(tuple )");
    assert_eq!(expr("(1)"), "1");
    assert_eq!(expr("(1,)"), "(tuple 1)");
    assert_eq!(expr("(1,2,)"), "(tuple 1, 2)");
    assert_eq!(expr("(a=1)"), "(record a = 1)");
    assert_eq!(
        expr("(a=1, b=\"hello\", c=(a=(1,)))"),
        "(record a = 1, b = \"hello\", c = (record a = (tuple 1)))"
    );
    // Builtins are never record fields.
    assert_eq!(expr("(pid == 1)"), "(pid == 1)");
    assert_eq!(
        common::headline("k:f { print((,)); }"),
        "stdin:1:14-15: ERROR: syntax: expected expression"
    );
    assert_eq!(
        common::headline("k:f { print((hello=1, 5)); }"),
        "stdin:1:23-24: ERROR: syntax: expected identifier"
    );
    assert_eq!(
        common::headline("k:f { print((hello=1,)); }"),
        "stdin:1:22-23: ERROR: syntax: expected identifier"
    );
    assert_eq!(
        common::headline("k:f { print((hello=1,hello=2)); }"),
        "stdin:1:22-29: ERROR: syntax: Named argument list already contains name: hello"
    );
}

#[test]
fn named_probes_keep_their_name_in_the_attach_point() {
    assert_eq!(ast("first=begin { }"), "first=begin { }");
}
