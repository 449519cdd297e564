//! Checking statements, and the bookkeeping of variables and maps they
//! assign.

use std::collections::HashMap;

use super::expr::{texpr, Checked};
use super::unify::{unify, unify_value};
use super::{Checker, Instance, MapState, MapTable, Options, Pass};
use crate::ast::{self, BinOp, ExprKind, StmtKind};
use crate::diag::Diagnostic;
use crate::sema::scope::display_name;
use crate::sema::typed::{TExpr, TExprKind, TStmt, TStmtKind, TypedProbe};
use crate::sema::types::{MapValue, Type};
use crate::span::Span;

impl<'a> Checker<'a> {
    pub(super) fn new(
        inst: &'a Instance<'a>,
        opts: &'a Options,
        types: &'a crate::sema::ctypes::TypeTable<'a>,
        maps: &'a mut MapTable,
        pass: Pass,
        known_vars: &'a HashMap<String, Type>,
    ) -> Self {
        Checker {
            inst,
            opts,
            types,
            maps,
            pass,
            known_vars,
            vars: Vec::new(),
            loop_depth: 0,
            for_depth: 0,
            warnings: Vec::new(),
            counts_stack_frames: false,
            probe_names: &[],
        }
    }

    pub(super) fn with_probe_names(mut self, names: &'a [String]) -> Self {
        self.probe_names = names;
        self
    }

    /// The variables' unique names, by index.
    pub(super) fn var_names(&self) -> Vec<String> {
        self.vars.iter().map(|(n, _)| n.clone()).collect()
    }

    pub(super) fn learned_vars(&self) -> HashMap<String, Type> {
        self.vars.iter().cloned().collect()
    }

    pub(super) fn probe(&mut self) -> Checked<TypedProbe> {
        let probe = self.inst.probe;
        let predicate = match &probe.predicate {
            Some(p) => Some(self.condition(p)?),
            None => None,
        };
        let body = self.block(&probe.body)?;
        Ok(TypedProbe {
            kind: self.inst.kind,
            attach: self.inst.attach.clone(),
            block: 0,
            predicate,
            body,
            vars: self.vars.iter().map(|(_, t)| t.clone()).collect(),
            var_scopes: Vec::new(),
            scope_parents: Vec::new(),
            span: probe.span,
        })
    }

    /// A block used as a statement: its value, if any, is one more statement.
    pub(super) fn block(&mut self, block: &ast::Block) -> Checked<Vec<TStmt>> {
        let mut out = self.stmts(&block.stmts)?;
        if let Some(value) = &block.expr {
            match self.expr_stmt(value) {
                Err(_) if self.pass == Pass::Learn => {}
                result => out.push(TStmt {
                    kind: result?,
                    span: value.span,
                }),
            }
        }
        Ok(out)
    }

    pub(super) fn stmts(&mut self, stmts: &[ast::Stmt]) -> Checked<Vec<TStmt>> {
        let mut out = Vec::with_capacity(stmts.len());
        for stmt in stmts {
            match self.stmt(stmt, &mut out) {
                // Learning goes on past a bad statement so that the types
                // of everything after it are known; the second run reports it.
                Err(_) if self.pass == Pass::Learn => {}
                result => result?,
            }
        }
        Ok(out)
    }

