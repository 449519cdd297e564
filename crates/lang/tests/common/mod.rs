//! Helpers shared by the parser tests: a compact one-line printer of the
//! syntax tree, so that a test can state the whole shape it expects, and
//! shortcuts for parsing and rendering errors.

#![allow(dead_code)]

use sonde_lang::ast::{Block, Expr, ExprKind, Probe, Program, Stmt, StmtKind, UnOp};
use sonde_lang::{parse, render};

/// The program printed compactly, probes separated by newlines. Every
/// operator application is parenthesised, so the printed text shows the
/// tree's shape exactly.
pub fn ast(src: &str) -> String {
    match parse(src) {
        Ok(program) => program_text(&program),
        Err(d) => panic!("unexpected error:\n{}", render(&d, src, "stdin")),
    }
}

/// The statements of the single probe in `BEGIN { body }`.
pub fn body(stmts: &str) -> String {
    let src = format!("BEGIN {{ {stmts} }}");
    let program =
        parse(&src).unwrap_or_else(|d| panic!("unexpected error:\n{}", render(&d, &src, "stdin")));
    assert_eq!(program.probes.len(), 1);
    let body = &program.probes[0].body;
    body.stmts
        .iter()
        .map(stmt_text)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The expression `e`, parsed as the value assigned in `BEGIN { $v = e }`.
pub fn expr(e: &str) -> String {
    let src = format!("BEGIN {{ $v = {e} }}");
    let program =
        parse(&src).unwrap_or_else(|d| panic!("unexpected error:\n{}", render(&d, &src, "stdin")));
    match &program.probes[0].body.stmts[..] {
        [Stmt {
            kind: StmtKind::Assign { value, .. },
            ..
        }] => expr_text(value),
        other => panic!("not a single assignment: {other:?}"),
    }
}

/// The value of the expression `e` as parsed from `BEGIN { $v = e }`.
pub fn expr_tree(e: &str) -> Expr {
    let src = format!("BEGIN {{ $v = {e} }}");
    let program = parse(&src).expect("parses");
    match program.probes[0].body.stmts[0].kind.clone() {
        StmtKind::Assign { value, .. } => value,
        other => panic!("not an assignment: {other:?}"),
    }
}

/// The rendered error for `src`, which must fail to parse.
pub fn error(src: &str) -> String {
    match parse(src) {
        Ok(program) => panic!("parsed unexpectedly: {}", program_text(&program)),
        Err(d) => render(&d, src, "stdin"),
    }
}

pub fn program_text(p: &Program) -> String {
    p.probes
        .iter()
        .map(probe_text)
        .collect::<Vec<_>>()
        .join("\n")
}

fn probe_text(p: &Probe) -> String {
    let points: Vec<&str> = p.attach_points.iter().map(|a| a.raw.as_str()).collect();
    let mut out = points.join(", ");
    if let Some(pred) = &p.predicate {
        out.push_str(&format!(" /{}/", expr_text(pred)));
    }
    out.push(' ');
    out.push_str(&block_text(&p.body));
    out
}

pub fn block_text(b: &Block) -> String {
    if b.stmts.is_empty() {
        return "{ }".into();
    }
    let stmts: Vec<String> = b.stmts.iter().map(stmt_text).collect();
    format!("{{ {} }}", stmts.join(" "))
}

pub fn stmt_text(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Expr(e) => format!("{};", expr_text(e)),
        StmtKind::Assign { target, op, value } => {
            let op = op.map_or(String::new(), |op| op.symbol().to_string());
            format!("{} {op}= {};", expr_text(target), expr_text(value))
        }
        StmtKind::If {
            cond,
            then,
            otherwise,
        } => {
            let mut out = format!("if {} {}", expr_text(cond), block_text(then));
            if let Some(b) = otherwise {
                out.push_str(&format!(" else {}", block_text(b)));
            }
            out
        }
        StmtKind::Unroll { count, body } => {
            format!("unroll {} {}", expr_text(count), block_text(body))
        }
        StmtKind::While { cond, body } => format!("while {} {}", expr_text(cond), block_text(body)),
        StmtKind::Break => "break;".into(),
        StmtKind::Continue => "continue;".into(),
        StmtKind::Return => "return;".into(),
        StmtKind::Block(b) => block_text(b),
    }
}

pub fn expr_text(e: &Expr) -> String {
    let list = |items: &[Expr]| items.iter().map(expr_text).collect::<Vec<_>>().join(", ");
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Str(bytes) => format!("\"{}\"", bytes.escape_ascii()),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Ident(name) => name.clone(),
        ExprKind::Positional(n) => format!("${n}"),
        ExprKind::PositionalCount => "$#".into(),
        ExprKind::Var(name) => format!("${name}"),
        ExprKind::Map { name, keys } if keys.is_empty() => format!("@{name}"),
        ExprKind::Map { name, keys } => format!("@{name}[{}]", list(keys)),
        ExprKind::Call { name, args } => format!("{name}({})", list(args)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", expr_text(lhs), op.symbol(), expr_text(rhs))
        }
        ExprKind::Unary { op, expr } => {
            let sym = match op {
                UnOp::Neg => "-",
                UnOp::Not => "!",
                UnOp::BitNot => "~",
                UnOp::Deref => "*",
                UnOp::AddrOf => "&",
            };
            format!("({sym}{})", expr_text(expr))
        }
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => format!(
            "({} ? {} : {})",
            expr_text(cond),
            expr_text(then),
            expr_text(otherwise)
        ),
        ExprKind::Field { expr, field, arrow } => {
            format!(
                "{}{}{field}",
                expr_text(expr),
                if *arrow { "->" } else { "." }
            )
        }
        ExprKind::Index { expr, index } => format!("{}[{}]", expr_text(expr), expr_text(index)),
        ExprKind::Tuple(items) => format!("(tuple {})", list(items)),
        ExprKind::Cast { ty, expr } => format!(
            "(cast {}{} {})",
            ty.name,
            "*".repeat(ty.pointer_depth as usize),
            expr_text(expr)
        ),
        ExprKind::IncDec {
            target,
            increment,
            prefix,
        } => {
            let op = if *increment { "++" } else { "--" };
            if *prefix {
                format!("({op}{})", expr_text(target))
            } else {
                format!("({}{op})", expr_text(target))
            }
        }
    }
}
