//! Walking the syntax tree: every expression of a block or expression, in
//! source order, nested ones included. Passes that only need to find
//! something (a use of `args`, the variables a loop body touches) use this
//! instead of matching every node kind themselves.

use crate::ast::{Block, Expr, ExprKind, ForIter, Stmt, StmtKind, TypeSpec};

/// Calls `f` on `e` and on every expression inside it.
pub fn walk_expr(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Ident(_)
        | ExprKind::Positional(_)
        | ExprKind::PositionalCount
        | ExprKind::Var(_) => {}
        ExprKind::Map { keys: items, .. }
        | ExprKind::Call { args: items, .. }
        | ExprKind::Tuple(items) => items.iter().for_each(|i| walk_expr(i, f)),
        ExprKind::Record(fields) => fields.iter().for_each(|r| walk_expr(&r.value, f)),
        ExprKind::Binary { lhs, rhs, .. } => {
            walk_expr(lhs, f);
            walk_expr(rhs, f);
        }
        ExprKind::Unary { expr, .. }
        | ExprKind::Field { expr, .. }
        | ExprKind::Cast { expr, .. }
        | ExprKind::IncDec { target: expr, .. } => walk_expr(expr, f),
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            walk_expr(cond, f);
            walk_expr(then, f);
            walk_expr(otherwise, f);
        }
        ExprKind::Index { expr, index } => {
            walk_expr(expr, f);
            walk_expr(index, f);
        }
        ExprKind::Sizeof(arg) | ExprKind::Offsetof { of: arg, .. } => {
            if let crate::ast::SizeofArg::Expr(e) = &**arg {
                walk_expr(e, f);
            }
        }
        ExprKind::Block(block) => walk_block(block, f),
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            walk_expr(cond, f);
            walk_block(then, f);
            if let Some(b) = otherwise {
                walk_block(b, f);
            }
        }
    }
}

/// Calls `f` on every expression of the block's statements and value.
pub fn walk_block(b: &Block, f: &mut dyn FnMut(&Expr)) {
    for stmt in &b.stmts {
        walk_stmt(stmt, f);
    }
    if let Some(value) = &b.expr {
        walk_expr(value, f);
    }
}

pub fn walk_stmt(s: &Stmt, f: &mut dyn FnMut(&Expr)) {
    match &s.kind {
        StmtKind::Expr(e) | StmtKind::Discard(e) => walk_expr(e, f),
        StmtKind::Return(value) => {
            if let Some(e) = value {
                walk_expr(e, f);
            }
        }
        StmtKind::Assign { target, value, .. } => {
            walk_expr(target, f);
            walk_expr(value, f);
        }
        StmtKind::Let { ty, value, .. } => {
            if let Some(TypeSpec::Typeof { expr, .. }) = ty {
                walk_expr(expr, f);
            }
            if let Some(e) = value {
                walk_expr(e, f);
            }
        }
        StmtKind::If {
            cond,
            then,
            otherwise,
        } => {
            walk_expr(cond, f);
            walk_block(then, f);
            if let Some(b) = otherwise {
                walk_block(b, f);
            }
        }
        StmtKind::Unroll { count: e, body } | StmtKind::While { cond: e, body } => {
            walk_expr(e, f);
            walk_block(body, f);
        }
        StmtKind::For { iter, body, .. } => {
            if let ForIter::Range { start, end } = iter {
                walk_expr(start, f);
                walk_expr(end, f);
            }
            walk_block(body, f);
        }
        StmtKind::Block(b) => walk_block(b, f),
        StmtKind::Break | StmtKind::Continue => {}
    }
}

/// Calls `f` on `e` and every expression inside it (statements of nested
/// blocks included), allowing changes in place. `f` sees a node before
/// its children.
pub fn walk_expr_mut(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    f(e);
    match &mut e.kind {
        ExprKind::Int(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Ident(_)
        | ExprKind::Positional(_)
        | ExprKind::PositionalCount
        | ExprKind::Var(_) => {}
        ExprKind::Map { keys: items, .. }
        | ExprKind::Call { args: items, .. }
        | ExprKind::Tuple(items) => items.iter_mut().for_each(|i| walk_expr_mut(i, f)),
        ExprKind::Record(fields) => fields
            .iter_mut()
            .for_each(|r| walk_expr_mut(&mut r.value, f)),
        ExprKind::Binary { lhs, rhs, .. } => {
            walk_expr_mut(lhs, f);
            walk_expr_mut(rhs, f);
        }
        ExprKind::Unary { expr, .. }
        | ExprKind::Field { expr, .. }
        | ExprKind::Cast { expr, .. }
        | ExprKind::IncDec { target: expr, .. } => walk_expr_mut(expr, f),
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            walk_expr_mut(cond, f);
            walk_expr_mut(then, f);
            walk_expr_mut(otherwise, f);
        }
        ExprKind::Index { expr, index } => {
            walk_expr_mut(expr, f);
            walk_expr_mut(index, f);
        }
        ExprKind::Sizeof(arg) | ExprKind::Offsetof { of: arg, .. } => {
            if let crate::ast::SizeofArg::Expr(e) = &mut **arg {
                walk_expr_mut(e, f);
            }
        }
        ExprKind::Block(block) => walk_block_mut(block, f),
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            walk_expr_mut(cond, f);
            walk_block_mut(then, f);
            if let Some(b) = otherwise {
                walk_block_mut(b, f);
            }
        }
    }
}

