//! Statements: assignments, increments, control flow, blocks and the rules
//! for separating statements.

mod common;

use common::{ast, body, error};
use sonde_lang::ast::{BinOp, StmtKind};
use sonde_lang::{parse, Span};

#[test]
fn assignments_to_maps_and_variables() {
    assert_eq!(body("@x = 1"), "@x = 1;");
    assert_eq!(body("@ = 1"), "@ = 1;");
    assert_eq!(body("@x[1] = 2"), "@x[1] = 2;");
    assert_eq!(body("@x[pid, comm] = count()"), "@x[pid, comm] = count();");
    assert_eq!(body("@[comm] = count()"), "@[comm] = count();");
    assert_eq!(body("@x [1] = 2"), "@x[1] = 2;");
    assert_eq!(body("$x = 1"), "$x = 1;");
    assert_eq!(body("$x = $y + 1"), "$x = ($y + 1);");
    assert_eq!(body("@x[(1, 2)] = 3"), "@x[(tuple 1, 2)] = 3;");
}

#[test]
fn compound_assignments() {
    let ops = [
        ("+=", BinOp::Add),
        ("-=", BinOp::Sub),
        ("*=", BinOp::Mul),
        ("/=", BinOp::Div),
        ("%=", BinOp::Mod),
        ("&=", BinOp::BitAnd),
        ("|=", BinOp::BitOr),
        ("^=", BinOp::BitXor),
        ("<<=", BinOp::Shl),
        (">>=", BinOp::Shr),
    ];
    for (text, op) in ops {
        for target in ["$x", "@x", "@x[1, 2]"] {
            let src = format!("BEGIN {{ {target} {text} 2 + 3; }}");
            let program = parse(&src).unwrap();
            match &program.probes[0].body.stmts[0].kind {
                StmtKind::Assign { op: got, value, .. } => {
                    assert_eq!(*got, Some(op), "{src}");
                    assert_eq!(common::expr_text(value), "(2 + 3)", "{src}");
                }
                other => panic!("{src}: {other:?}"),
            }
        }
    }
    assert_eq!(body("$x <<= 1 << 2"), "$x <<= (1 << 2);");
}

#[test]
fn increments_and_decrements() {
    assert_eq!(body("$x++"), "($x++);");
    assert_eq!(body("$x--"), "($x--);");
    assert_eq!(body("++$x"), "(++$x);");
    assert_eq!(body("--$x"), "(--$x);");
    assert_eq!(body("@x++"), "(@x++);");
    assert_eq!(body("@x[1]--"), "(@x[1]--);");
    assert_eq!(body("++@x[1, 2]"), "(++@x[1, 2]);");
    assert_eq!(body("@ ++"), "(@++);");
    assert_eq!(body("$y = $x++"), "$y = ($x++);");
    assert_eq!(body("$y = --@x"), "$y = (--@x);");
}

#[test]
fn expression_statements() {
    assert_eq!(body("printf(\"%d\\n\", pid)"), "printf(\"%d\\n\", pid);");
    assert_eq!(body("exit()"), "exit();");
    assert_eq!(body("1; 2; 3"), "1; 2; 3;");
    assert_eq!(body("$x"), "$x;");
    assert_eq!(body("$x + 1"), "($x + 1);");
    assert_eq!(body("$x[0] == 102"), "($x[0] == 102);");
    assert_eq!(body("@x.field"), "@x.field;");
    assert_eq!(body("$t.0"), "$t.0;");
    assert_eq!(body("$x ? 1 : 2"), "($x ? 1 : 2);");
    assert_eq!(body("$1"), "$1;");
    assert_eq!(body("$#"), "$#;");
    assert_eq!(body("(1, 2)"), "(tuple 1, 2);");
}

#[test]
fn semicolons() {
    // The last statement needs no ';', empty statements are allowed.
    assert_eq!(body("@a = 1; @b = 2;"), "@a = 1; @b = 2;");
    assert_eq!(body("@a = 1; @b = 2"), "@a = 1; @b = 2;");
    assert_eq!(body(";;@a = 1;;;"), "@a = 1;");
    assert_eq!(body(";"), "");
    assert_eq!(body(""), "");
}

#[test]
fn if_else_chains() {
    assert_eq!(body("if (pid > 1) { @a = 1 }"), "if (pid > 1) { @a = 1; }");
    assert_eq!(
        body("if (pid) { @a = 1 } else { @b = 2 }"),
        "if pid { @a = 1; } else { @b = 2; }"
    );
    assert_eq!(
        body("if (a) { 1 } else if (b) { 2 } else if (c) { 3 } else { 4 }"),
        "if a { 1; } else { if b { 2; } else { if c { 3; } else { 4; } } }"
    );
    // Without parentheses the condition is a unary expression.
    assert_eq!(body("if !pid { 1 }"), "if (!pid) { 1; }");
    assert_eq!(body("if $x { 1 }"), "if $x { 1; }");
    assert_eq!(body("if @x[1] { 1 }"), "if @x[1] { 1; }");
    // Statements after an if need no ';' between them.
    assert_eq!(body("if (1) { } @a = 1"), "if 1 { } @a = 1;");
    assert_eq!(body("if (1) { }; @a = 1"), "if 1 { } @a = 1;");
}

