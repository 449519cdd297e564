//! Property tests: whatever the input, `parse` returns (no panic, no hang),
//! every span it reports lies within the source on character boundaries,
//! and `render` lays the error out without panicking.

use proptest::prelude::*;
use sonde_lang::ast::{Block, Expr, ExprKind, ForIter, Program, StmtKind, TypeSpec};
use sonde_lang::{parse, render, visit, Span};

/// Valid scripts to mutate.
const SCRIPTS: &[&str] = &[
    "BEGIN { printf(\"hello\\n\"); exit(); }",
    "tracepoint:syscalls:sys_enter_openat /comm != \"bash\"/ { @[comm] = count(); }",
    "kprobe:f,\n kprobe:g { @x[pid, tid] += 2 * (arg0 - 1); $y = @x[pid, tid] ? 1 : 0; }",
    "i:s:1 { $i = 0; while ($i < 10) { $i++; if ($i == 5) { break } else if $i { continue } } }",
    "uprobe:/bin/bash:readline /pid == 1/ { @s = (struct task_struct *)curtask; @t = (1, \"a\").0; }",
    "#!/usr/bin/env bpftrace\n// c\nEND { unroll (3) { @a--; } clear(@a); return; }",
    "profile:hz:99 { @[kstack] = count(); @h = hist((nsecs - @start[tid]) / 1000); }",
    "t:a:b { $x = -~!*$p; $y = $x->f.g[2] << 3 | 0x1f & 0777 ^ 1_000 % 10ms; }",
    "uprobe:\"/a b\":f { printf(\"%s %d\\t\\x41\\101\", str(arg0), $1 + $#); }",
    "#define N 10\nconfig = { max_strlen = 32; stack_mode = raw }\nlet @m = lruhash(100);\nmacro f($a, b, @c) { $a += b; @c[1] = $a; $a }\nBEGIN { $x = 1; f($x, 2, @m); }",
    "BEGIN { for ($kv : @m) { print($kv.0); break; } for $i : (1 + 1)..$n { continue } }",
    "BEGIN { let $a: uint8 = { let $b = 1; $b }; _ = if $a { 1 } else { 2 }; return $a; }",
    "named=i:s:1 { $r = (a = 1, b = \"x\", c = (1,), d = ()); print($r.a); @x = $r[0] ?: 3; }",
];

/// Pieces of the language (and some junk) to build token soups from.
const FRAGMENTS: &[&str] = &[
    "BEGIN",
    "END",
    "kprobe:f",
    "uprobe:/bin/sh:x",
    "t:a:b",
    "i:s:1",
    ",",
    " ",
    "\n",
    "\t",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    ":",
    "?",
    ".",
    "->",
    "/",
    "//x\n",
    "/*",
    "*/",
    "+",
    "-",
    "*",
    "%",
    "&",
    "|",
    "^",
    "!",
    "~",
    "<",
    ">",
    "<=",
    ">=",
    "==",
    "!=",
    "<<",
    ">>",
    "&&",
    "||",
    "++",
    "--",
    "=",
    "+=",
    "<<=",
    "if",
    "else",
    "while",
    "unroll",
    "break",
    "continue",
    "return",
    "let",
    "for",
    "struct",
    "config",
    "#",
    "#!",
    "$",
    "$x",
    "$1",
    "$#",
    "$0",
    "@",
    "@m",
    "pid",
    "printf",
    "count()",
    "0",
    "1",
    "0x1f",
    "1e6",
    "10ms",
    "1_",
    "0b1",
    "077",
    "99999999999999999999",
    "\"",
    "\"s\"",
    "\"\\n\"",
    "\"\\777\"",
    "\"\\q\"",
    "\\",
    "'",
    "é",
    "\u{0}",
    "(uint8)",
    "(struct s *)",
    "(1, 2)",
    "()",
    "(1,)",
    "(a = 1)",
    "..",
    "for",
    "($k : @m)",
    "macro",
    "m($x, @y, 1)",
    "config = {",
    "let @a = hash(1);",
    "let $x: int8",
    "typeof",
    "_ =",
    "#define X 1\n",
    "#include <a.h>\n",
    "import \"x\";",
    "name=",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_text(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn token_soup(picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..60)) {
        let soup: String = picks.iter().map(|&i| FRAGMENTS[i]).collect();
        check(&soup);
        let spaced: Vec<&str> = picks.iter().map(|&i| FRAGMENTS[i]).collect();
        check(&spaced.join(" "));
    }

    #[test]
    fn mutated_scripts(
        script in 0..SCRIPTS.len(),
        edits in proptest::collection::vec((0..4u8, any::<usize>(), any::<usize>(), 0..FRAGMENTS.len()), 1..6),
    ) {
        let mut text = SCRIPTS[script].to_string();
        for (kind, a, b, fragment) in edits {
            let bounds: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect();
            let mut x = bounds[a % bounds.len()];
            let mut y = bounds[b % bounds.len()];
            if x > y {
                std::mem::swap(&mut x, &mut y);
            }
            match kind {
                0 => text.replace_range(x..y, ""),
                1 => text.insert_str(x, FRAGMENTS[fragment]),
                2 => {
                    let copy = text[x..y].to_string();
                    text.insert_str(y, &copy);
                }
                _ => text.replace_range(x..y, FRAGMENTS[fragment]),
            }
        }
        check(&text);
    }
}

