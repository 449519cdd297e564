//! Variable scopes, as bpftrace 0.22 and later have them.
//!
//! Every block is a scope. A variable belongs to the block where it is
//! declared with `let` or, without `let`, first assigned; it is visible there
//! and in the blocks inside, from that point on. `let` may not shadow a
//! visible variable, nor may a `for` loop variable, which belongs to its
//! loop's body.
//!
//! This pass checks those rules and then gives every variable a name unique
//! within its probe: the first `$x` keeps its name, a later, unrelated `$x`
//! becomes `$x#2`, and so on. The type checker and code generator key
//! variables by name, so after this pass they need to know nothing about
//! scopes. [`display_name`] gives back the name as written.

use std::collections::HashMap;

use crate::ast::{Block, Expr, ExprKind, ForIter, Probe, SizeofArg, Stmt, StmtKind, TypeSpec};
use crate::diag::Diagnostic;

/// Which scope each variable belongs to, and how the scopes nest: scope 0
/// is the probe's own. Variables of scopes on separate branches of the
/// tree never live at the same time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeTree {
    /// The enclosing scope of each scope; `None` for scope 0.
    pub parents: Vec<Option<usize>>,
    /// The scope of each variable, by its unique name.
    pub var_scope: HashMap<String, usize>,
}

/// Checks and renames the variables of one probe.
pub fn resolve_probe(probe: &mut Probe) -> Result<ScopeTree, Diagnostic> {
    let mut r = Resolver::default();
    r.scopes.push(HashMap::new());
    r.tree.parents.push(None);
    r.open.push(0);
    if let Some(pred) = &mut probe.predicate {
        r.expr(pred)?;
    }
    r.block(&mut probe.body)?;
    Ok(r.tree)
}

/// A variable's name as the script wrote it (`$x#2` is `x`), for messages.
pub fn display_name(name: &str) -> &str {
    name.split('#').next().unwrap_or(name)
}

#[derive(Default)]
struct Resolver {
    /// Innermost last: the names written mapped to the unique names.
    scopes: Vec<HashMap<String, String>>,
    /// The ids in `tree` of the scopes in `scopes`.
    open: Vec<usize>,
    tree: ScopeTree,
    /// How many variables of each written name the probe has so far.
    seen: HashMap<String, u32>,
}

impl Resolver {
    fn lookup(&self, name: &str) -> Option<&String> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// A new variable in the innermost scope; returns its unique name.
    fn declare(&mut self, name: &str) -> String {
        let count = self.seen.entry(name.to_string()).or_insert(0);
        *count += 1;
        let unique = if *count == 1 {
            name.to_string()
        } else {
            format!("{name}#{count}")
        };
        self.scopes
            .last_mut()
            .expect("a scope is always open")
            .insert(name.to_string(), unique.clone());
        let scope = *self.open.last().expect("a scope is always open");
        self.tree.var_scope.insert(unique.clone(), scope);
        unique
    }

