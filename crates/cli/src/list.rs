//! `sonde -l [pattern]`: the probes this kernel offers, one per line, as
//! bpftrace lists them; with `-v`, the arguments of each. Also `-l` with a
//! script: the attach points it expands to.
//!
//! A pattern is `provider:rest` (either part may have wildcards, `*`
//! matching across `:`), several separated by commas; a pattern without
//! `:` searches every kernel provider. Without a provider, or with a
//! wildcard in it, the providers searched are those bpftrace lists for the
//! kernel (fentry, hardware, iter, kprobe, rawtracepoint, software,
//! tracepoint); a named provider is searched even if not among them.

use std::io::Write;

use sonde_lang::sema::env::CSignature;
use sonde_lang::sema::perf_events::{HARDWARE_EVENTS, SELF_SIGNALS, SOFTWARE_EVENTS};
use sonde_lang::sema::probes::{glob_match, has_wildcard, iterators};
use sonde_lang::sema::tracepoint_format::{parse_format, FieldKind};
use sonde_lang::sema::types::Type;
use sonde_lang::sema::ProbeEnv;

/// The kernel providers a wildcard provider expands to, in bpftrace's
/// (alphabetical) order.
const KERNEL_PROVIDERS: [&str; 7] = [
    "fentry",
    "hardware",
    "iter",
    "kprobe",
    "rawtracepoint",
    "software",
    "tracepoint",
];

pub fn list(
    env: &dyn ProbeEnv,
    patterns: &str,
    verbose: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), String> {
    if patterns.contains('.') && !patterns.contains([':', '*']) {
        let _ = writeln!(
            err,
            "WARNING: It appears that '{patterns}' is a filename but the file does not exist. \
             Treating '{patterns}' as a search pattern."
        );
    }
    let mut lines = String::new();
    for pattern in patterns.split(',') {
        let pattern = pattern.trim();
        if is_type_name(pattern) {
            lines.push_str(&type_definition(env, pattern)?);
            continue;
        }
        let pattern = match pattern {
            "" | "*" => "*:*".to_string(),
            p if !p.contains(':') => format!("*:{p}"),
            p => p.to_string(),
        };
        let (provider, rest) = pattern.split_once(':').expect("pattern has a ':'");
        let rest = if rest.is_empty() { "*" } else { rest };
        let providers: Vec<&str> = if has_wildcard(provider) {
            KERNEL_PROVIDERS
                .into_iter()
                .filter(|p| glob_match(provider, p))
                .collect()
        } else {
            vec![canonical_provider(provider)]
        };
        let has_target = rest.contains(':');
        for provider in providers {
            for (entry, details) in matches(env, provider, rest, has_target, verbose)? {
                lines.push_str(&format!("{provider}:{entry}\n"));
                for detail in details {
                    lines.push_str(&format!("    {detail}\n"));
                }
            }
        }
    }
    out.write_all(lines.as_bytes()).map_err(|e| e.to_string())
}

/// The long name of a provider (`t` is `tracepoint`, `kfunc` is `fentry`).
pub fn canonical_provider(provider: &str) -> &str {
    match provider {
        "t" => "tracepoint",
        "rt" => "rawtracepoint",
        "k" => "kprobe",
        "kr" => "kretprobe",
        "f" | "kfunc" => "fentry",
        "fr" | "kretfunc" => "fexit",
        "s" => "software",
        "h" => "hardware",
        "i" => "interval",
        "p" => "profile",
        "it" => "iter",
        "w" => "watchpoint",
        "u" => "uprobe",
        "ur" => "uretprobe",
        "U" => "usdt",
        other => other,
    }
}