#[test]
fn the_mutation_corpus_is_valid() {
    for script in SCRIPTS {
        assert!(parse(script).is_ok(), "{script}");
    }
}

fn check(src: &str) {
    match parse(src) {
        Ok(program) => {
            let mut spans = Vec::new();
            program_spans(&program, &mut spans);
            // The tree stays proportional to the text (plus what `?:` may
            // repeat): no input makes the parser build an outsized tree.
            assert!(
                spans.len() <= 3 * src.len() + 2 * 4096 + 8,
                "{} nodes",
                spans.len()
            );
            for span in spans {
                assert_valid(src, span);
            }
        }
        Err(diag) => {
            assert_valid(src, diag.span);
            let text = render(&diag, src, "stdin");
            assert!(text.starts_with("stdin:"), "{text}");
            assert!(text.contains(": ERROR: syntax: "), "{text}");
            assert!(text.ends_with('\n'), "{text}");
        }
    }
}

fn assert_valid(src: &str, span: Span) {
    assert!(
        span.start <= span.end && span.end <= src.len(),
        "{span:?} in {src:?}"
    );
    assert!(
        src.is_char_boundary(span.start) && src.is_char_boundary(span.end),
        "{span:?} splits a character in {src:?}"
    );
}

fn program_spans(p: &Program, out: &mut Vec<Span>) {
    out.extend(p.defines.iter().map(|d| d.span));
    out.extend(p.includes.iter().map(|i| i.span));
    if let Some(config) = &p.config {
        out.push(config.span);
        out.extend(config.items.iter().map(|i| i.span));
    }
    out.extend(p.imports.iter().map(|i| i.span));
    for decl in &p.map_decls {
        out.push(decl.span);
        out.push(decl.kind_span);
    }
    for m in &p.macros {
        out.push(m.span);
        out.extend(m.params.iter().map(|p| p.span));
        block_spans(&m.body, out);
    }
    for probe in &p.probes {
        out.push(probe.span);
        out.extend(probe.attach_points.iter().map(|a| a.span));
        if let Some(pred) = &probe.predicate {
            visit::walk_expr(pred, &mut |e| expr_spans(e, out));
        }
        block_spans(&probe.body, out);
    }
}

fn block_spans(b: &Block, out: &mut Vec<Span>) {
    out.push(b.span);
    for s in &b.stmts {
        out.push(s.span);
        match &s.kind {
            StmtKind::Let { var_span, ty, .. } => {
                out.push(*var_span);
                match ty {
                    Some(TypeSpec::Name(t)) => out.push(t.span),
                    Some(TypeSpec::Typeof { span, .. }) => out.push(*span),
                    None => {}
                }
            }
            StmtKind::For { var_span, iter, .. } => {
                out.push(*var_span);
                if let ForIter::Map { span, .. } = iter {
                    out.push(*span);
                }
            }
            StmtKind::Block(inner)
            | StmtKind::While { body: inner, .. }
            | StmtKind::Unroll { body: inner, .. } => block_spans(inner, out),
            StmtKind::If {
                then, otherwise, ..
            } => {
                block_spans(then, out);
                if let Some(o) = otherwise {
                    block_spans(o, out);
                }
            }
            _ => {}
        }
        if let StmtKind::For { body, .. } = &s.kind {
            block_spans(body, out);
        }
    }
    // Expressions, those inside nested blocks included.
    visit::walk_block(b, &mut |e| expr_spans(e, out));
}

/// The spans an expression node carries besides its own.
fn expr_spans(e: &Expr, out: &mut Vec<Span>) {
    out.push(e.span);
    match &e.kind {
        ExprKind::Cast { ty, .. } => out.push(ty.span),
        ExprKind::Sizeof(arg) | ExprKind::Offsetof { of: arg, .. } => {
            if let sonde_lang::ast::SizeofArg::Type(t) = &**arg {
                out.push(t.span);
            }
        }
        ExprKind::Record(fields) => out.extend(fields.iter().map(|f| f.name_span)),
        ExprKind::Block(b) => out.push(b.span),
        ExprKind::If {
            then, otherwise, ..
        } => {
            out.push(then.span);
            out.extend(otherwise.iter().map(|b| b.span));
        }
        _ => {}
    }
}
