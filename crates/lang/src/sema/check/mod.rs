//! The type checker: turns the syntax tree into a [`TypedProgram`].
//!
//! It runs twice over the program. The first run only learns the type of
//! every map and variable from all the places they are assigned (a map may
//! be read in `END` before the probe that fills it appears in the text); the
//! second run checks every use against those types and builds the typed tree.

mod access;
mod actions;
mod calls;
mod cast;
mod convert;
mod expr;
mod funcs;
mod getopt;
mod kernel_args;
mod reachability;
mod stmt;
mod symbols;
mod unify;

pub(crate) use cast::scalar_type;

use std::collections::{BTreeMap, HashMap};

use super::availability::Availability;
use super::ctypes::TypeTable;
use super::env::ProbeEnv;
use super::expand::Expansions;
use super::probes::{self, Attach, ExpandedAttach};
use super::tracepoint_format::{parse_format, TracepointField};
use super::typed::{MapDecl, MapInfo, ProbeKind, TypedProgram};
use super::types::{MapValue, StackMode, Type};
use crate::ast;
use crate::config::{ConfigError, MissingProbes, Settings, Unstable};
use crate::diag::Diagnostic;
use crate::span::Span;

/// What the command line adds to a script.
#[derive(Clone, Debug)]
pub struct Options {
    /// `$1`, `$2`, ... as given after the script.
    pub positional: Vec<String>,
    /// Buffer size of strings read with `str()`, NUL included.
    pub strlen: u32,
    /// Whether `-c` gives the script a child, so that `cpid` means something.
    pub has_child: bool,
    /// `-p PID`: the process whose files user-space probes name.
    pub pid: Option<u32>,
    /// How stacks print when the script does not say (`BPFTRACE_STACK_MODE`;
    /// a `stack_mode` config item overrides it).
    pub stack_mode: Option<StackMode>,
    /// `--unsafe`: allow what may harm the traced system (uprobes on
    /// functions whose size is unknown).
    pub unsafe_ops: bool,
    /// The environment's `BPFTRACE_*` variables: settings that win over the
    /// script's config block.
    pub config_env: Vec<(String, String)>,
    /// What to do with attach points that match nothing (from the
    /// settings; the config block may change it).
    pub missing_probes: MissingProbes,
    /// The script's named parameters (`-- --name=value`), without their
    /// `--`: what `getopt()` reads.
    pub named_params: Vec<String>,
    /// Whether `tseries()` may be used (from the settings).
    pub unstable_tseries: Unstable,
    /// The most programs a script may make (config `max_bpf_progs`):
    /// fentry and fexit make one per function.
    pub max_bpf_progs: u64,
    /// `--probe-filter`: only attach points whose expanded name it accepts
    /// are kept (BEGIN, END and signal probes always are). Applied before
    /// the kernel is asked whether it can serve them, so that a filter
    /// leaving out what this kernel lacks lets the rest run.
    pub probe_filter: Option<ProbeFilter>,
}

/// A predicate on expanded probe names; the command line decides what it
/// matches (a regular expression), the checker only asks it.
#[derive(Clone)]
pub struct ProbeFilter(pub std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl std::fmt::Debug for ProbeFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProbeFilter")
    }
}

impl ProbeFilter {
    fn keeps(&self, attach: &Attach, name: &str) -> bool {
        matches!(attach, Attach::Begin | Attach::End | Attach::Signal { .. }) || (self.0)(name)
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            positional: Vec::new(),
            strlen: 1024,
            has_child: false,
            pid: None,
            stack_mode: None,
            unsafe_ops: false,
            config_env: Vec::new(),
            missing_probes: MissingProbes::Error,
            named_params: Vec::new(),
            unstable_tseries: Unstable::Warn,
            max_bpf_progs: 1024,
            probe_filter: None,
        }
    }
}

