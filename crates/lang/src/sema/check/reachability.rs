//! Statements that can never run: those after `return`, `exit()`,
//! `break` or `continue` in the same block (or after an if/else whose
//! branches all end so). bpftrace warns about the first of them, once per
//! block; the code still compiles.

use crate::ast::{self, ExprKind, StmtKind};
use crate::diag::Diagnostic;

/// One warning per block that has unreachable statements, at the first.
pub(super) fn unreachable_statements(program: &ast::Program) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    for probe in &program.probes {
        block(&probe.body, &mut warnings);
    }
    warnings
}

fn block(b: &ast::Block, warnings: &mut Vec<Diagnostic>) {
    if let Some(at) = b.stmts.iter().position(ends) {
        if let Some(next) = b.stmts.get(at + 1) {
            warnings.push(Diagnostic::error(next.span, "Unreachable statement."));
        }
    }
    for stmt in &b.stmts {
        match &stmt.kind {
            StmtKind::If {
                then, otherwise, ..
            } => {
                block(then, warnings);
                if let Some(o) = otherwise {
                    block(o, warnings);
                }
            }
            StmtKind::Unroll { body, .. }
            | StmtKind::While { body, .. }
            | StmtKind::For { body, .. }
            | StmtKind::Block(body) => block(body, warnings),
            _ => {}
        }
    }
}

/// Whether control never goes past `stmt`.
fn ends(stmt: &ast::Stmt) -> bool {
    match &stmt.kind {
        StmtKind::Return(_) | StmtKind::Break | StmtKind::Continue => true,
        StmtKind::Expr(e) => {
            matches!(&e.kind, ExprKind::Call { name, args } if name == "exit" && args.len() <= 1)
        }
        StmtKind::If {
            then,
            otherwise: Some(otherwise),
            ..
        } => block_ends(then) && block_ends(otherwise),
        StmtKind::Block(b) => block_ends(b),
        _ => false,
    }
}

fn block_ends(b: &ast::Block) -> bool {
    b.stmts.iter().any(ends)
}