/// [`walk_expr_mut`] over every expression of a block.
pub fn walk_block_mut(b: &mut Block, f: &mut dyn FnMut(&mut Expr)) {
    for s in &mut b.stmts {
        match &mut s.kind {
            StmtKind::Expr(e) | StmtKind::Discard(e) => walk_expr_mut(e, f),
            StmtKind::Return(value) => {
                if let Some(e) = value {
                    walk_expr_mut(e, f);
                }
            }
            StmtKind::Assign { target, value, .. } => {
                walk_expr_mut(target, f);
                walk_expr_mut(value, f);
            }
            StmtKind::Let { ty, value, .. } => {
                if let Some(TypeSpec::Typeof { expr, .. }) = ty {
                    walk_expr_mut(expr, f);
                }
                if let Some(e) = value {
                    walk_expr_mut(e, f);
                }
            }
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                walk_expr_mut(cond, f);
                walk_block_mut(then, f);
                if let Some(b) = otherwise {
                    walk_block_mut(b, f);
                }
            }
            StmtKind::Unroll { count: e, body } | StmtKind::While { cond: e, body } => {
                walk_expr_mut(e, f);
                walk_block_mut(body, f);
            }
            StmtKind::For { iter, body, .. } => {
                if let ForIter::Range { start, end } = iter {
                    walk_expr_mut(start, f);
                    walk_expr_mut(end, f);
                }
                walk_block_mut(body, f);
            }
            StmtKind::Block(inner) => walk_block_mut(inner, f),
            StmtKind::Break | StmtKind::Continue => {}
        }
    }
    if let Some(value) = &mut b.expr {
        walk_expr_mut(value, f);
    }
}

/// Calls `f` on every span a block holds: its own, its statements', their
/// expressions', names' and types'.
pub fn block_spans_mut(b: &mut Block, f: &mut dyn FnMut(&mut crate::span::Span)) {
    f(&mut b.span);
    for s in &mut b.stmts {
        stmt_spans_mut(s, f);
    }
    if let Some(value) = &mut b.expr {
        expr_spans_mut(value, f);
    }
}

fn stmt_spans_mut(s: &mut Stmt, f: &mut dyn FnMut(&mut crate::span::Span)) {
    f(&mut s.span);
    match &mut s.kind {
        StmtKind::Expr(e) | StmtKind::Discard(e) => expr_spans_mut(e, f),
        StmtKind::Return(value) => {
            if let Some(e) = value {
                expr_spans_mut(e, f);
            }
        }
        StmtKind::Assign { target, value, .. } => {
            expr_spans_mut(target, f);
            expr_spans_mut(value, f);
        }
        StmtKind::Let {
            var_span,
            ty,
            value,
            ..
        } => {
            f(var_span);
            match ty {
                Some(TypeSpec::Name(name)) => f(&mut name.span),
                Some(TypeSpec::Typeof { expr, span }) => {
                    f(span);
                    expr_spans_mut(expr, f);
                }
                None => {}
            }
            if let Some(e) = value {
                expr_spans_mut(e, f);
            }
        }
        StmtKind::If {
            cond,
            then,
            otherwise,
        } => {
            expr_spans_mut(cond, f);
            block_spans_mut(then, f);
            if let Some(b) = otherwise {
                block_spans_mut(b, f);
            }
        }
        StmtKind::Unroll { count: e, body } | StmtKind::While { cond: e, body } => {
            expr_spans_mut(e, f);
            block_spans_mut(body, f);
        }
        StmtKind::For {
            var_span,
            iter,
            body,
            ..
        } => {
            f(var_span);
            match iter {
                ForIter::Map { span, .. } => f(span),
                ForIter::Range { start, end } => {
                    expr_spans_mut(start, f);
                    expr_spans_mut(end, f);
                }
            }
            block_spans_mut(body, f);
        }
        StmtKind::Block(b) => block_spans_mut(b, f),
        StmtKind::Break | StmtKind::Continue => {}
    }
}

/// Calls `f` on every span an expression holds, nested ones included.
pub fn expr_spans_mut(e: &mut Expr, f: &mut dyn FnMut(&mut crate::span::Span)) {
    f(&mut e.span);
    match &mut e.kind {
        ExprKind::Int(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Ident(_)
        | ExprKind::Positional(_)
        | ExprKind::PositionalCount
        | ExprKind::Var(_) => {}
        ExprKind::Map { keys: items, .. }
        | ExprKind::Call { args: items, .. }
        | ExprKind::Tuple(items) => items.iter_mut().for_each(|i| expr_spans_mut(i, f)),
        ExprKind::Record(fields) => {
            for field in fields {
                f(&mut field.name_span);
                expr_spans_mut(&mut field.value, f);
            }
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            expr_spans_mut(lhs, f);
            expr_spans_mut(rhs, f);
        }
        ExprKind::Unary { expr, .. }
        | ExprKind::Field { expr, .. }
        | ExprKind::IncDec { target: expr, .. } => expr_spans_mut(expr, f),
        ExprKind::Cast { ty, expr } => {
            f(&mut ty.span);
            expr_spans_mut(expr, f);
        }
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            expr_spans_mut(cond, f);
            expr_spans_mut(then, f);
            expr_spans_mut(otherwise, f);
        }
        ExprKind::Index { expr, index } => {
            expr_spans_mut(expr, f);
            expr_spans_mut(index, f);
        }
        ExprKind::Sizeof(arg) | ExprKind::Offsetof { of: arg, .. } => match &mut **arg {
            crate::ast::SizeofArg::Expr(inner) => expr_spans_mut(inner, f),
            crate::ast::SizeofArg::Type(ty) => f(&mut ty.span),
        },
        ExprKind::Block(block) => block_spans_mut(block, f),
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            expr_spans_mut(cond, f);
            block_spans_mut(then, f);
            if let Some(b) = otherwise {
                block_spans_mut(b, f);
            }
        }
    }
}
