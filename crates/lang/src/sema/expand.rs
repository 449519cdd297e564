//! Macro expansion: bpftrace's hygienic `macro`s and C `#define`s, replaced
//! by their bodies before anything is type-checked.
//!
//! A call `m(args)` (or a bare `m` for a macro without parameters) becomes
//! the macro's body as a block expression. A `$v` parameter takes the
//! caller's variable, which the body may change; an `@m` parameter takes
//! the caller's map; a bare `x` parameter takes an expression, inserted
//! (and so evaluated) wherever `x` appears. Variables the body makes for
//! itself are renamed (`$y` in macro `inc` becomes `$y#inc`) so that they
//! never meet the caller's, and a body may only use the maps passed in.
//!
//! A `#define NAME text` is expanded where `NAME` is used as an operand, its
//! text read as an expression, as bpftrace does after running the C
//! preprocessor.

use std::collections::HashMap;

use crate::ast::{
    Block, Define, Expr, ExprKind, ForIter, Macro, MacroParamKind, Program, SizeofArg, Stmt,
    StmtKind, TypeSpec,
};
use crate::diag::Diagnostic;
use crate::span::Span;

/// The names of bpftrace's standard library. A call to one of them with
/// arguments that fit no user macro of the same name is left for the type
/// checker rather than reported as a bad macro call.
const STDLIB: &[&str] = &[
    "assert",
    "assert_str",
    "bswap",
    "buf",
    "cat",
    "cgroup",
    "cgroup_path",
    "cgroupid",
    "clear",
    "comm",
    "cpid",
    "cpu",
    "curtask",
    "default_str_length",
    "delete",
    "dw_ustack",
    "elapsed",
    "errorf",
    "exit",
    "fail",
    "find",
    "func",
    "getopt",
    "gid",
    "has_cpid",
    "has_key",
    "is_array",
    "is_err",
    "is_integer",
    "is_literal",
    "is_ptr",
    "is_str",
    "is_unsigned_integer",
    "jiffies",
    "join",
    "kaddr",
    "kfunc_allowed",
    "kfunc_exist",
    "kptr",
    "kstack",
    "ksym",
    "leader_comm",
    "leader_tid",
    "len",
    "macaddr",
    "memcmp",
    "ncpus",
    "nsecs",
    "ntop",
    "numaid",
    "offsetof",
    "override",
    "path",
    "pcomm",
    "percpu_kaddr",
    "pid",
    "ppid",
    "print",
    "printf",
    "probe",
    "probetype",
    "pton",
    "rand",
    "reg",
    "retval",
    "signal",
    "signal_name",
    "signal_thread",
    "sizeof",
    "skboutput",
    "socket_cookie",
    "static_assert",
    "str",
    "strcap",
    "strcontains",
    "strerror",
    "strftime",
    "strlen",
    "strncmp",
    "strstr",
    "syscall_name",
    "system",
    "tid",
    "time",
    "uaddr",
    "uid",
    "unwatch",
    "uptr",
    "usermode",
    "username",
    "ustack",
    "usym",
    "warnf",
    "write_user",
    "zero",
    "avg",
    "count",
    "hist",
    "lhist",
    "max",
    "min",
    "stats",
    "sum",
    "tseries",
];

/// How deeply expansions may nest (macros calling macros, defines using
/// defines); deeper is certainly a runaway.
const MAX_DEPTH: usize = 64;

/// Where the copies of macro bodies came from.
///
/// Each expansion's copy gets spans of its own, in a range far beyond any
/// source: `EXPANSION_BASE + i * EXPANSION_STRIDE` plus the offset into
/// the body. A diagnostic pointing into a copy is moved back to the
/// macro's text with [`Expansions::resolve`], which adds an `expanded
/// from` note for each call that led there, innermost first.
#[derive(Clone, Debug, Default)]
pub struct Expansions {
    /// Per expansion: where the body starts in the source, and the call.
    entries: Vec<(usize, Span)>,
}

const EXPANSION_BASE: usize = 1 << 40;
const EXPANSION_STRIDE: usize = 1 << 24;

