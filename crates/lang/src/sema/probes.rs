//! Attach points: splitting the text of an attach point into a provider and
//! its parts, and expanding wildcards against the kernel's event list.

use super::env::{ProbeEnv, UsdtArg};
use super::{kernel_funcs, perf_events};
use crate::ast;
use crate::diag::Diagnostic;

/// Where one expanded probe attaches.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Attach {
    Begin,
    End,
    Tracepoint {
        category: String,
        name: String,
    },
    RawTracepoint {
        name: String,
    },
    /// A timer on one CPU.
    Interval {
        period_ns: u64,
    },
    /// A timer on every CPU.
    Profile {
        sample: Sample,
    },
    /// A uprobe (`ret` false) or uretprobe on `offset` of the file at `path`.
    Uprobe {
        path: String,
        offset: u64,
        ret: bool,
        /// The function, for the `func` builtin.
        func: String,
    },
    /// One site of a USDT probe: a uprobe that also counts the semaphore
    /// at `semaphore_offset` (0: none) and reads `args` as its arguments.
    Usdt {
        path: String,
        offset: u64,
        semaphore_offset: u64,
        args: Vec<UsdtArg>,
    },
    /// A software perf event (`PERF_TYPE_SOFTWARE`, `config`) on every
    /// CPU, firing once every `period` events.
    Software {
        config: u64,
        period: u64,
    },
    /// A hardware perf event (`PERF_TYPE_HARDWARE`, `config`) on every CPU.
    Hardware {
        config: u64,
        period: u64,
    },
    /// A hardware breakpoint on `len` bytes at `addr`; `access` holds the
    /// `HW_BREAKPOINT_R`/`_W`/`_X` bits.
    Watchpoint {
        addr: u64,
        len: u8,
        access: u8,
    },
    /// The tracer itself receiving signal number `signal`.
    Signal {
        signal: i32,
    },
    /// A benchmark, run many times with `BPF_PROG_TEST_RUN` under
    /// `--mode bench` and never otherwise.
    Bench {
        name: String,
    },
    /// A BPF iterator over the kernel objects `target` names (`task`,
    /// `task_file`, `task_vma`), or pinned at `pin` instead of run.
    Iter {
        target: String,
        pin: Option<String>,
    },
    /// A kprobe (kretprobe when `ret`) on `function` + `offset`, or at the
    /// absolute `addr`. `module` is set when the attach point named one.
    Kprobe {
        module: Option<String>,
        function: String,
        offset: u64,
        addr: Option<u64>,
        ret: bool,
    },
    /// fentry (fexit when `ret`) on `function` of `module`'s BTF.
    Fentry {
        module: String,
        function: String,
        ret: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sample {
    Frequency(u64),
    PeriodNs(u64),
}

/// One attach point after expansion, with the name the `probe` builtin gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpandedAttach {
    pub attach: Attach,
    pub name: String,
}

/// Expand one attach point as written into the concrete places it names.
pub fn expand(
    point: &ast::AttachPoint,
    env: &dyn ProbeEnv,
    opts: &super::Options,
) -> Result<Vec<ExpandedAttach>, Diagnostic> {
    // `name=provider:...`: the probe is called `name` (what `probe` says).
    let provider = point.raw.split(':').next().unwrap_or("");
    if let Some(at) = provider.find('=').filter(|&at| at + 1 < provider.len()) {
        let inner = ast::AttachPoint {
            raw: point.raw[at + 1..].to_string(),
            span: point.span,
        };
        let name = &point.raw[..at];
        let mut expanded = expand_unnamed(&inner, env, opts)?;
        for e in &mut expanded {
            e.name = name.to_string();
        }
        return Ok(expanded);
    }
    expand_unnamed(point, env, opts)
}

