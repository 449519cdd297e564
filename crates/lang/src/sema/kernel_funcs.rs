//! Attach points on kernel functions: `kprobe:`, `kretprobe:` (by name,
//! `module:name`, `name+offset` or address) and `fentry:`/`fexit:`
//! (`[module:]name`), expanded against the kernel's list of functions.

use super::env::ProbeEnv;
use super::perf_events::parse_address;
use super::probes::{glob_match, has_wildcard, Attach, ExpandedAttach};

/// `kprobe:...` (or `kretprobe:...` when `ret`).
pub fn expand_kprobe(
    parts: &[String],
    ret: bool,
    env: &dyn ProbeEnv,
) -> Result<Vec<ExpandedAttach>, String> {
    let provider = if ret { "kretprobe" } else { "kprobe" };
    let (module, spec) = match parts {
        [_, spec] => (None, spec),
        [_, module, spec] => (Some(module.as_str()), spec),
        _ => {
            return Err(format!(
                "{provider} probes take the form {provider}:function, {provider}:module:function or {provider}:address"
            ))
        }
    };
    if spec.is_empty() {
        return Err(format!("{provider} probe must name a function"));
    }
    let rest = parts[1..].join(":");
    if module.is_none() && spec.starts_with(|c: char| c.is_ascii_digit()) {
        let addr = parse_address(spec)
            .ok_or_else(|| format!("'{spec}' is neither a function name nor an address"))?;
        return Ok(vec![ExpandedAttach {
            attach: Attach::Kprobe {
                module: None,
                function: String::new(),
                offset: 0,
                addr: Some(addr),
                ret,
            },
            name: format!("{provider}:{addr}"),
        }]);
    }
    let (pattern, offset) = match spec.split_once('+') {
        Some((name, off)) => {
            if ret {
                return Err("kretprobes cannot have an offset".into());
            }
            let off = parse_address(off)
                .ok_or_else(|| format!("Invalid offset '{off}' in {provider}:{rest}"))?;
            (name, Some(off))
        }
        None => (spec.as_str(), None),
    };
    if offset.is_some() && (has_wildcard(pattern) || module.is_some_and(has_wildcard)) {
        return Err("offsets are not allowed with wildcards".into());
    }
    let functions = env.kernel_functions()?;
    if let Some(module) = module.filter(|m| !has_wildcard(m)) {
        if !functions.iter().any(|(m, _)| m == module) {
            return Err(format!(
                "specified module {module} in probe {provider}:{rest} is not loaded."
            ));
        }
    }
    let mut found: Vec<ExpandedAttach> = Vec::new();
    for (m, f) in &functions {
        if !module.is_none_or(|pat| glob_match(pat, m)) || !glob_match(pattern, f) {
            continue;
        }
        // `.part.N` pieces of split functions cannot be probed by name.
        if has_wildcard(pattern) && f.contains(".part.") {
            continue;
        }
        let mut name = match module {
            Some(_) => format!("{provider}:{m}:{f}"),
            None => format!("{provider}:{f}"),
        };
        if offset.is_some() {
            name.push_str(&spec[pattern.len()..]);
        }
        if found.iter().any(|e| e.name == name) {
            continue;
        }
        found.push(ExpandedAttach {
            attach: Attach::Kprobe {
                module: module.map(|_| m.clone()),
                function: f.clone(),
                offset: offset.unwrap_or(0),
                addr: None,
                ret,
            },
            name,
        });
    }
    if found.is_empty() {
        return Err(format!("No matches for {provider} {rest}."));
    }
    Ok(found)
}

