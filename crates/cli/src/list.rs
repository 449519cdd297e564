//! `sonde -l [pattern]`: the probes this kernel offers, one per line, as
//! bpftrace lists them; with `-v`, the arguments of each.

use std::io::Write;

use sonde_lang::sema::probes::glob_match;
use sonde_lang::sema::tracepoint_format::parse_format;
use sonde_lang::sema::ProbeEnv;

pub fn list(
    env: &dyn ProbeEnv,
    pattern: &str,
    verbose: bool,
    out: &mut dyn Write,
) -> Result<(), String> {
    if is_type_listing(pattern) {
        return list_types(env, pattern, out);
    }
    let pattern = normalise_provider(pattern);
    let mut tracepoints = env.tracepoints()?;
    tracepoints.sort_unstable();
    let matches = |name: &str| pattern.is_empty() || matches_pattern(&pattern, name);
    let mut lines = String::new();
    for (category, name) in &tracepoints {
        let full = format!("tracepoint:{category}:{name}");
        if matches(&full) {
            lines.push_str(&full);
            lines.push('\n');
            if verbose {
                if let Some(format) = env.tracepoint_format(category, name) {
                    for field in parse_format(&format) {
                        let array = match field.kind {
                            sonde_lang::sema::tracepoint_format::FieldKind::CharArray
                            | sonde_lang::sema::tracepoint_format::FieldKind::IntArray { .. } => {
                                let elem = if field.c_type.contains("char") { 1 } else { 8 };
                                format!("[{}]", field.size / elem)
                            }
                            _ => String::new(),
                        };
                        lines.push_str(&format!("    {} {}{array}\n", field.c_type, field.name));
                    }
                }
            }
        }
    }
    let mut raw: Vec<&str> = tracepoints.iter().map(|(_, n)| n.as_str()).collect();
    raw.sort_unstable();
    raw.dedup();
    for name in raw {
        let full = format!("rawtracepoint:{name}");
        if matches(&full) {
            lines.push_str(&full);
            lines.push('\n');
            if verbose {
                let args = env.kernel_types().and_then(|k| k.raw_tracepoint_args(name));
                for (arg, ty) in args.unwrap_or_default() {
                    lines.push_str(&format!("    {ty} {arg}\n"));
                }
            }
        }
    }
    out.write_all(lines.as_bytes()).map_err(|e| e.to_string())
}

/// Short provider names (`t:`, `rt:`) mean the same as the long ones.
fn normalise_provider(pattern: &str) -> String {
    for (short, long) in [("t:", "tracepoint:"), ("rt:", "rawtracepoint:")] {
        if let Some(rest) = pattern.strip_prefix(short) {
            return format!("{long}{rest}");
        }
    }
    pattern.to_string()
}

/// A pattern with a provider matches whole names; one without (`*sleep*`)
/// matches the part after the provider.
fn matches_pattern(pattern: &str, full: &str) -> bool {
    if glob_match(pattern, full) {
        return true;
    }
    !pattern.contains(':')
        && full.split_once(':').is_some_and(|(_, rest)| {
            glob_match(pattern, rest)
                || rest
                    .rsplit(':')
                    .next()
                    .is_some_and(|last| glob_match(pattern, last))
        })
}

/// `struct task_struct`, or several: `struct a,union b,enum c`.
fn is_type_listing(pattern: &str) -> bool {
    pattern.split(',').all(|p| {
        let p = p.trim();
        ["struct ", "union ", "enum "]
            .iter()
            .any(|k| p.starts_with(k) && p.len() > k.len())
    })
}

/// The C definitions of the named types, from the kernel's BTF.
fn list_types(env: &dyn ProbeEnv, pattern: &str, out: &mut dyn Write) -> Result<(), String> {
    let kernel = env
        .kernel_types()
        .ok_or("listing types needs the kernel's BTF (/sys/kernel/btf/vmlinux)")?;
    let mut text = String::new();
    for name in pattern.split(',').map(str::trim) {
        let definition = kernel
            .c_definition(name)
            .ok_or_else(|| format!("the kernel's BTF has no {name}"))?;
        text.push_str(&definition);
        text.push('\n');
    }
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches_pattern(
            "tracepoint:syscalls:*",
            "tracepoint:syscalls:sys_enter_read"
        ));
        assert!(!matches_pattern(
            "tracepoint:sched:*",
            "tracepoint:syscalls:sys_enter_read"
        ));
        assert!(matches_pattern(
            "*enter_read",
            "tracepoint:syscalls:sys_enter_read"
        ));
        assert!(matches_pattern(
            "sys_enter_read",
            "tracepoint:syscalls:sys_enter_read"
        ));
        assert_eq!(normalise_provider("t:sched:*"), "tracepoint:sched:*");
    }
}