impl Expansions {
    /// Registers an expansion of the body starting at `origin` for the
    /// call at `call`; returns the start of the copy's range.
    fn add(&mut self, origin: usize, call: Span) -> usize {
        self.entries.push((origin, call));
        EXPANSION_BASE + (self.entries.len() - 1) * EXPANSION_STRIDE
    }

    /// The expansion `span` lies in, and the span moved to the source.
    fn lookup(&self, span: Span) -> Option<(Span, Span)> {
        if span.start < EXPANSION_BASE {
            return None;
        }
        let i = (span.start - EXPANSION_BASE) / EXPANSION_STRIDE;
        let &(origin, call) = self.entries.get(i)?;
        let base = EXPANSION_BASE + i * EXPANSION_STRIDE;
        let end = span.end.max(span.start);
        Some((
            Span::new(origin + (span.start - base), origin + (end - base)),
            call,
        ))
    }

    /// `span` in the source, and the calls (in the source) that expanded
    /// it, innermost first.
    pub fn resolve_span(&self, span: Span) -> (Span, Vec<Span>) {
        let mut calls = Vec::new();
        let mut span = span;
        if let Some((moved, call)) = self.lookup(span) {
            span = moved;
            // A call inside another macro's body is itself in a copy.
            let (call, outer) = self.resolve_span(call);
            calls.push(call);
            calls.extend(outer);
        }
        (span, calls)
    }

    /// `d` pointing into the source, with an `expanded from` note per
    /// macro call that produced the code it points at.
    pub fn resolve(&self, mut d: Diagnostic) -> Diagnostic {
        if self.entries.is_empty() {
            return d;
        }
        let (span, calls) = self.resolve_span(d.span);
        d.span = span;
        let notes = std::mem::take(&mut d.notes);
        for call in calls {
            d.notes.push((call, "expanded from".to_string()));
        }
        for (span, message) in notes {
            d.notes.push((self.resolve_span(span).0, message));
        }
        d
    }
}

/// Expands every macro call and define in the program's probes.
pub fn expand_program(program: &mut Program) -> Result<Expansions, Diagnostic> {
    let registry = Registry::new(&program.macros)?;
    let defines: HashMap<&str, &Define> = program
        .defines
        .iter()
        .map(|d| (d.name.as_str(), d))
        .collect();
    let mut expander = Expander {
        registry: &registry,
        defines: &defines,
        stack: Vec::new(),
        expansions: Expansions::default(),
    };
    let top = Ctx::default();
    for probe in &mut program.probes {
        if let Some(pred) = &mut probe.predicate {
            expander
                .expr(pred, &top)
                .map_err(|d| expander.expansions.resolve(d))?;
        }
        expander
            .block(&mut probe.body, &top)
            .map_err(|d| expander.expansions.resolve(d))?;
    }
    Ok(expander.expansions)
}

/// The user's macros by name; several may share a name if their
/// parameters differ.
struct Registry<'a> {
    macros: HashMap<&'a str, Vec<&'a Macro>>,
}