/// Check `program` and resolve its probes against the kernel in `env`.
pub fn analyse(
    program: &ast::Program,
    env: &dyn ProbeEnv,
    opts: &Options,
) -> Result<TypedProgram, Diagnostic> {
    let (program, scopes, expansions) = prepare(program)?;
    match check_program(&program, &scopes, env, opts) {
        Ok(mut typed) => {
            typed.warnings = std::mem::take(&mut typed.warnings)
                .into_iter()
                .map(|w| expansions.resolve(w))
                .collect();
            typed.expansions = expansions;
            Ok(typed)
        }
        Err(d) => Err(expansions.resolve(d)),
    }
}

/// [`analyse`] after macro expansion and scoping.
fn check_program(
    program: &ast::Program,
    scopes: &[super::scope::ScopeTree],
    env: &dyn ProbeEnv,
    opts: &Options,
) -> Result<TypedProgram, Diagnostic> {
    let (opts, settings) = &apply_config(program, opts)?;
    let mut probe_names = Vec::new();
    let types = TypeTable::new(&program.c_definitions, env)?;
    // Attach points left out under `missing_probes = warn` or `ignore`.
    let mut skipped = Vec::new();
    let instances = instantiate(program, env, opts, &mut probe_names, &mut skipped)?;
    let mut warnings = match opts.missing_probes {
        MissingProbes::Warn => skipped,
        _ => Vec::new(),
    };
    let mut user_files: Vec<String> = Vec::new();
    for inst in &instances {
        for (attach, _) in &inst.attach {
            if let Attach::Uprobe { path, .. } | Attach::Usdt { path, .. } = attach {
                if !user_files.contains(path) {
                    user_files.push(path.clone());
                }
            }
        }
    }
    types.set_user_files(user_files);

    let mut maps = MapTable::default();
    let mut var_types: Vec<HashMap<String, Type>> = vec![HashMap::new(); instances.len()];
    // First run: learn types; its errors are found again by the second run.
    for (i, inst) in instances.iter().enumerate() {
        let mut checker = Checker::new(inst, opts, &types, &mut maps, Pass::Learn, &var_types[i])
            .with_probe_names(&probe_names);
        let _ = checker.probe();
        var_types[i] = checker.learned_vars();
    }
    maps.freeze();
    let mut probes = Vec::with_capacity(instances.len());
    let mut counts_stack_frames = false;
    for (i, inst) in instances.iter().enumerate() {
        let mut checker = Checker::new(inst, opts, &types, &mut maps, Pass::Check, &var_types[i])
            .with_probe_names(&probe_names);
        let mut probe = checker.probe()?;
        counts_stack_frames |= checker.counts_stack_frames;
        for w in std::mem::take(&mut checker.warnings) {
            // Each instance of a wildcard probe would say it again.
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        let at = program
            .probes
            .iter()
            .position(|p| std::ptr::eq(p, inst.probe))
            .expect("instances come from the program's probes");
        probe.block = at as u32;
        let tree = &scopes[at];
        // Variables the checker made itself live in the probe's scope.
        probe.var_scopes = checker
            .var_names()
            .iter()
            .map(|n| tree.var_scope.get(n).copied().unwrap_or(0))
            .collect();
        probe.scope_parents = tree.parents.clone();
        probes.push(probe);
    }
    warnings.extend(reachability::unreachable_statements(program));
    getopt::check_named_params(&opts.named_params, &maps.getopts)?;
    let decls = map_declarations(program, &maps, &mut warnings)?;
    if settings.unstable_tseries == Unstable::Warn
        && maps
            .maps
            .iter()
            .any(|(_, m)| matches!(m.value, Some(MapValue::TSeries(_))))
    {
        // Placed nowhere, as bpftrace says it.
        warnings.push(Diagnostic::error(
            Span::new(0, 0),
            "Script is using an unstable feature: tseries. To prevent this warning you \
             must explicitly enable it in the config e.g. unstable_tseries=enable",
        ));
    }
    Ok(TypedProgram {
        probes,
        maps: maps.into_infos(&decls),
        probe_names,
        show_debug_info: settings.show_debug_info,
        counts_stack_frames,
        settings: settings.clone(),
        warnings,
        expansions: Default::default(),
    })
}

/// The script's settings (its config block, then the `BPFTRACE_*`
/// variables of `opts.config_env` over it), and the options they change
/// for the checker: `max_strlen`, `stack_mode`.
fn apply_config(program: &ast::Program, opts: &Options) -> Result<(Options, Settings), Diagnostic> {
    let settings =
        Settings::resolve(program.config.as_ref(), &opts.config_env).map_err(|e| match e {
            ConfigError::Script(d) => d,
            ConfigError::Env(message) => crate::config::env_diagnostic(message),
        })?;
    let mut opts = opts.clone();
    if let Some(strlen) = settings.max_strlen {
        opts.strlen = u32::try_from(strlen).unwrap_or(u32::MAX);
    }
    if settings.stack_mode.is_some() {
        opts.stack_mode = settings.stack_mode;
    }
    opts.missing_probes = settings.missing_probes;
    opts.unstable_tseries = settings.unstable_tseries;
    opts.max_bpf_progs = settings.max_bpf_progs;
    Ok((opts, settings))
}

/// The program as the checker wants it: macros and defines expanded, every
/// variable named uniquely by its scope.
fn prepare(
    program: &ast::Program,
) -> Result<(ast::Program, Vec<super::scope::ScopeTree>, Expansions), Diagnostic> {
    let mut program = program.clone();
    let expansions = super::expand::expand_program(&mut program)?;
    let scopes = program
        .probes
        .iter_mut()
        .map(super::scope::resolve_probe)
        .collect::<Result<_, _>>()
        .map_err(|d| expansions.resolve(d))?;
    Ok((program, scopes, expansions))
}

/// One probe body to check, with the attach points that share its code.
struct Instance<'a> {
    probe: &'a ast::Probe,
    kind: ProbeKind,
    attach: Vec<(Attach, u32)>,
    /// The record layout when the body reads `args` of one tracepoint.
    fields: Option<Vec<TracepointField>>,
    /// Whether the program is in the syscalls category, whose pointers are user addresses.
    user_pointers: bool,
    /// How `argN` reads the arguments of a USDT probe site.
    usdt_args: Option<Vec<super::env::UsdtArg>>,
}