fn expand_unnamed(
    point: &ast::AttachPoint,
    env: &dyn ProbeEnv,
    opts: &super::Options,
) -> Result<Vec<ExpandedAttach>, Diagnostic> {
    let pid = opts.pid;
    let raw = point.raw.as_str();
    let err = |msg: String| Diagnostic::error(point.span, msg);
    let parts = split_parts(raw);
    let provider = parts[0].as_str();
    match provider {
        "BEGIN" | "begin" if parts.len() == 1 => Ok(vec![one(Attach::Begin, "begin")]),
        "END" | "end" if parts.len() == 1 => Ok(vec![one(Attach::End, "end")]),
        "tracepoint" | "t" => expand_tracepoint(&parts, env).map_err(err),
        "rawtracepoint" | "rt" => expand_raw_tracepoint(&parts, env).map_err(err),
        "interval" | "i" => {
            let period_ns = timer_period(&parts, "interval").map_err(err)?;
            let name = format!("interval:{}", parts[1..].join(":"));
            Ok(vec![one_named(Attach::Interval { period_ns }, name)])
        }
        "profile" | "p" => {
            let sample = profile_sample(&parts).map_err(err)?;
            let name = format!("profile:{}", parts[1..].join(":"));
            Ok(vec![one_named(Attach::Profile { sample }, name)])
        }
        "kprobe" | "k" => kernel_funcs::expand_kprobe(&parts, false, env).map_err(err),
        "kretprobe" | "kr" => kernel_funcs::expand_kprobe(&parts, true, env).map_err(err),
        "fentry" | "f" | "kfunc" => kernel_funcs::expand_fentry(&parts, false, env).map_err(err),
        "fexit" | "fr" | "kretfunc" => kernel_funcs::expand_fentry(&parts, true, env).map_err(err),
        "kprobe_multi" | "kretprobe_multi" | "kprobe_session" => Err(err(format!(
            "{provider} is not a probe type: write kprobe: or kretprobe: with a wildcard"
        ))),
        "software" | "s" => perf_events::expand_counter(&parts, false)
            .map(|e| vec![e])
            .map_err(err),
        "hardware" | "h" => perf_events::expand_counter(&parts, true)
            .map(|e| vec![e])
            .map_err(err),
        "watchpoint" | "w" | "asyncwatchpoint" => perf_events::expand_watchpoint(&parts)
            .map(|e| vec![e])
            .map_err(err),
        "self" => perf_events::expand_self(&parts).map(|e| vec![e]).map_err(err),
        "iter" | "it" => expand_iter(&parts, env).map(|e| vec![e]).map_err(err),
        _ if provider.eq_ignore_ascii_case("begin") || provider.eq_ignore_ascii_case("end") => {
            Err(err(format!("{provider} takes no arguments")))
        }
        "uprobe" | "u" | "uretprobe" | "ur" => {
            let ret = matches!(provider, "uretprobe" | "ur");
            super::user_probes::expand_uprobe(&parts, ret, env, pid, opts.unsafe_ops).map_err(
                |msg| {
                    // bpftrace finds these out when attaching, and says
                    // them without pointing into the script.
                    if msg.starts_with("Could not resolve address")
                        || msg.starts_with("Could not determine boundary")
                    {
                        Diagnostic::error(crate::span::Span::new(0, 0), msg)
                    } else {
                        err(msg)
                    }
                },
            )
        }
        "usdt" | "U" => super::user_probes::expand_usdt(&parts, env, pid).map_err(err),
        "bench" => match &parts[1..] {
            [name] if !name.is_empty() => Ok(vec![one_named(
                Attach::Bench { name: name.clone() },
                format!("bench:{name}"),
            )]),
            _ => Err(err("bench probes take a name: bench:NAME".into())),
        },
        "test" => Err(err(format!("{provider} probes are not supported yet"))),
        _ => Err(err(format!("Invalid probe type: {provider}"))
            .with_help("probe types are begin, end, self, tracepoint, rawtracepoint, kprobe, kretprobe, fentry, fexit, software, hardware, interval, profile, watchpoint, iter, uprobe, uretprobe and usdt")),
    }
}

fn one(attach: Attach, name: &str) -> ExpandedAttach {
    one_named(attach, name.to_string())
}

fn one_named(attach: Attach, name: String) -> ExpandedAttach {
    ExpandedAttach { attach, name }
}

/// Split on `:` outside double quotes, dropping the quotes; inside quotes
/// `\"` stands for a quote that is part of the name.
pub fn split_parts(raw: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let part = parts.last_mut().expect("parts starts non-empty");
        match c {
            '\\' if quoted && chars.peek() == Some(&'"') => {
                part.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ':' if !quoted => parts.push(String::new()),
            _ => part.push(c),
        }
    }
    parts
}

fn expand_tracepoint(parts: &[String], env: &dyn ProbeEnv) -> Result<Vec<ExpandedAttach>, String> {
    let [_, category, name] = parts else {
        return Err("tracepoint probes take the form tracepoint:category:name".into());
    };
    if category.is_empty() || name.is_empty() {
        return Err("tracepoint probes take the form tracepoint:category:name".into());
    }
    let make = |c: &str, n: &str| ExpandedAttach {
        attach: Attach::Tracepoint {
            category: c.to_string(),
            name: n.to_string(),
        },
        name: format!("tracepoint:{c}:{n}"),
    };
    if !has_wildcard(category) && !has_wildcard(name) {
        if env.tracepoint_format(category, name).is_none() {
            return Err(format!("No matches for tracepoint {category}:{name}."));
        }
        return Ok(vec![make(category, name)]);
    }
    let all = env.tracepoints()?;
    let found: Vec<_> = all
        .iter()
        .filter(|(c, n)| glob_match(category, c) && glob_match(name, n))
        .map(|(c, n)| make(c, n))
        .collect();
    if found.is_empty() {
        return Err(format!("No matches for tracepoint {category}:{name}."));
    }
    Ok(found)
}