#[test]
fn else_if_is_an_if_wrapped_in_a_block() {
    let src = "BEGIN { if (a) { } else if (b) { } }";
    let program = parse(src).unwrap();
    let StmtKind::If {
        otherwise: Some(block),
        ..
    } = &program.probes[0].body.stmts[0].kind
    else {
        panic!("not an if");
    };
    assert_eq!(block.span, Span::new(24, 34));
    assert_eq!(block.stmts.len(), 1);
    assert_eq!(block.stmts[0].span, Span::new(24, 34));
    assert!(matches!(block.stmts[0].kind, StmtKind::If { .. }));
}

#[test]
fn loops_and_jumps() {
    assert_eq!(
        body("$i = 0; while ($i < 10) { $i++; if ($i == 5) { break } continue; }"),
        "$i = 0; while ($i < 10) { ($i++); if ($i == 5) { break; } continue; }"
    );
    assert_eq!(body("while !$done { }"), "while (!$done) { }");
    assert_eq!(body("unroll (5) { @x++ }"), "unroll 5 { (@x++); }");
    assert_eq!(body("unroll(2 + $1) { }"), "unroll (2 + $1) { }");
    assert_eq!(body("return"), "return;");
    assert_eq!(body("return;"), "return;");
    assert_eq!(body("if (1) { return }"), "if 1 { return; }");
}

#[test]
fn nested_blocks() {
    assert_eq!(
        body("$a = 1; { $b = 2; { $c = 3; } }"),
        "$a = 1; { $b = 2; { $c = 3; } }"
    );
    assert_eq!(body("{ } { }"), "{ } { }");
}

#[test]
fn keywords_are_ordinary_names_elsewhere() {
    assert_eq!(
        body("$x->if; $x.while; $x.return"),
        "$x->if; $x.while; $x.return;"
    );
    assert_eq!(body("while_x + if_"), "(while_x + if_);");
}

#[test]
fn statement_spans_exclude_the_semicolon() {
    let src = "BEGIN { @x[1] = 2; $y++; if (1) { } else { } print(1) ; break; }";
    let program = parse(src).unwrap();
    let spans: Vec<Span> = program.probes[0]
        .body
        .stmts
        .iter()
        .map(|s| s.span)
        .collect();
    assert_eq!(
        spans,
        vec![
            Span::new(8, 17),
            Span::new(19, 23),
            Span::new(25, 44),
            Span::new(45, 53),
            Span::new(56, 61),
        ]
    );
    assert_eq!(program.probes[0].body.span, Span::new(6, src.len()));
}

#[test]
fn multi_line_scripts() {
    let src = "#!/usr/bin/env bpftrace\n\
               tracepoint:syscalls:sys_enter_openat\n\
               /comm != \"bash\"/\n\
               {\n\
               \t@start[tid] = nsecs;\n\
               \t@files[str(args.filename)] = count();\n\
               }\n\
               \n\
               tracepoint:syscalls:sys_exit_openat\n\
               /@start[tid]/\n\
               {\n\
               \t@us = hist((nsecs - @start[tid]) / 1000);\n\
               \tdelete(@start[tid]);\n\
               }\n\
               END { clear(@start); }\n";
    assert_eq!(
        ast(src),
        "tracepoint:syscalls:sys_enter_openat /(comm != \"bash\")/ { @start[tid] = nsecs; \
         @files[str(args.filename)] = count(); }\n\
         tracepoint:syscalls:sys_exit_openat /@start[tid]/ { @us = hist(((nsecs - @start[tid]) / 1000)); \
         delete(@start[tid]); }\n\
         END { clear(@start); }"
    );
}

#[test]
fn missing_separators() {
    assert_eq!(
        error("begin { print(1) print(2); }"),
        "stdin:1:18-23: ERROR: syntax: expected ';'\n\
         begin { print(1) print(2); }\n                 ~~~~~\n\
         HINT: statements are separated by ';'\n"
    );
    assert_eq!(
        error("begin { break print(1); }"),
        "stdin:1:15-20: ERROR: syntax: expected ';'\n\
         begin { break print(1); }\n              ~~~~~\n\
         HINT: statements are separated by ';'\n"
    );
    assert_eq!(
        error("begin { $x = 1 print(2); }"),
        "stdin:1:16-21: ERROR: syntax: expected ';'\n\
         begin { $x = 1 print(2); }\n               ~~~~~\n\
         HINT: statements are separated by ';'\n"
    );
    assert_eq!(
        error("begin { $x++ print(2); }"),
        "stdin:1:14-19: ERROR: syntax: expected ';'\n\
         begin { $x++ print(2); }\n             ~~~~~\n\
         HINT: statements are separated by ';'\n"
    );
}