fn instantiate<'a>(
    program: &'a ast::Program,
    env: &dyn ProbeEnv,
    opts: &Options,
    probe_names: &mut Vec<String>,
    skipped: &mut Vec<Diagnostic>,
) -> Result<Vec<Instance<'a>>, Diagnostic> {
    let mut instances = Vec::new();
    // Every attach point is expanded before the kernel is asked whether it
    // can serve them: a name that matches nothing is reported first, as
    // bpftrace does.
    let mut to_check: Vec<(Attach, String, crate::span::Span)> = Vec::new();
    let mut lenient = Availability::default();
    // fentry and fexit programs so far: one per function.
    let mut tracing_programs = 0u64;
    for probe in &program.probes {
        let mut groups: Vec<(ProbeKind, Vec<(Attach, u32)>)> = Vec::new();
        let mut filtered_out = false;
        for point in &probe.attach_points {
            let point = substitute_positionals(point, &opts.positional);
            let expanded = match probes::expand(&point, env, opts) {
                Ok(expanded) => expanded,
                Err(d) if opts.missing_probes != MissingProbes::Error => {
                    skipped.push(skipping(d));
                    continue;
                }
                Err(d) => return Err(d),
            };
            tracing_programs += expanded
                .iter()
                .filter(|e| matches!(e.attach, Attach::Fentry { .. }))
                .count() as u64;
            if tracing_programs > opts.max_bpf_progs {
                return Err(Diagnostic::error(
                    point.span,
                    format!(
                        "Your program is trying to generate more than {tracing_programs} BPF programs, which exceeds the current limit of {}",
                        opts.max_bpf_progs
                    ),
                )
                .with_help(
                    "You can increase the limit through the BPFTRACE_MAX_BPF_PROGS environment variable.",
                ));
            }
            for ExpandedAttach { attach, name } in expanded {
                if let Some(filter) = &opts.probe_filter {
                    if !filter.keeps(&attach, &name) {
                        filtered_out = true;
                        continue;
                    }
                }
                // A wildcard's error names the attach point as written,
                // not whichever of its matches came first.
                let shown = if probes::has_wildcard(&point.raw) {
                    &point.raw
                } else {
                    &name
                };
                if opts.missing_probes == MissingProbes::Error {
                    to_check.push((attach.clone(), shown.clone(), point.span));
                } else if let Err(d) = lenient.check(&attach, shown, point.span, env) {
                    // Under `missing_probes = warn/ignore` an attach point the
                    // kernel cannot serve is left out here, not reported.
                    skipped.push(skipping(d));
                    continue;
                }
                let kind = kind_of(&attach);
                let index = name_index(probe_names, name);
                match groups.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, list)) => list.push((attach, index)),
                    None => groups.push((kind, vec![(attach, index)])),
                }
            }
        }
        if groups.is_empty() && filtered_out {
            continue;
        }
        if groups.is_empty() && opts.missing_probes != MissingProbes::Error {
            skipped.push(Diagnostic::error(
                probe.span,
                "Probe has no valid attach points. It is being removed which may cause issues with program behavior.",
            ));
            continue;
        }
        let uses_args = mentions_args(probe);
        for (kind, attach) in groups {
            if kind == ProbeKind::Tracepoint && uses_args {
                for (point, index) in attach {
                    let Attach::Tracepoint { category, name } = &point else {
                        unreachable!("tracepoint group holds tracepoints")
                    };
                    let format = env.tracepoint_format(category, name).ok_or_else(|| {
                        Diagnostic::error(
                            probe.span,
                            format!("cannot read the format of tracepoint {category}:{name}"),
                        )
                    })?;
                    let user_pointers = category == "syscalls";
                    instances.push(Instance {
                        probe,
                        kind,
                        attach: vec![(point.clone(), index)],
                        fields: Some(parse_format(&format)),
                        user_pointers,
                        usdt_args: None,
                    });
                }
            } else if (matches!(kind, ProbeKind::Uprobe { .. }) && uses_args)
                || (kind.has_kernel_function_args()
                    && (uses_args || uses_typed_retval(kind, probe)))
                || (has_address(&attach) && mentions(probe, "func"))
            {
                // Each function has its own parameters (and fexit its own
                // return type, found after them).
                for point in attach {
                    instances.push(Instance {
                        probe,
                        kind,
                        attach: vec![point],
                        fields: None,
                        user_pointers: true,
                        usdt_args: None,
                    });
                }
            } else if kind == ProbeKind::Usdt {
                // Sites whose arguments live in different places need
                // different code; sites that agree share one program.
                let mut by_args: Vec<(Vec<super::env::UsdtArg>, AttachList)> = Vec::new();
                for (point, index) in attach {
                    let Attach::Usdt { args, .. } = &point else {
                        unreachable!("usdt group holds usdt sites")
                    };
                    let args = args.clone();
                    match by_args.iter_mut().find(|(a, _)| *a == args) {
                        Some((_, list)) => list.push((point, index)),
                        None => by_args.push((args, vec![(point, index)])),
                    }
                }
                for (args, attach) in by_args {
                    instances.push(Instance {
                        probe,
                        kind,
                        attach,
                        fields: None,
                        user_pointers: true,
                        usdt_args: Some(args),
                    });
                }
            } else {
                instances.push(Instance {
                    probe,
                    kind,
                    attach,
                    fields: None,
                    user_pointers: kind.is_user(),
                    usdt_args: None,
                });
            }
        }
    }
    let mut availability = Availability::default();
    for (attach, name, span) in &to_check {
        availability.check(attach, name, *span, env)?;
    }
    Ok(instances)
}