/// The entries of `provider` matching `rest`, sorted, each with its
/// argument lines for `-v`.
fn matches(
    env: &dyn ProbeEnv,
    provider: &str,
    rest: &str,
    has_target: bool,
    verbose: bool,
) -> Result<Vec<(String, Vec<String>)>, String> {
    // Entries that have a `target:` part match `*:rest` when the pattern
    // gives none.
    let targeted = if has_target {
        rest.to_string()
    } else {
        format!("*:{rest}")
    };
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |entry: String, pattern: &str| {
        if glob_match(pattern, &entry) {
            found.push((entry, Vec::new()));
        }
    };
    match provider {
        "tracepoint" => {
            for (category, name) in env.tracepoints()? {
                add(format!("{category}:{name}"), &targeted);
            }
        }
        "rawtracepoint" => {
            for (module, name) in sonde_lang::sema::probes::raw_tracepoints(env)? {
                add(format!("{module}:{name}"), &targeted);
            }
        }
        "kprobe" | "kretprobe" => {
            for (module, function) in kernel_functions(env)? {
                if function.contains(".part.") {
                    continue;
                }
                if has_target {
                    add(format!("{module}:{function}"), rest);
                } else {
                    add(function, rest);
                }
            }
        }
        "fentry" | "fexit" => {
            for (module, function) in kernel_functions(env)? {
                if !function.contains('.') {
                    add(format!("{module}:{function}"), &targeted);
                }
            }
        }
        "software" | "hardware" => {
            let table = if provider == "software" {
                SOFTWARE_EVENTS
            } else {
                HARDWARE_EVENTS
            };
            for event in table {
                add(format!("{}:", event.name), rest);
                if let Some(alias) = event.alias {
                    add(format!("{alias}:"), rest);
                }
            }
        }
        "interval" | "profile" => {
            for unit in ["hz", "ms", "s", "us"] {
                add(format!("{unit}:"), rest);
            }
        }
        "iter" => {
            for iter in iterators(env) {
                add(iter, rest);
            }
        }
        "self" => {
            for (signal, _) in SELF_SIGNALS {
                add(format!("signal:{signal}"), rest);
            }
        }
        _ => {}
    }
    found.sort();
    found.dedup();
    if verbose && provider == "rawtracepoint" {
        for (entry, details) in &mut found {
            let name = entry.rsplit(':').next().unwrap_or(entry);
            let args = env.kernel_types().and_then(|k| k.raw_tracepoint_args(name));
            *details = args
                .unwrap_or_default()
                .into_iter()
                .map(|(arg, ty)| format!("{ty} {arg}"))
                .collect();
        }
    }
    if verbose && provider == "iter" {
        // What `ctx` holds besides the iteration's bookkeeping (`meta`).
        for (entry, details) in &mut found {
            let record = env
                .kernel_types()
                .and_then(|k| k.record(&format!("struct bpf_iter__{entry}")));
            // Pointers are wrapped in anonymous unions (`__bpf_md_ptr`).
            let mut fields = Vec::new();
            for field in record.iter().flat_map(|r| r.fields.iter()) {
                match &field.ty {
                    Type::Record(inner) if field.name.is_empty() => {
                        fields.extend(inner.fields.iter().cloned())
                    }
                    _ => fields.push(field.clone()),
                }
            }
            *details = fields
                .iter()
                .filter(|f| f.name != "meta")
                .map(|f| format!("{} {}", f.ty, f.name))
                .collect();
        }
    }
    if verbose && matches!(provider, "kprobe" | "kretprobe" | "fentry" | "fexit") {
        if let Some(kernel) = env.kernel_types() {
            for (entry, details) in &mut found {
                let (module, function) = match entry.split_once(':') {
                    Some((m, f)) => (Some(m), f),
                    None => (None, entry.as_str()),
                };
                if let Some(signature) = kernel.function_signature(module, function) {
                    *details = signature_lines(provider, &signature);
                }
            }
        }
    }
    if verbose && provider == "tracepoint" {
        for (entry, details) in &mut found {
            let (category, name) = entry.split_once(':').expect("category:name");
            if let Some(format) = env.tracepoint_format(category, name) {
                *details = parse_format(&format)
                    .into_iter()
                    .map(|field| {
                        let array = match field.kind {
                            FieldKind::CharArray | FieldKind::IntArray { .. } => {
                                let elem = if field.c_type.contains("char") { 1 } else { 8 };
                                format!("[{}]", field.size / elem)
                            }
                            _ => String::new(),
                        };
                        format!("{} {}{array}", field.c_type, field.name)
                    })
                    .collect();
            }
        }
    }
    Ok(found)
}

/// A kernel function's `-v` lines, as bpftrace writes them: a kprobe's
/// parameters by register (`struct file * arg0`), a kretprobe's return
/// type (`ssize_t retval`, or `void`), fentry's parameters by name, and
/// fexit's followed by the return value when there is one.
fn signature_lines(provider: &str, signature: &CSignature) -> Vec<String> {
    let decl = |ty: &str, name: &str| format!("{ty} {name}");
    let retval = signature.ret.as_deref().map(|ty| decl(ty, "retval"));
    match provider {
        "kprobe" => signature
            .params
            .iter()
            .enumerate()
            .map(|(i, (ty, _))| decl(ty, &format!("arg{i}")))
            .collect(),
        "kretprobe" => vec![retval.unwrap_or_else(|| "void".into())],
        _ => {
            let mut lines: Vec<String> = signature
                .params
                .iter()
                .map(|(ty, name)| decl(ty, name))
                .collect();
            if provider == "fexit" {
                lines.extend(retval);
            }
            lines
        }
    }
}

/// Kernel functions, or none where the kernel will not list them (listing
/// goes on with the other providers).
fn kernel_functions(env: &dyn ProbeEnv) -> Result<Vec<(String, String)>, String> {
    Ok(env.kernel_functions().unwrap_or_default())
}

/// `-l` with a script: every attach point it expands to, in order. Only
/// expansion runs: the listing needs neither a type check nor a kernel that
/// can attach the probes.
pub fn list_program(
    source: &str,
    filename: &str,
    env: &dyn ProbeEnv,
    pid: Option<u32>,
    out: &mut dyn Write,
) -> Result<(), String> {
    let render = |d: &sonde_lang::Diagnostic| sonde_lang::render(d, source, filename);
    let ast = sonde_lang::parse(source).map_err(|d| render(&d))?;
    let opts = sonde_lang::sema::Options {
        pid,
        ..sonde_lang::sema::Options::default()
    };
    let mut lines = String::new();
    for probe in &ast.probes {
        for point in &probe.attach_points {
            // Each attach point's matches come sorted, as bpftrace's do.
            let mut entries: Vec<String> = sonde_lang::sema::probes::expand(point, env, &opts)
                .map_err(|d| render(&d))?
                .iter()
                .filter_map(|e| program_entry(&e.name))
                .collect();
            entries.sort();
            for entry in entries {
                lines.push_str(&entry);
                lines.push('\n');
            }
        }
    }
    out.write_all(lines.as_bytes()).map_err(|e| e.to_string())
}