impl<'a> Registry<'a> {
    fn new(macros: &'a [Macro]) -> Result<Registry<'a>, Diagnostic> {
        let mut by_name: HashMap<&str, Vec<&Macro>> = HashMap::new();
        for m in macros {
            for (i, p) in m.params.iter().enumerate() {
                let twice = m.params[..i]
                    .iter()
                    .any(|q| q.kind == p.kind && q.name == p.name);
                if twice {
                    let what = match p.kind {
                        MacroParamKind::Var => format!(
                            "Variable for macro argument has already been used: ${}",
                            p.name
                        ),
                        MacroParamKind::Map => {
                            format!("Map for macro argument has already been used: @{}", p.name)
                        }
                        MacroParamKind::Expr => {
                            format!("Ident for macro argument has already been used: {}", p.name)
                        }
                    };
                    return Err(Diagnostic::error(p.span, what));
                }
            }
            let same = by_name.entry(&m.name).or_default();
            if same.iter().any(|o| signature(o) == signature(m)) {
                return Err(Diagnostic::error(
                    m.span,
                    format!("Redefinition of macro: {}", m.name),
                ));
            }
            same.push(m);
        }
        Ok(Registry { macros: by_name })
    }
}

fn signature(m: &Macro) -> Vec<MacroParamKind> {
    m.params.iter().map(|p| p.kind).collect()
}

/// Whether `arg` can be passed for a parameter of kind `kind`.
fn fits(kind: MacroParamKind, arg: &Expr) -> bool {
    match kind {
        MacroParamKind::Var => matches!(arg.kind, ExprKind::Var(_)),
        MacroParamKind::Map => matches!(&arg.kind, ExprKind::Map { keys, .. } if keys.is_empty()),
        MacroParamKind::Expr => true,
    }
}

/// Where the code being expanded comes from: the script itself, or the
/// body of a macro with what its parameters were given.
#[derive(Default)]
struct Ctx {
    /// The macro whose body this is; `None` for the script's own code.
    macro_name: Option<String>,
    vars: HashMap<String, String>,
    maps: HashMap<String, String>,
    exprs: HashMap<String, Expr>,
}

impl Ctx {
    fn in_macro(&self) -> bool {
        self.macro_name.is_some()
    }

    /// The name a variable written in this code really has.
    fn var(&self, name: &str) -> String {
        match (&self.macro_name, self.vars.get(name)) {
            (_, Some(outer)) => outer.clone(),
            (Some(m), None) => format!("{name}#{m}"),
            (None, None) => name.to_string(),
        }
    }
}

struct Expander<'a> {
    registry: &'a Registry<'a>,
    defines: &'a HashMap<&'a str, &'a Define>,
    /// Macros and defines being expanded, outermost first.
    stack: Vec<String>,
    expansions: Expansions,
}