/// An attach point's error as the warning that it is left out.
fn skipping(mut d: Diagnostic) -> Diagnostic {
    d.message.push_str(" Skipping.");
    d
}

fn kind_of(attach: &Attach) -> ProbeKind {
    match attach {
        Attach::Begin => ProbeKind::Begin,
        Attach::End => ProbeKind::End,
        Attach::Tracepoint { .. } => ProbeKind::Tracepoint,
        Attach::RawTracepoint { .. } => ProbeKind::RawTracepoint,
        Attach::Interval { .. }
        | Attach::Profile { .. }
        | Attach::Software { .. }
        | Attach::Hardware { .. }
        | Attach::Watchpoint { .. } => ProbeKind::PerfEvent,
        Attach::Uprobe { ret, .. } => ProbeKind::Uprobe { ret: *ret },
        Attach::Usdt { .. } => ProbeKind::Usdt,
        Attach::Signal { .. } => ProbeKind::Signal,
        Attach::Bench { .. } => ProbeKind::Bench,
        Attach::Kprobe { ret, .. } => ProbeKind::Kprobe { ret: *ret },
        Attach::Fentry { ret: false, .. } => ProbeKind::Fentry,
        Attach::Fentry { ret: true, .. } => ProbeKind::Fexit,
        Attach::Iter { .. } => ProbeKind::Iter,
    }
}