/// `fentry:[module:]function` (or `fexit:` when `ret`).
pub fn expand_fentry(
    parts: &[String],
    ret: bool,
    env: &dyn ProbeEnv,
) -> Result<Vec<ExpandedAttach>, String> {
    let provider = if ret { "fexit" } else { "fentry" };
    let (module, pattern) = match parts {
        [_, function] => ("*", function.as_str()),
        [_, module, ..] if module == "bpf" => {
            return Err(format!(
                "{provider} probes on BPF programs ({provider}:bpf:...) are not supported"
            ))
        }
        [_, module, function] => (module.as_str(), function.as_str()),
        _ => {
            return Err(format!(
                "{provider} probes take the form {provider}:function or {provider}:module:function"
            ))
        }
    };
    if pattern.is_empty() {
        return Err(format!("{provider} probe must name a function"));
    }
    let functions = env.kernel_functions()?;
    if !has_wildcard(module) && !functions.iter().any(|(m, _)| m == module) {
        return Err(format!(
            "specified module {module} in probe {provider}:{} is not loaded.",
            parts[1..].join(":")
        ));
    }
    let mut found: Vec<ExpandedAttach> = Vec::new();
    for (m, f) in &functions {
        if !glob_match(module, m) || !glob_match(pattern, f) || f.contains('.') {
            continue;
        }
        let name = format!("{provider}:{m}:{f}");
        if found.iter().any(|e| e.name == name) {
            continue;
        }
        found.push(ExpandedAttach {
            attach: Attach::Fentry {
                module: m.clone(),
                function: f.clone(),
                ret,
            },
            name,
        });
    }
    if found.is_empty() {
        return Err(format!(
            "No matches for {provider} {}.",
            parts[1..].join(":")
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sema::fake_env::FakeEnv;

    fn parts(s: &str) -> Vec<String> {
        s.split(':').map(str::to_string).collect()
    }

    fn names(r: Result<Vec<ExpandedAttach>, String>) -> Vec<String> {
        r.unwrap().into_iter().map(|e| e.name).collect()
    }

    #[test]
    fn kprobes_expand_against_the_function_list() {
        let env = FakeEnv::default();
        assert_eq!(
            names(expand_kprobe(&parts("kprobe:vfs_rea*"), false, &env)),
            ["kprobe:vfs_read", "kprobe:vfs_readv"]
        );
        assert_eq!(
            names(expand_kprobe(
                &parts("kprobe:vmlinux:vfs_read"),
                false,
                &env
            )),
            ["kprobe:vmlinux:vfs_read"]
        );
        assert_eq!(
            names(expand_kprobe(
                &parts("kretprobe:vmlinu*:vfs_read"),
                true,
                &env
            )),
            ["kretprobe:vmlinux:vfs_read"]
        );
        let e = expand_kprobe(&parts("kprobe:vfs_read+0x10"), false, &env).unwrap();
        assert_eq!(e[0].name, "kprobe:vfs_read+0x10");
        assert!(matches!(e[0].attach, Attach::Kprobe { offset: 16, .. }));
        assert_eq!(
            names(expand_kprobe(&parts("kprobe:0x12345678"), false, &env)),
            ["kprobe:305419896"]
        );
        assert_eq!(
            expand_kprobe(&parts("kprobe:vmlinux:nonsense"), false, &env).unwrap_err(),
            "No matches for kprobe vmlinux:nonsense."
        );
        assert_eq!(
            expand_kprobe(&parts("kprobe:nonsense:vfs_read"), false, &env).unwrap_err(),
            "specified module nonsense in probe kprobe:nonsense:vfs_read is not loaded."
        );
        assert_eq!(
            expand_kprobe(&parts("kretprobe:vfs_read+4"), true, &env).unwrap_err(),
            "kretprobes cannot have an offset"
        );
    }

    #[test]
    fn fentry_names_carry_the_module() {
        let env = FakeEnv::default();
        assert_eq!(
            names(expand_fentry(&parts("fentry:vfs_read"), false, &env)),
            ["fentry:vmlinux:vfs_read"]
        );
        assert_eq!(
            names(expand_fentry(&parts("fexit:vmlinux:vfs_rea*"), true, &env)),
            ["fexit:vmlinux:vfs_read", "fexit:vmlinux:vfs_readv"]
        );
        assert_eq!(
            expand_fentry(&parts("fentry:nonsense"), false, &env).unwrap_err(),
            "No matches for fentry nonsense."
        );
    }
}