    fn stmt(&mut self, stmt: &ast::Stmt, out: &mut Vec<TStmt>) -> Checked<()> {
        let span = stmt.span;
        let kind = match &stmt.kind {
            StmtKind::Expr(e) => self.expr_stmt(e)?,
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value, span)?,
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.tolerant(|c| c.condition(cond))?;
                let then = self.block(then)?;
                let otherwise = match otherwise {
                    Some(b) => self.block(b)?,
                    None => Vec::new(),
                };
                TStmtKind::If {
                    cond,
                    then,
                    otherwise,
                }
            }
            StmtKind::While { cond, body } => {
                let cond = self.tolerant(|c| c.condition(cond))?;
                self.loop_depth += 1;
                let body = self.block(body);
                self.loop_depth -= 1;
                TStmtKind::While { cond, body: body? }
            }
            StmtKind::Unroll { count, body } => {
                let count = self.unroll_count(count)?;
                TStmtKind::Unroll {
                    count,
                    body: self.block(body)?,
                }
            }
            StmtKind::Break | StmtKind::Continue if self.loop_depth == 0 => {
                let word = if matches!(stmt.kind, StmtKind::Break) {
                    "break"
                } else {
                    "continue"
                };
                return Err(Diagnostic::error(
                    span,
                    format!("{word} used outside of a loop"),
                ));
            }
            StmtKind::Break => TStmtKind::Break,
            StmtKind::Continue => TStmtKind::Continue,
            StmtKind::Return(value) => {
                // A probe's return value means nothing to any program type
                // Sonde attaches; the value is evaluated for its effects.
                if let Some(value) = value {
                    let kind = self.expr_stmt(value)?;
                    out.push(TStmt {
                        kind,
                        span: value.span,
                    });
                }
                TStmtKind::Return
            }
            StmtKind::Discard(value) => self.expr_stmt(value)?,
            StmtKind::For {
                var,
                var_span,
                iter,
                body,
            } => self.for_loop(var, *var_span, iter, body)?,
            StmtKind::Let {
                var,
                var_span,
                ty,
                value,
            } => self.let_stmt(var, *var_span, ty.as_ref(), value.as_ref(), span)?,
            StmtKind::Block(b) => {
                out.extend(self.block(b)?);
                return Ok(());
            }
        };
        out.push(TStmt { kind, span });
        Ok(())
    }

    /// During the first run a bad condition must not hide the blocks it
    /// guards (their assignments still teach types); it stands in as `0`.
    fn tolerant(&mut self, check: impl FnOnce(&mut Self) -> Checked<TExpr>) -> Checked<TExpr> {
        match check(self) {
            Err(_) if self.pass == Pass::Learn => {
                Ok(texpr(TExprKind::Int(0), Type::I64, Span::default()))
            }
            result => result,
        }
    }

    pub(super) fn expr_stmt(&mut self, e: &ast::Expr) -> Checked<TStmtKind> {
        match &e.kind {
            ExprKind::Block(block) => return Ok(TStmtKind::Block(self.block(block)?)),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.tolerant(|c| c.condition(cond))?;
                let then = self.block(then)?;
                let otherwise = match otherwise {
                    Some(b) => self.block(b)?,
                    None => Vec::new(),
                };
                return Ok(TStmtKind::If {
                    cond,
                    then,
                    otherwise,
                });
            }
            // `c ? printf(...) : exit()` as a statement: if/else (its
            // branches have no value to choose between).
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } if super::calls::is_valueless_call(then)
                || super::calls::is_valueless_call(otherwise) =>
            {
                let branch = |e: &ast::Expr| ast::Block {
                    stmts: vec![ast::Stmt {
                        kind: ast::StmtKind::Expr(e.clone()),
                        span: e.span,
                    }],
                    expr: None,
                    span: e.span,
                };
                let cond = self.tolerant(|c| c.condition(cond))?;
                let then = self.block(&branch(then))?;
                let otherwise = self.block(&branch(otherwise))?;
                return Ok(TStmtKind::If {
                    cond,
                    then,
                    otherwise,
                });
            }
            ExprKind::Call { name, args } => {
                if let Some(kind) = self.call_stmt(name, args, e.span)? {
                    return Ok(kind);
                }
                if super::calls::is_aggregation(name) {
                    return Err(Diagnostic::error(
                        e.span,
                        format!("{name}() must be assigned directly to a map"),
                    )
                    .with_help(format!("write @name = {name}(...)")));
                }
            }
            ExprKind::IncDec {
                target, increment, ..
            } => {
                let one = ast::Expr {
                    kind: ExprKind::Int(1),
                    span: e.span,
                };
                let op = if *increment { BinOp::Add } else { BinOp::Sub };
                return self.assign(target, Some(op), &one, e.span);
            }
            _ => {}
        }
        Ok(TStmtKind::Expr(self.expr(e)?))
    }

    fn assign(
        &mut self,
        target: &ast::Expr,
        op: Option<BinOp>,
        value: &ast::Expr,
        span: Span,
    ) -> Checked<TStmtKind> {
        if op.is_none() {
            // `@m = { ...; count() }`: the statements, then the aggregation.
            if let ExprKind::Block(block) = &value.kind {
                if ends_in_aggregation(block) {
                    let mut stmts = self.stmts(&block.stmts)?;
                    let last = block
                        .expr
                        .as_deref()
                        .expect("checked by ends_in_aggregation");
                    let kind = self.assign(target, None, last, span)?;
                    stmts.push(TStmt { kind, span });
                    return Ok(TStmtKind::Block(stmts));
                }
            }
            if let ExprKind::Call { name, args } = &value.kind {
                if let Some(agg) = self.aggregation(name, args, value.span)? {
                    return self.assign_aggregation(target, agg, span);
                }
            }
        }
        let value = match op {
            Some(op) => {
                let combined = ast::Expr {
                    kind: ExprKind::Binary {
                        op,
                        lhs: Box::new(target.clone()),
                        rhs: Box::new(value.clone()),
                    },
                    span,
                };
                self.value(&combined)?
            }
            None => self.value(value)?,
        };
        match &target.kind {
            ExprKind::Var(name) => {
                let var = self.assign_var(name, &value, span)?;
                Ok(TStmtKind::AssignVar { var, value })
            }
            ExprKind::Map { name, keys } => {
                let key = self.map_key(keys, target.span)?;
                let map = self.map_for_write(
                    name,
                    key.as_ref(),
                    keys.len() > 1,
                    MapValue::Plain(stored_type(&value.ty)),
                    target.span,
                )?;
                Ok(TStmtKind::AssignMap { map, key, value })
            }
            _ => Err(Diagnostic::error(
                target.span,
                "only maps (@name) and variables ($name) can be assigned to",
            )),
        }
    }

    fn assign_aggregation(
        &mut self,
        target: &ast::Expr,
        (func, arg, value): (crate::sema::typed::AggFunc, Option<TExpr>, MapValue),
        span: Span,
    ) -> Checked<TStmtKind> {
        let ExprKind::Map { name, keys } = &target.kind else {
            return Err(Diagnostic::error(
                span,
                "aggregation functions can only be assigned to maps",
            ));
        };
        let key = self.map_key(keys, target.span)?;
        let map = self.map_for_write(name, key.as_ref(), keys.len() > 1, value, target.span)?;
        let clock = match func {
            crate::sema::typed::AggFunc::TSeries(_) => Some(self.tseries_clock(span)?),
            _ => None,
        };
        Ok(TStmtKind::Aggregate {
            map,
            key,
            func,
            arg,
            clock,
        })
    }

    /// `for ($var : @map) { }` and `for ($var : start..end) { }`.
    fn for_loop(
        &mut self,
        var: &str,
        var_span: Span,
        iter: &ast::ForIter,
        body: &ast::Block,
    ) -> Checked<TStmtKind> {
        match iter {
            ast::ForIter::Range { start, end } => {
                let start = self.tolerant(|c| c.loop_bound(start))?;
                let end = self.tolerant(|c| c.loop_bound(end))?;
                let var = self.bind_loop_var(var, Type::I64);
                let body = self.loop_body(body)?;
                Ok(TStmtKind::ForRange {
                    var,
                    start,
                    end,
                    body,
                })
            }
            ast::ForIter::Map { name, span } => {
                let entry = self.map_entry_type(name, *span)?;
                let var = entry
                    .as_ref()
                    .map(|(_, ty)| self.bind_loop_var(var, ty.clone()));
                let body = self.loop_body(body)?;
                match (entry, var) {
                    (Some((map, _)), Some(var)) => Ok(TStmtKind::ForMap { var, map, body }),
                    // The map's type is not learnt yet; the second run has it.
                    _ => Ok(empty_expr(var_span)),
                }
            }
        }
    }

    fn loop_bound(&mut self, e: &ast::Expr) -> Checked<TExpr> {
        let bound = self.value(e)?;
        if !matches!(bound.ty, Type::Int { .. } | Type::Bool) {
            return Err(Diagnostic::error(
                e.span,
                format!("Loop range requires an integer, got '{}'", bound.ty),
            ));
        }
        Ok(bound)
    }

    fn loop_body(&mut self, body: &ast::Block) -> Checked<Vec<TStmt>> {
        self.loop_depth += 1;
        self.for_depth += 1;
        let body = self.block(body);
        self.loop_depth -= 1;
        self.for_depth -= 1;
        body
    }

    /// The loop variable, typed by what the loop gives it.
    fn bind_loop_var(&mut self, var: &str, ty: Type) -> usize {
        let ty = stored_type(&ty);
        if self.pass == Pass::Learn {
            if let Some(i) = self.vars.iter().position(|(n, _)| n == var) {
                if let Some(merged) = unify(&self.vars[i].1, &ty) {
                    self.vars[i].1 = merged;
                }
                return i;
            }
        }
        self.var_index(var, &ty)
    }

    /// The map a `for` walks and the type of its `(key, value)` entries;
    /// `None` in the first run while the map is not known yet.
    fn map_entry_type(&mut self, name: &str, span: Span) -> Checked<Option<(usize, Type)>> {
        let full = format!("@{name}");
        let Some(state) = self.maps.maps.get(&full) else {
            return match self.pass {
                Pass::Learn => Ok(None),
                Pass::Check => Err(undefined_map(&full, span)),
            };
        };
        let Some(value) = state.value.clone() else {
            return match self.pass {
                Pass::Learn => Ok(None),
                Pass::Check => Err(undefined_map(&full, span)),
            };
        };
        let Some(key) = state.key.clone() else {
            return Err(Diagnostic::error(
                span,
                format!("{full} has no keys: only maps with keys can be iterated over"),
            )
            .with_help("give the map a key, e.g. @m[0] = value"));
        };
        let value = match value {
            MapValue::Plain(ty) => ty,
            MapValue::Count => Type::U64,
            MapValue::Sum | MapValue::Min | MapValue::Max | MapValue::Avg => Type::I64,
            other => {
                return Err(Diagnostic::error(
                    span,
                    format!(
                        "iterating over a {} map is not supported yet",
                        other.describe()
                    ),
                ))
            }
        };
        let index = match self.pass {
            Pass::Learn => 0,
            Pass::Check => self.maps.indices[&full],
        };
        Ok(Some((index, Type::Tuple(vec![key, value]))))
    }

    /// `let $x [: type] [= value];`
    fn let_stmt(
        &mut self,
        var: &str,
        var_span: Span,
        ty: Option<&ast::TypeSpec>,
        value: Option<&ast::Expr>,
        span: Span,
    ) -> Checked<TStmtKind> {
        if let Some(ty) = ty {
            let declared = stored_type(&self.declared_type(ty)?);
            if self.pass == Pass::Learn {
                self.var_index(var, &declared);
            } else if let Some(known) = self.known_vars.get(var) {
                if unify(known, &declared).as_ref() != Some(known) {
                    return Err(Diagnostic::error(
                        var_span,
                        format!(
                            "Type mismatch for ${}: the variable is declared '{declared}' but is assigned '{known}'",
                            display_name(var)
                        ),
                    ));
                }
            }
        }
        if let Some(value) = value {
            let target = ast::Expr {
                kind: ExprKind::Var(var.to_string()),
                span: var_span,
            };
            // `let $x: uint8 = v` keeps what a uint8 can hold of v.
            if let Some(ast::TypeSpec::Name(name)) = ty {
                if name.pointer_depth == 0
                    && matches!(
                        super::cast::scalar_type(&name.name),
                        Some(Type::Int { .. } | Type::Bool)
                    )
                {
                    let cast = ast::Expr {
                        kind: ExprKind::Cast {
                            ty: name.clone(),
                            expr: Box::new(value.clone()),
                        },
                        span: value.span,
                    };
                    return self.assign(&target, None, &cast, span);
                }
            }
            return self.assign(&target, None, value, span);
        }
        // Without a value the variable is zero again, whatever its type;
        // a type nothing assigns is an integer.
        let ty = match self.pass {
            Pass::Learn => match self.var_type(var) {
                Some(ty) => ty,
                None => return Ok(empty_expr(span)),
            },
            Pass::Check => self.var_type(var).unwrap_or(Type::I64),
        };
        Ok(TStmtKind::ClearVar(self.var_index(var, &ty)))
    }

    /// The type a declaration names: `uint8`, `string`, `struct x *`,
    /// `typeof(expr)`.
    fn declared_type(&mut self, ty: &ast::TypeSpec) -> Checked<Type> {
        match ty {
            ast::TypeSpec::Typeof { expr, .. } => match self.bare_type_name(expr) {
                // `typeof(size_t)`: a type's name stands for the type.
                Some(ty) => Ok(ty),
                None => Ok(self.value(expr)?.ty),
            },
            ast::TypeSpec::Name(name) => {
                if name.name == "string" && name.pointer_depth == 0 {
                    return Ok(Type::Str {
                        size: self.opts.strlen,
                    });
                }
                if name.array == Some(None) {
                    return Err(Diagnostic::error(
                        name.span,
                        "an array in a declaration needs its length: [N]",
                    ));
                }
                self.type_of_name(name)
            }
        }
    }

    fn unroll_count(&mut self, count: &ast::Expr) -> Checked<u32> {
        let checked = self.expr(count)?;
        let TExprKind::Int(n) = checked.kind else {
            return Err(Diagnostic::error(count.span, "invalid unroll value")
                .with_help("unroll takes a constant integer, e.g. unroll(10)"));
        };
        match n {
            0 => Err(Diagnostic::error(count.span, "unroll minimum value is 1")),
            1..=100 => Ok(n as u32),
            _ => Err(Diagnostic::error(count.span, "unroll maximum value is 100")),
        }
    }

    // ---- variables ----

    pub(super) fn var_type(&self, name: &str) -> Option<Type> {
        match self.pass {
            Pass::Learn => self
                .vars
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.clone()),
            // A variable only `let` declares is learnt by no assignment;
            // it is known from its declaration on.
            Pass::Check => self.known_vars.get(name).cloned().or_else(|| {
                self.vars
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, t)| t.clone())
            }),
        }
    }

    pub(super) fn var_index(&mut self, name: &str, ty: &Type) -> usize {
        match self.vars.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.vars.push((name.to_string(), ty.clone()));
                self.vars.len() - 1
            }
        }
    }

    fn assign_var(&mut self, name: &str, value: &TExpr, span: Span) -> Checked<usize> {
        let new = stored_type(&value.ty);
        match self.pass {
            Pass::Learn => {
                if let Some(i) = self.vars.iter().position(|(n, _)| n == name) {
                    if let Some(merged) = unify(&self.vars[i].1, &new) {
                        self.vars[i].1 = merged;
                    }
                    Ok(i)
                } else {
                    Ok(self.var_index(name, &new))
                }
            }
            Pass::Check => {
                let known = self
                    .known_vars
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| new.clone());
                if unify(&known, &new).is_none() {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "Type mismatch for ${}: trying to assign value of type '{new}' when variable already has a type '{known}'",
                            display_name(name)
                        ),
                    ));
                }
                Ok(self.var_index(name, &known))
            }
        }
    }

    // ---- maps ----

    pub(super) fn map_for_write(
        &mut self,
        name: &str,
        key: Option<&TExpr>,
        multi_key: bool,
        value: MapValue,
        span: Span,
    ) -> Checked<usize> {
        let full = map_name(name);
        let key_ty = key.map(|k| stored_type(&k.ty));
        if self.pass == Pass::Learn {
            match self.maps.maps.get_mut(&full) {
                Some(state) => {
                    if let (Some(old), Some(new)) = (&state.key, &key_ty) {
                        if let Some(merged) = unify(old, new) {
                            state.key = Some(merged);
                        }
                    }
                    match &state.value {
                        Some(old) => {
                            if let Some(merged) = unify_value(old, &value) {
                                state.value = Some(merged);
                            }
                        }
                        None => state.value = Some(value),
                    }
                }
                None => {
                    self.maps.maps.insert(
                        full,
                        MapState {
                            key: key_ty,
                            multi_key,
                            value: Some(value),
                            first_span: span,
                        },
                    );
                }
            }
            return Ok(0);
        }
        let index = self.check_map_key(&full, key, span)?;
        let state = &self.maps.maps[&full];
        let known = state.value.clone().expect("written maps have a value type");
        if unify_value(&known, &value).is_none() {
            return Err(Diagnostic::error(
                span,
                format!(
                    "Type mismatch for {full}: trying to assign value of type '{}' when map already has a type '{}'",
                    value.describe(),
                    known.describe()
                ),
            ));
        }
        Ok(index)
    }

    /// A read of `@name[key]`: the map's index and value type, or `None`
    /// during the first run for a map not yet seen.
    pub(super) fn map_for_read(
        &mut self,
        name: &str,
        key: Option<&TExpr>,
        multi_key: bool,
        span: Span,
    ) -> Checked<Option<(usize, MapValue)>> {
        let full = map_name(name);
        if self.pass == Pass::Learn {
            if let Some(state) = self.maps.maps.get_mut(&full) {
                if let (Some(old), Some(new)) = (&state.key, key) {
                    if let Some(merged) = unify(old, &stored_type(&new.ty)) {
                        state.key = Some(merged);
                    }
                }
                // A value type learnt from an earlier assignment lets the
                // rest of this statement be typed too.
                return Ok(state.value.clone().map(|v| (0, v)));
            } else if let Some(k) = key {
                // Keep the key type of read-only maps so that a later write
                // widens it rather than replacing it.
                self.maps.maps.insert(
                    full,
                    MapState {
                        key: Some(stored_type(&k.ty)),
                        multi_key,
                        value: None,
                        first_span: span,
                    },
                );
            }
            return Ok(None);
        }
        let index = self.check_map_key(&full, key, span)?;
        let value = self.maps.maps[&full]
            .value
            .clone()
            .expect("checked by check_map_key");
        Ok(Some((index, value)))
    }

    /// Whether the map with index `map` is used without keys (`@x = ...`).
    pub(super) fn map_is_scalar(&self, map: usize) -> bool {
        self.maps
            .indices
            .iter()
            .find(|(_, &i)| i == map)
            .and_then(|(name, _)| self.maps.maps.get(name))
            .is_some_and(|state| state.key.is_none())
    }

    /// A map that must already exist, for `print`, `clear`, `zero`, `delete`.
    pub(super) fn existing_map(&mut self, name: &str, span: Span) -> Checked<usize> {
        let full = map_name(name);
        if self.pass == Pass::Learn {
            return Ok(0);
        }
        match self.maps.maps.get(&full) {
            Some(state) if state.value.is_some() => Ok(self.maps.indices[&full]),
            _ => Err(undefined_map(&full, span)),
        }
    }

    fn check_map_key(&mut self, full: &str, key: Option<&TExpr>, span: Span) -> Checked<usize> {
        let Some(state) = self.maps.maps.get(full).filter(|s| s.value.is_some()) else {
            return Err(undefined_map(full, span));
        };
        match (&state.key, key) {
            (None, None) => {}
            (Some(expected), Some(given)) => {
                if unify(expected, &stored_type(&given.ty)).is_none() {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "Argument mismatch for {full}: trying to access with arguments: '{}' when map expects arguments: '{expected}'",
                            given.ty
                        ),
                    ));
                }
            }
            (None, Some(_)) => {
                return Err(Diagnostic::error(
                    span,
                    format!("{full} used as a map with an explicit key (non-scalar map), previously used without an explicit key (scalar map)"),
                ))
            }
            (Some(_), None) => {
                return Err(Diagnostic::error(
                    span,
                    format!("{full} used as a map without an explicit key (scalar map), previously used with an explicit key (non-scalar map)"),
                ))
            }
        }
        let _ = state.first_span;
        Ok(self.maps.indices[full])
    }
}