impl Expander<'_> {
    fn block(&mut self, b: &mut Block, ctx: &Ctx) -> Result<(), Diagnostic> {
        for stmt in &mut b.stmts {
            self.stmt(stmt, ctx)?;
        }
        match &mut b.expr {
            Some(value) => self.expr(value, ctx),
            None => Ok(()),
        }
    }

    fn stmt(&mut self, s: &mut Stmt, ctx: &Ctx) -> Result<(), Diagnostic> {
        match &mut s.kind {
            StmtKind::Expr(e) | StmtKind::Discard(e) => self.expr(e, ctx),
            StmtKind::Return(value) => value.as_mut().map_or(Ok(()), |e| self.expr(e, ctx)),
            StmtKind::Assign { target, value, .. } => {
                self.expr(value, ctx)?;
                self.expr(target, ctx)
            }
            StmtKind::Let {
                var,
                var_span,
                ty,
                value,
            } => {
                if let Some(TypeSpec::Typeof { expr, .. }) = ty {
                    self.expr(expr, ctx)?;
                }
                if let Some(value) = value {
                    self.expr(value, ctx)?;
                }
                if ctx.vars.contains_key(var.as_str()) {
                    return Err(Diagnostic::error(
                        *var_span,
                        format!("Variable declaration shadows macro arg ${var}"),
                    ));
                }
                *var = ctx.var(var);
                Ok(())
            }
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond, ctx)?;
                self.block(then, ctx)?;
                otherwise.as_mut().map_or(Ok(()), |b| self.block(b, ctx))
            }
            StmtKind::Unroll { count: e, body } | StmtKind::While { cond: e, body } => {
                self.expr(e, ctx)?;
                self.block(body, ctx)
            }
            StmtKind::For {
                var, iter, body, ..
            } => {
                match iter {
                    ForIter::Range { start, end } => {
                        self.expr(start, ctx)?;
                        self.expr(end, ctx)?;
                    }
                    ForIter::Map { name, span } => *name = map_name(ctx, name, *span)?,
                }
                *var = ctx.var(var);
                self.block(body, ctx)
            }
            StmtKind::Block(b) => self.block(b, ctx),
            StmtKind::Break | StmtKind::Continue => Ok(()),
        }
    }

    fn expr(&mut self, e: &mut Expr, ctx: &Ctx) -> Result<(), Diagnostic> {
        match &mut e.kind {
            ExprKind::Ident(name) => {
                if let Some(arg) = ctx.exprs.get(name.as_str()) {
                    // Already expanded where the caller wrote it.
                    *e = arg.clone();
                    return Ok(());
                }
                let name = name.clone();
                if let Some(expanded) = self.call(&name, &[], e.span)? {
                    *e = expanded;
                } else if let Some(define) = self.defines.get(name.as_str()) {
                    *e = self.define(define, e.span)?;
                }
                Ok(())
            }
            ExprKind::Call { name, args } => {
                for arg in args.iter_mut() {
                    self.expr(arg, ctx)?;
                }
                let name = name.clone();
                let args = std::mem::take(args);
                match self.call(&name, &args, e.span)? {
                    Some(expanded) => *e = expanded,
                    None => e.kind = ExprKind::Call { name, args },
                }
                Ok(())
            }
            ExprKind::Var(name) => {
                *name = ctx.var(name);
                Ok(())
            }
            ExprKind::Map { name, keys } => {
                for key in keys.iter_mut() {
                    self.expr(key, ctx)?;
                }
                *name = map_name(ctx, name, e.span)?;
                Ok(())
            }
            ExprKind::Int(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Positional(_)
            | ExprKind::PositionalCount => Ok(()),
            ExprKind::Tuple(items) => items.iter_mut().try_for_each(|i| self.expr(i, ctx)),
            ExprKind::Record(fields) => fields
                .iter_mut()
                .try_for_each(|f| self.expr(&mut f.value, ctx)),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs, ctx)?;
                self.expr(rhs, ctx)
            }
            ExprKind::Unary { expr, .. }
            | ExprKind::Field { expr, .. }
            | ExprKind::Cast { expr, .. }
            | ExprKind::IncDec { target: expr, .. } => self.expr(expr, ctx),
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond, ctx)?;
                self.expr(then, ctx)?;
                self.expr(otherwise, ctx)
            }
            ExprKind::Index { expr, index } => {
                self.expr(expr, ctx)?;
                self.expr(index, ctx)
            }
            // A bare name in sizeof/offsetof is a type, never a macro.
            ExprKind::Sizeof(arg) | ExprKind::Offsetof { of: arg, .. } => match &mut **arg {
                SizeofArg::Expr(inner) if !matches!(inner.kind, ExprKind::Ident(_)) => {
                    self.expr(inner, ctx)
                }
                _ => Ok(()),
            },
            ExprKind::Block(b) => self.block(b, ctx),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond, ctx)?;
                self.block(then, ctx)?;
                otherwise.as_mut().map_or(Ok(()), |b| self.block(b, ctx))
            }
        }
    }

    /// The expansion of `name(args)` if a user macro takes these arguments.
    fn call(&mut self, name: &str, args: &[Expr], span: Span) -> Result<Option<Expr>, Diagnostic> {
        let Some(candidates) = self.registry.macros.get(name) else {
            return Ok(None);
        };
        let exact = candidates.iter().find(|m| {
            m.params.len() == args.len() && m.params.iter().zip(args).all(|(p, a)| fits(p.kind, a))
        });
        let Some(&m) = exact else {
            if STDLIB.contains(&name) {
                return Ok(None);
            }
            return Err(mismatch(name, candidates, args, span));
        };
        if let Some(at) = self.stack.iter().position(|n| n == name) {
            let chain: Vec<&str> = self.stack[at..].iter().map(String::as_str).collect();
            return Err(Diagnostic::error(
                span,
                format!(
                    "Recursive macro call detected. Call chain: {} > {name}",
                    chain.join(" > ")
                ),
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(Diagnostic::error(span, "macro expansion nests too deeply"));
        }
        let mut ctx = Ctx {
            macro_name: Some(name.to_string()),
            ..Ctx::default()
        };
        for (param, arg) in m.params.iter().zip(args) {
            match (&param.kind, &arg.kind) {
                (MacroParamKind::Var, ExprKind::Var(outer)) => {
                    ctx.vars.insert(param.name.clone(), outer.clone());
                }
                (MacroParamKind::Map, ExprKind::Map { name: outer, .. }) => {
                    ctx.maps.insert(param.name.clone(), outer.clone());
                }
                _ => {
                    ctx.exprs.insert(param.name.clone(), arg.clone());
                }
            }
        }
        let mut body = m.body.clone();
        // The copy's spans get a range of their own (see Expansions).
        let origin = m.body.span.start;
        let base = self.expansions.add(origin, span);
        crate::visit::block_spans_mut(&mut body, &mut |s| {
            *s = Span::new(base + (s.start - origin), base + (s.end - origin));
        });
        self.stack.push(name.to_string());
        let result = self.block(&mut body, &ctx);
        self.stack.pop();
        result?;
        body.span = span;
        Ok(Some(match body {
            // A body that is only a value is that value.
            Block {
                stmts,
                expr: Some(value),
                ..
            } if stmts.is_empty() => *value,
            body => Expr {
                kind: ExprKind::Block(Box::new(body)),
                span,
            },
        }))
    }

    /// The define's text as an expression, itself expanded.
    fn define(&mut self, define: &Define, at: Span) -> Result<Expr, Diagnostic> {
        if self.stack.contains(&define.name) {
            return Err(Diagnostic::error(
                at,
                format!("Macro recursion: {}", define.name),
            ));
        }
        let mut value = crate::parser::parse_expression(&define.text).map_err(|_| {
            Diagnostic::error(
                at,
                format!("unable to expand macro as an expression: {}", define.text),
            )
        })?;
        // The text is in the script: point into it, not at offset 0.
        relocate(&mut value, define.text_start);
        self.stack.push(define.name.clone());
        let result = self.expr(&mut value, &Ctx::default());
        self.stack.pop();
        result?;
        Ok(value)
    }
}

/// The map a map written in this code stands for.
fn map_name(ctx: &Ctx, name: &str, span: Span) -> Result<String, Diagnostic> {
    if !ctx.in_macro() {
        return Ok(name.to_string());
    }
    ctx.maps.get(name).cloned().ok_or_else(|| {
        Diagnostic::error(
            span,
            format!(
                "Unhygienic access to map: @{name}. Maps must be passed into the macro as arguments."
            ),
        )
    })
}

fn mismatch(name: &str, candidates: &[&Macro], args: &[Expr], span: Span) -> Diagnostic {
    let closest = candidates
        .iter()
        .min_by_key(|m| {
            let wrong = m
                .params
                .iter()
                .zip(args)
                .filter(|(p, a)| !fits(p.kind, a))
                .count();
            1024 * m.params.len().abs_diff(args.len()) + wrong
        })
        .expect("a name in the registry has a macro");
    let diag = Diagnostic::error(
        span,
        format!("Call to {name}() has arguments that do not match any definition."),
    );
    if closest.params.len() != args.len() {
        return diag.with_help(format!(
            "The closest definition of {name}() has a different number of arguments. Expected: {} but got {}",
            closest.params.len(),
            args.len()
        ));
    }
    for (p, a) in closest.params.iter().zip(args) {
        if fits(p.kind, a) {
            continue;
        }
        let got = match a.kind {
            ExprKind::Var(_) => "a variable",
            ExprKind::Map { .. } => "a map",
            _ => "an expression",
        };
        let (want, sigil) = match p.kind {
            MacroParamKind::Var => ("a variable", "$"),
            _ => ("a map", "@"),
        };
        return Diagnostic::error(
            a.span,
            format!(
                "Mismatched arg. {name}() expects {want} for arg {sigil}{} but got {got}.",
                p.name
            ),
        );
    }
    diag
}

/// Moves every span of an expression parsed on its own by `offset`.
fn relocate(e: &mut Expr, offset: usize) {
    let shift = |s: &mut Span| *s = Span::new(s.start + offset, s.end + offset);
    crate::visit::walk_expr_mut(e, &mut |e| shift(&mut e.span));
}