fn expand_raw_tracepoint(
    parts: &[String],
    env: &dyn ProbeEnv,
) -> Result<Vec<ExpandedAttach>, String> {
    // `rawtracepoint:name` or `rawtracepoint:module:name`; the kernel's
    // attach API takes only the name, the module narrows the search.
    let (module, name) = match parts {
        [_, name] if !name.is_empty() => (None, name.as_str()),
        [_, module, name] if !name.is_empty() && !module.is_empty() => {
            (Some(module.as_str()), name.as_str())
        }
        _ => return Err("raw tracepoint probes take the form rawtracepoint:[module:]name".into()),
    };
    let attach = |n: &str| ExpandedAttach {
        attach: Attach::RawTracepoint {
            name: n.to_string(),
        },
        name: format!("rawtracepoint:{n}"),
    };
    // The common case, one tracepoint named outright, is settled by the
    // event list tracefs already gave, without reading the kernel's BTF.
    if module.is_none() && !has_wildcard(name) {
        let has_event = env
            .tracepoints()
            .map(|all| {
                all.iter()
                    .any(|(category, n)| n == name && category != SYSCALL_EVENTS)
            })
            .unwrap_or(false);
        if has_event || raw_tracepoints(env)?.iter().any(|(_, n)| n == name) {
            return Ok(vec![attach(name)]);
        }
        return Err(NO_VALID_ATTACH_POINTS.into());
    }
    let module = module.unwrap_or("*");
    let mut names: Vec<String> = raw_tracepoints(env)?
        .into_iter()
        .filter(|(m, n)| glob_match(module, m) && glob_match(name, n))
        .map(|(_, n)| n)
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Err(match parts {
            [_, module, name] => format!("No matches for rawtracepoint {module}:{name}."),
            _ => NO_VALID_ATTACH_POINTS.into(),
        });
    }
    Ok(names.iter().map(|n| attach(n)).collect())
}

/// bpftrace's words for a probe with nothing left to attach to.
const NO_VALID_ATTACH_POINTS: &str = "Probe has no valid attach points. If this is expected, \
     set the 'missing_probes' config variable to 'warn'.";

/// Syscall events are ftrace events hung off the `sys_enter`/`sys_exit`
/// raw tracepoints, not raw tracepoints themselves.
const SYSCALL_EVENTS: &str = "syscalls";

/// The kernel's raw tracepoints as `(module, name)`: from its BTF, which
/// declares every one (those without a tracefs event too, and those of
/// modules); without BTF, the tracefs events that are not syscall events.
pub fn raw_tracepoints(env: &dyn ProbeEnv) -> Result<Vec<(String, String)>, String> {
    if let Some(from_btf) = env
        .kernel_types()
        .map(|types| types.raw_tracepoints())
        .filter(|all| !all.is_empty())
    {
        return Ok(from_btf);
    }
    Ok(env
        .tracepoints()?
        .into_iter()
        .filter(|(category, _)| category != SYSCALL_EVENTS)
        .map(|(_, name)| ("vmlinux".to_string(), name))
        .collect())
}

fn timer_period(parts: &[String], kind: &str) -> Result<u64, String> {
    match parts {
        [_, unit, count] => {
            let n = parse_count(count)?;
            let ns = match unit.as_str() {
                "s" => n.checked_mul(1_000_000_000),
                "ms" => n.checked_mul(1_000_000),
                "us" => n.checked_mul(1_000),
                "ns" => Some(n),
                "hz" => Some(1_000_000_000 / n),
                _ => {
                    return Err(format!(
                        "{kind} unit must be one of s, ms, us, ns or hz, not '{unit}'"
                    ))
                }
            };
            ns.ok_or_else(|| format!("{kind} period is too long"))
        }
        [_, spec] => parse_duration(spec),
        _ => Err(format!(
            "{kind} probes take the form {kind}:s:N, {kind}:ms:N, {kind}:hz:N or {kind}:1s"
        )),
    }
}

fn profile_sample(parts: &[String]) -> Result<Sample, String> {
    if let [_, unit, count] = parts {
        if unit == "hz" {
            return Ok(Sample::Frequency(parse_count(count)?));
        }
    }
    timer_period(parts, "profile").map(Sample::PeriodNs)
}

/// A positive integer: digits with optional `_` separators, or `NeM`
/// (`1e6`), as bpftrace accepts in attach points.
pub(crate) fn parse_count(text: &str) -> Result<u64, String> {
    let clean = text.replace('_', "");
    let parsed = match clean.split_once(['e', 'E']) {
        Some((mantissa, exp)) => mantissa
            .parse::<u64>()
            .ok()
            .zip(exp.parse::<u32>().ok())
            .and_then(|(m, e)| 10u64.checked_pow(e).and_then(|p| m.checked_mul(p))),
        None => clean.parse::<u64>().ok(),
    };
    match parsed {
        Some(0) => Err("the rate must be greater than zero".into()),
        Some(n) => Ok(n),
        None => Err(format!("'{text}' is not a positive integer")),
    }
}