/// `@` is the map named `@`; others keep their name after the `@`.
fn map_name(name: &str) -> String {
    format!("@{name}")
}

fn undefined_map(full: &str, span: Span) -> Diagnostic {
    Diagnostic::error(span, format!("Undefined map: {full}"))
        .with_help("assign the map somewhere in the script before reading, printing or clearing it")
}

/// Values are stored as 64-bit integers whatever their width, so stored
/// integer types only keep their signedness.
pub(super) fn stored_type(ty: &Type) -> Type {
    match ty {
        Type::Int { signed, .. } => Type::Int {
            bytes: 8,
            signed: *signed,
        },
        Type::Tuple(items) => Type::Tuple(items.iter().map(stored_type).collect()),
        Type::NamedTuple { names, fields } => Type::NamedTuple {
            names: names.clone(),
            fields: fields.iter().map(stored_type).collect(),
        },
        other => other.clone(),
    }
}

/// Whether a block's value is an aggregation call (`{ ...; count() }`),
/// directly or as the value of a block inside.
fn ends_in_aggregation(block: &ast::Block) -> bool {
    match block.expr.as_deref().map(|e| &e.kind) {
        Some(ExprKind::Call { name, .. }) => super::calls::is_aggregation(name),
        Some(ExprKind::Block(inner)) => ends_in_aggregation(inner),
        _ => false,
    }
}

/// A statement that does nothing, for calls checked only for errors.
pub(super) fn empty_expr(span: Span) -> TStmtKind {
    TStmtKind::Expr(texpr(TExprKind::Int(0), Type::I64, span))
}