fn name_index(names: &mut Vec<String>, name: String) -> u32 {
    match names.iter().position(|n| *n == name) {
        Some(i) => i as u32,
        None => {
            names.push(name);
            (names.len() - 1) as u32
        }
    }
}

/// `$1` inside an attach point is replaced by its text, as bpftrace does.
fn substitute_positionals(point: &ast::AttachPoint, positional: &[String]) -> ast::AttachPoint {
    if !point.raw.contains('$') {
        return point.clone();
    }
    let mut out = String::new();
    let mut chars = point.raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut digits = String::new();
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                digits.push(d);
                chars.next();
            }
            let n: usize = digits.parse().unwrap_or(0);
            if let Some(value) = n.checked_sub(1).and_then(|i| positional.get(i)) {
                out.push_str(value);
            }
        } else {
            out.push(c);
        }
    }
    ast::AttachPoint {
        raw: out,
        span: point.span,
    }
}

/// Whether the probe's text reads `args` anywhere (which makes the body's
/// code depend on each tracepoint's record layout).
fn mentions_args(probe: &ast::Probe) -> bool {
    mentions(probe, "args")
}

/// Whether `retval` of `kind` is typed per function (fexit's is).
fn uses_typed_retval(kind: ProbeKind, probe: &ast::Probe) -> bool {
    kind == ProbeKind::Fexit && mentions(probe, "retval")
}

/// Whether a kprobe in `attach` is on a bare address: its `func` is the
/// symbol there, not a name known per probe.
fn has_address(attach: &[(Attach, u32)]) -> bool {
    attach
        .iter()
        .any(|(a, _)| matches!(a, Attach::Kprobe { addr: Some(_), .. }))
}

fn mentions(probe: &ast::Probe, ident: &str) -> bool {
    let mut found = false;
    let mut check = |e: &ast::Expr| {
        let name = match &e.kind {
            ast::ExprKind::Ident(name) | ast::ExprKind::Call { name, .. } => name.as_str(),
            _ => return,
        };
        found |= name.strip_prefix("__builtin_").unwrap_or(name) == ident;
    };
    if let Some(pred) = &probe.predicate {
        crate::visit::walk_expr(pred, &mut check);
    }
    crate::visit::walk_block(&probe.body, &mut check);
    found
}

/// Attach points with their indices in the probe names.
type AttachList = Vec<(Attach, u32)>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    Learn,
    Check,
}

struct MapState {
    key: Option<Type>,
    multi_key: bool,
    value: Option<MapValue>,
    /// Where the map is first used, for messages.
    first_span: Span,
}

