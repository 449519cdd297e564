//! Helpers shared by the parser tests: a compact one-line printer of the
//! syntax tree, so that a test can state the whole shape it expects, and
//! shortcuts for parsing and rendering errors.

#![allow(dead_code)]

use sonde_lang::ast::{
    Block, ConfigValue, Expr, ExprKind, ForIter, MacroParamKind, Probe, Program, Stmt, StmtKind,
    TypeSpec, UnOp,
};
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

/// The first line of the rendered error for `src`.
pub fn headline(src: &str) -> String {
    error(src).lines().next().unwrap_or_default().to_string()
}

pub fn program_text(p: &Program) -> String {
    let mut items: Vec<String> = Vec::new();
    items.extend(
        p.defines
            .iter()
            .map(|d| format!("#define {} {}", d.name, d.text)),
    );
    items.extend(p.includes.iter().map(|i| i.text.clone()));
    if let Some(config) = &p.config {
        let entries: Vec<String> = config
            .items
            .iter()
            .map(|i| {
                let value = match &i.value {
                    ConfigValue::Int(v) => v.to_string(),
                    ConfigValue::Bool(b) => b.to_string(),
                    ConfigValue::Str(s) => format!("{s:?}"),
                    ConfigValue::Ident(w) => w.clone(),
                };
                format!("{} = {value};", i.key)
            })
            .collect();
        items.push(format!("config {{ {} }}", entries.join(" ")));
    }
    items.extend(p.imports.iter().map(|i| format!("import {:?};", i.path)));
    items.extend(
        p.map_decls
            .iter()
            .map(|d| format!("let @{} = {}({});", d.name, d.kind, d.max_entries)),
    );
    items.extend(p.macros.iter().map(|m| {
        let params: Vec<String> = m
            .params
            .iter()
            .map(|p| match p.kind {
                MacroParamKind::Var => format!("${}", p.name),
                MacroParamKind::Map => format!("@{}", p.name),
                MacroParamKind::Expr => p.name.clone(),
            })
            .collect();
        format!(
            "macro {}({}) {}",
            m.name,
            params.join(", "),
            block_text(&m.body)
        )
    }));
    items.extend(p.probes.iter().map(probe_text));
    items.join("\n")
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
    let mut parts: Vec<String> = b.stmts.iter().map(stmt_text).collect();
    if let Some(value) = &b.expr {
        parts.push(format!("=> {}", expr_text(value)));
    }
    if parts.is_empty() {
        return "{ }".into();
    }
    format!("{{ {} }}", parts.join(" "))
}

fn type_text(t: &TypeSpec) -> String {
    match t {
        TypeSpec::Name(n) => format!("{}{}", n.name, "*".repeat(n.pointer_depth as usize)),
        TypeSpec::Typeof { expr, .. } => format!("typeof({})", expr_text(expr)),
    }
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
        StmtKind::Return(None) => "return;".into(),
        StmtKind::Return(Some(e)) => format!("return {};", expr_text(e)),
        StmtKind::Discard(e) => format!("_ = {};", expr_text(e)),
        StmtKind::Let { var, ty, value, .. } => {
            let mut out = format!("let ${var}");
            if let Some(t) = ty {
                out.push_str(&format!(": {}", type_text(t)));
            }
            if let Some(v) = value {
                out.push_str(&format!(" = {}", expr_text(v)));
            }
            out + ";"
        }
        StmtKind::For {
            var, iter, body, ..
        } => {
            let iter = match iter {
                ForIter::Map { name, .. } => format!("@{name}"),
                ForIter::Range { start, end } => {
                    format!("{}..{}", expr_text(start), expr_text(end))
                }
            };
            format!("for ${var} : {iter} {}", block_text(body))
        }
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
        ExprKind::Record(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{} = {}", f.name, expr_text(&f.value)))
                .collect();
            format!("(record {})", fields.join(", "))
        }
        ExprKind::Block(b) => format!("(block {})", block_text(b)),
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            let mut out = format!("(if {} {}", expr_text(cond), block_text(then));
            if let Some(b) = otherwise {
                out.push_str(&format!(" else {}", block_text(b)));
            }
            out + ")"
        }
        ExprKind::Cast { ty, expr } => format!("(cast {} {})", type_name_text(ty), expr_text(expr)),
        ExprKind::Sizeof(arg) => format!("sizeof({})", sizeof_arg_text(arg)),
        ExprKind::Offsetof { of, fields } => {
            format!("offsetof({}, {})", sizeof_arg_text(of), fields.join("."))
        }
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

fn type_name_text(ty: &sonde_lang::ast::TypeName) -> String {
    let array = match ty.array {
        Some(Some(n)) => format!("[{n}]"),
        Some(None) => "[]".into(),
        None => String::new(),
    };
    format!(
        "{}{}{array}",
        ty.name,
        "*".repeat(ty.pointer_depth as usize)
    )
}

fn sizeof_arg_text(arg: &sonde_lang::ast::SizeofArg) -> String {
    match arg {
        sonde_lang::ast::SizeofArg::Type(t) => type_name_text(t),
        sonde_lang::ast::SizeofArg::Expr(e) => expr_text(e),
    }
}