/// Iterators every kernel with BPF iterators has; the kernel's BTF names
/// the rest (see [`iterators`]).
pub const ITERATORS: [&str; 3] = ["task", "task_file", "task_vma"];

/// Iterators that walk one object given when the link is made (a map's
/// elements, a cgroup's tree): Sonde takes no such parameter.
const ITERATORS_OF_ONE_OBJECT: [(&str, &str); 4] = [
    ("bpf_map_elem", "a map"),
    ("bpf_sk_storage_map", "a map"),
    ("sockmap", "a map"),
    ("cgroup", "a cgroup"),
];

/// The iterators of the kernel in `env` that run on their own: those its
/// BTF declares, or the task iterators where it has no BTF to ask.
pub fn iterators(env: &dyn ProbeEnv) -> Vec<String> {
    let from_btf = env
        .kernel_types()
        .map(|k| k.iterators())
        .unwrap_or_default();
    if from_btf.is_empty() {
        return ITERATORS.iter().map(|s| s.to_string()).collect();
    }
    from_btf
        .into_iter()
        .filter(|i| !ITERATORS_OF_ONE_OBJECT.iter().any(|(name, _)| name == i))
        .collect()
}

/// `iter:target` or `iter:target:pin`.
fn expand_iter(parts: &[String], env: &dyn ProbeEnv) -> Result<ExpandedAttach, String> {
    let (target, pin) = match parts {
        [_, target] => (target, None),
        [_, target, pin] if !pin.is_empty() => (target, Some(pin.clone())),
        _ => return Err("iter probes take the form iter:NAME or iter:NAME:PIN".into()),
    };
    if has_wildcard(target) {
        return Err("iter probe type does not support wildcards".into());
    }
    if let Some((_, object)) = ITERATORS_OF_ONE_OBJECT.iter().find(|(n, _)| n == target) {
        return Err(format!(
            "iter:{target} walks {object} given when it is attached, and Sonde takes no iterator parameters"
        ));
    }
    if !iterators(env).contains(target) {
        return Err(format!(
            "{target} is not an iterator of this kernel (sonde -l 'iter:*' lists them)"
        ));
    }
    Ok(ExpandedAttach {
        attach: Attach::Iter {
            target: target.clone(),
            pin,
        },
        name: format!("iter:{}", parts[1..].join(":")),
    })
}

/// `1s`, `10ms`, `100us`, `5000ns`, or a bare number of nanoseconds.
fn parse_duration(text: &str) -> Result<u64, String> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(text.len());
    let n = parse_count(&text[..digits_end])?;
    let scale: u64 = match &text[digits_end..] {
        "" | "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        unit => return Err(format!("unknown duration unit '{unit}'")),
    };
    n.checked_mul(scale)
        .ok_or_else(|| "duration is too long".to_string())
}

pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

/// Shell-style matching with `*`, `?` and `{a,b}` alternatives.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    if let Some(open) = pattern.find('{') {
        if let Some(close_rel) = pattern[open..].find('}') {
            let close = open + close_rel;
            let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
            return pattern[open + 1..close]
                .split(',')
                .any(|alt| glob_match(&format!("{head}{alt}{tail}"), text));
        }
    }
    glob_bytes(pattern.as_bytes(), text.as_bytes())
}

fn glob_bytes(pattern: &[u8], text: &[u8]) -> bool {
    // Iterative matcher with one backtrack point for the last `*`: linear
    // enough for event names and immune to pathological patterns.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globbing() {
        assert!(glob_match("sys_enter_*", "sys_enter_openat"));
        assert!(!glob_match("sys_enter_*", "sys_exit_openat"));
        assert!(glob_match("*open*", "sys_enter_openat"));
        assert!(glob_match("sys_enter_{read,write}", "sys_enter_write"));
        assert!(!glob_match("sys_enter_{read,write}", "sys_enter_writev"));
        assert!(glob_match("s?s", "sys"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Ok(1_000_000_000));
        assert_eq!(parse_duration("10ms"), Ok(10_000_000));
        assert_eq!(parse_duration("100"), Ok(100));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("0s").is_err());
    }

    #[test]
    fn parts_keep_quoted_colons() {
        assert_eq!(split_parts("uprobe:\"/a:b\":f"), ["uprobe", "/a:b", "f"]);
        assert_eq!(split_parts("interval:s:1"), ["interval", "s", "1"]);
        assert_eq!(
            split_parts(r#"usdt:./b:test:"\"probe1\"""#),
            ["usdt", "./b", "test", "\"probe1\""]
        );
    }
}