/// The maps `let @name = kind(n);` declares, checked against how the
/// script uses them: maps of aggregations are per-CPU (`percpuhash`,
/// `percpulruhash`), maps of plain values are not (`hash`, `lruhash`).
fn map_declarations(
    program: &ast::Program,
    maps: &MapTable,
    warnings: &mut Vec<Diagnostic>,
) -> Result<HashMap<String, MapDecl>, Diagnostic> {
    const KINDS: &[(&str, bool, bool)] = &[
        // name, per-CPU, LRU
        ("hash", false, false),
        ("lruhash", false, true),
        ("percpuhash", true, false),
        ("percpulruhash", true, true),
    ];
    let mut decls = HashMap::new();
    for decl in &program.map_decls {
        let name = format!("@{}", decl.name);
        let Some(&(_, percpu, lru)) = KINDS.iter().find(|(k, _, _)| *k == decl.kind) else {
            return Err(Diagnostic::error(
                decl.kind_span,
                format!("Invalid bpf map type: {}", decl.kind),
            )
            .with_help("Valid map types: hash, lruhash, percpuhash, percpulruhash"));
        };
        if decls.contains_key(&name) {
            return Err(Diagnostic::error(
                decl.span,
                format!("{name} is already declared"),
            ));
        }
        let max_entries = u32::try_from(decl.max_entries)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| {
                Diagnostic::error(
                    decl.span,
                    format!("{name}: max entries must be between 1 and {}", u32::MAX),
                )
            })?;
        match maps.maps.get(&name).and_then(|m| m.value.as_ref()) {
            None => {
                warnings.push(Diagnostic::error(decl.span, format!("Unused map: {name}")));
            }
            Some(value) => {
                let used_percpu = !matches!(value, MapValue::Plain(_));
                if used_percpu != percpu {
                    let used = KINDS
                        .iter()
                        .find(|(_, p, l)| *p == used_percpu && !*l)
                        .map_or("hash", |k| k.0);
                    return Err(Diagnostic::error(
                        decl.span,
                        format!(
                            "Incompatible map types. Type from declaration: {}. Type from value/key type: {used}",
                            decl.kind
                        ),
                    ));
                }
            }
        }
        decls.insert(name, MapDecl { lru, max_entries });
    }
    Ok(decls)
}

/// The maps of the whole program, by name.
#[derive(Default)]
struct MapTable {
    maps: BTreeMap<String, MapState>,
    frozen: bool,
    indices: HashMap<String, usize>,
    /// Named parameters the script reads with `getopt()`, with their
    /// descriptions, in the order first read (kept here because, like the
    /// maps, they belong to the whole program).
    getopts: Vec<(String, String)>,
}

impl MapTable {
    /// After the first run the set of maps is fixed and each gets its index
    /// (in name order, which is also the order they print in).
    fn freeze(&mut self) {
        self.frozen = true;
        self.indices = self
            .maps
            .keys()
            .enumerate()
            .map(|(i, name)| (name.clone(), i))
            .collect();
    }

    fn into_infos(self, decls: &HashMap<String, MapDecl>) -> Vec<MapInfo> {
        self.maps
            .into_iter()
            .map(|(name, state)| MapInfo {
                decl: decls.get(&name).copied(),
                name,
                key: state.key,
                value: state.value.unwrap_or(MapValue::Plain(Type::I64)),
                multi_key: state.multi_key,
            })
            .collect()
    }
}

/// Checks one probe instance.
struct Checker<'a> {
    inst: &'a Instance<'a>,
    opts: &'a Options,
    types: &'a TypeTable<'a>,
    maps: &'a mut MapTable,
    pass: Pass,
    /// Variable types learnt in the first run.
    known_vars: &'a HashMap<String, Type>,
    vars: Vec<(String, Type)>,
    loop_depth: u32,
    /// How many `for` loops the code being checked is inside.
    for_depth: u32,
    /// What the script should hear about; kept from the second run.
    warnings: Vec<Diagnostic>,
    /// Whether `len()` of a stack appears: stacks then carry their depth.
    counts_stack_frames: bool,
    /// Every attach point's name, by probe index: `probe` as a string.
    probe_names: &'a [String],
}