/// How `-l` with a script shows one expanded attach point: counters and
/// timers by their event alone (`interval:ms:`), the rest by full name.
pub fn program_entry(name: &str) -> Option<String> {
    let (provider, rest) = name.split_once(':')?;
    match provider {
        "begin" | "end" | "self" => None,
        "software" | "hardware" | "interval" | "profile" | "watchpoint" => {
            let first = rest.split(':').next().unwrap_or(rest);
            Some(format!("{provider}:{first}:"))
        }
        _ => Some(name.to_string()),
    }
}

/// `struct task_struct`, `union x`, `enum y`: a type to list, not probes.
fn is_type_name(pattern: &str) -> bool {
    ["struct ", "union ", "enum "]
        .iter()
        .any(|k| pattern.starts_with(k) && pattern.len() > k.len())
}

/// The C definition of a named type from the kernel's BTF, with the blank
/// line bpftrace puts after it.
fn type_definition(env: &dyn ProbeEnv, name: &str) -> Result<String, String> {
    let kernel = env
        .kernel_types()
        .ok_or("listing types needs the kernel's BTF (/sys/kernel/btf/vmlinux)")?;
    let definition = kernel
        .c_definition(name)
        .ok_or_else(|| format!("the kernel's BTF has no {name}"))?;
    Ok(format!("{definition}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_lang::sema::fake_env::FakeEnv;

    fn listed(pattern: &str) -> String {
        let mut out = Vec::new();
        let mut err = Vec::new();
        list(&FakeEnv::default(), pattern, false, &mut out, &mut err).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn verbose_kernel_functions_show_their_btf_signature() {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let patterns = "fentry:vfs_read,fexit:vmlinux:vfs_read,kprobe:do_sys_openat2,\
                        kretprobe:vfs_read,kretprobe:nf_tables_newtable,fexit:nf_tables_newtable";
        list(&FakeEnv::with_btf(), patterns, true, &mut out, &mut err).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "fentry:vmlinux:vfs_read\n    struct file * file\n    char * buf\n    size_t count\n    loff_t * pos\n\
             fexit:vmlinux:vfs_read\n    struct file * file\n    char * buf\n    size_t count\n    loff_t * pos\n    ssize_t retval\n\
             kprobe:do_sys_openat2\n    int arg0\n    const char * arg1\n    struct open_how * arg2\n\
             kretprobe:vfs_read\n    ssize_t retval\n\
             kretprobe:nf_tables_newtable\n    void\n\
             fexit:nf_tables:nf_tables_newtable\n    struct sk_buff * skb\n"
        );
        assert!(err.is_empty());
    }

    #[test]
    fn providers_and_patterns() {
        assert_eq!(
            listed("tracepoint:syscalls:sys_enter_*read"),
            "tracepoint:syscalls:sys_enter_read\n"
        );
        assert_eq!(
            listed("t:sched:*"),
            "tracepoint:sched:sched_process_exec\ntracepoint:sched:sched_switch\n"
        );
        assert_eq!(
            listed("kprobe:vfs_rea*"),
            "kprobe:vfs_read\nkprobe:vfs_readv\n"
        );
        assert_eq!(listed("fentry:vfs_write"), "fentry:vmlinux:vfs_write\n");
        assert_eq!(
            listed("rt:sched_switch"),
            "rawtracepoint:vmlinux:sched_switch\n"
        );
        assert_eq!(
            listed("interval:*"),
            "interval:hz:\ninterval:ms:\ninterval:s:\ninterval:us:\n"
        );
        assert!(listed("software:*").contains("software:cpu:\n"));
        assert_eq!(
            listed("*ware:cpu-*"),
            "hardware:cpu-cycles:\nsoftware:cpu-clock:\nsoftware:cpu-migrations:\n"
        );
        assert_eq!(listed("self:*"), "self:signal:SIGUSR1\n");
        assert_eq!(
            listed("*sched_switch*"),
            "rawtracepoint:vmlinux:sched_switch\ntracepoint:sched:sched_switch\n"
        );
    }

    #[test]
    fn program_entries() {
        assert_eq!(
            program_entry("interval:ms:100").as_deref(),
            Some("interval:ms:")
        );
        assert_eq!(
            program_entry("hardware:cache-misses:10").as_deref(),
            Some("hardware:cache-misses:")
        );
        assert_eq!(program_entry("begin"), None);
        assert_eq!(
            program_entry("kprobe:vfs_read").as_deref(),
            Some("kprobe:vfs_read")
        );
    }
}