    fn scoped<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let parent = self.open.last().copied();
        self.tree.parents.push(parent);
        self.open.push(self.tree.parents.len() - 1);
        self.scopes.push(HashMap::new());
        let result = f(self);
        self.scopes.pop();
        self.open.pop();
        result
    }

    fn block(&mut self, b: &mut Block) -> Result<(), Diagnostic> {
        self.scoped(|r| {
            for stmt in &mut b.stmts {
                r.stmt(stmt)?;
            }
            match &mut b.expr {
                Some(value) => r.expr(value),
                None => Ok(()),
            }
        })
    }

    fn stmt(&mut self, s: &mut Stmt) -> Result<(), Diagnostic> {
        match &mut s.kind {
            StmtKind::Expr(e) | StmtKind::Discard(e) => self.expr(e),
            StmtKind::Return(value) => value.as_mut().map_or(Ok(()), |e| self.expr(e)),
            StmtKind::Assign { target, op, value } => {
                self.expr(value)?;
                match &mut target.kind {
                    ExprKind::Var(name) if op.is_none() => {
                        *name = match self.lookup(name) {
                            Some(unique) => unique.clone(),
                            None => self.declare(&name.clone()),
                        };
                        Ok(())
                    }
                    _ => self.expr(target),
                }
            }
            StmtKind::Let {
                var,
                var_span,
                ty,
                value,
            } => {
                if let Some(TypeSpec::Typeof { expr, .. }) = ty {
                    self.expr(expr)?;
                }
                if let Some(value) = value {
                    self.expr(value)?;
                }
                if self.lookup(var).is_some() {
                    return Err(Diagnostic::error(
                        *var_span,
                        format!(
                            "Variable ${} was already declared. Variable shadowing is not allowed.",
                            var
                        ),
                    ));
                }
                *var = self.declare(&var.clone());
                Ok(())
            }
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond)?;
                self.block(then)?;
                otherwise.as_mut().map_or(Ok(()), |b| self.block(b))
            }
            StmtKind::Unroll { count: e, body } | StmtKind::While { cond: e, body } => {
                self.expr(e)?;
                self.block(body)
            }
            StmtKind::For {
                var,
                var_span,
                iter,
                body,
            } => {
                if let ForIter::Range { start, end } = iter {
                    self.expr(start)?;
                    self.expr(end)?;
                }
                if self.lookup(var).is_some() {
                    return Err(Diagnostic::error(
                        *var_span,
                        format!("Loop declaration shadows existing variable: ${var}"),
                    ));
                }
                self.scoped(|r| {
                    *var = r.declare(&var.clone());
                    r.block(body)
                })
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::Break | StmtKind::Continue => Ok(()),
        }
    }

    fn expr(&mut self, e: &mut Expr) -> Result<(), Diagnostic> {
        match &mut e.kind {
            ExprKind::Var(name) => match self.lookup(name) {
                Some(unique) => {
                    *name = unique.clone();
                    Ok(())
                }
                None => Err(Diagnostic::error(
                    e.span,
                    format!("Undefined or undeclared variable: ${name}"),
                )),
            },
            ExprKind::Int(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Ident(_)
            | ExprKind::Positional(_)
            | ExprKind::PositionalCount => Ok(()),
            ExprKind::Map { keys: items, .. }
            | ExprKind::Call { args: items, .. }
            | ExprKind::Tuple(items) => items.iter_mut().try_for_each(|i| self.expr(i)),
            ExprKind::Record(fields) => fields.iter_mut().try_for_each(|f| self.expr(&mut f.value)),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs)?;
                self.expr(rhs)
            }
            ExprKind::Unary { expr, .. }
            | ExprKind::Field { expr, .. }
            | ExprKind::Cast { expr, .. }
            | ExprKind::IncDec { target: expr, .. } => self.expr(expr),
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond)?;
                self.expr(then)?;
                self.expr(otherwise)
            }
            ExprKind::Index { expr, index } => {
                self.expr(expr)?;
                self.expr(index)
            }
            ExprKind::Sizeof(arg) | ExprKind::Offsetof { of: arg, .. } => match &mut **arg {
                SizeofArg::Expr(e) => self.expr(e),
                SizeofArg::Type(_) => Ok(()),
            },
            ExprKind::Block(b) => self.block(b),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond)?;
                self.block(then)?;
                otherwise.as_mut().map_or(Ok(()), |b| self.block(b))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn resolved(src: &str) -> Result<Probe, String> {
        let mut program = parse(src).unwrap();
        let mut probe = program.probes.remove(0);
        resolve_probe(&mut probe).map_err(|d| d.message)?;
        Ok(probe)
    }

    #[test]
    fn the_scope_tree_says_which_variables_can_share_storage() {
        let mut program =
            parse("b { $a = 1; if 1 { $x = 1; } else { $y = 2; { $z = 3; } } }").unwrap();
        let tree = resolve_probe(&mut program.probes[0]).unwrap();
        // 0 probe, 1 body, 2 then, 3 else, 4 the block in else.
        assert_eq!(tree.parents, [None, Some(0), Some(1), Some(1), Some(3)]);
        assert_eq!(tree.var_scope["a"], 1);
        assert_eq!(tree.var_scope["x"], 2);
        assert_eq!(tree.var_scope["y"], 3);
        assert_eq!(tree.var_scope["z"], 4);
    }

    fn var_names(src: &str) -> Vec<String> {
        let probe = resolved(src).unwrap();
        let mut names = Vec::new();
        crate::visit::walk_block(&probe.body, &mut |e| {
            if let ExprKind::Var(n) = &e.kind {
                names.push(n.clone());
            }
        });
        names
    }

    #[test]
    fn variables_belong_to_the_block_that_first_assigns_them() {
        assert_eq!(
            var_names("b { if 1 { $x = 1; print($x); } if 1 { $x = 2; print($x); } }"),
            ["x", "x", "x#2", "x#2"]
        );
        assert_eq!(
            var_names("b { $x = 1; if 1 { $x = 2; print($x); } print($x); }"),
            ["x", "x", "x", "x"]
        );
        assert_eq!(
            var_names("b { if 1 { $x = 1; } let $x; print($x); }"),
            ["x", "x#2"]
        );
    }

    #[test]
    fn scope_errors() {
        assert_eq!(
            resolved("b { if 1 { $x = 1; } print($x); }").unwrap_err(),
            "Undefined or undeclared variable: $x"
        );
        assert_eq!(
            resolved("b { $x = 1; if 1 { let $x = 2; } }").unwrap_err(),
            "Variable $x was already declared. Variable shadowing is not allowed."
        );
        assert_eq!(
            resolved("b { $i = 1; for ($i : 0..2) { } }").unwrap_err(),
            "Loop declaration shadows existing variable: $i"
        );
        assert_eq!(
            resolved("b { $x += 1; }").unwrap_err(),
            "Undefined or undeclared variable: $x"
        );
    }

    #[test]
    fn names_for_messages_drop_the_suffix() {
        assert_eq!(display_name("x#2"), "x");
        assert_eq!(display_name("x"), "x");
    }
}
