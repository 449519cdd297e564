//! `sonde -l` for user-space probes: the functions of a binary as
//! `uprobe:FILE:FUNC` (or `uretprobe:`, when asked for) and its USDT probes as `usdt:FILE:PROVIDER:NAME`,
//! for a path, a library, a wildcard or (with `-p`) every file a process
//! maps. With `-v`, USDT probes show where their arguments are.

use std::io::Write;

use sonde_lang::sema::env::{UsdtArgLocation, UserQuery};
use sonde_lang::sema::probes::{glob_match, split_parts};
use sonde_lang::sema::ProbeEnv;

pub fn list(
    env: &dyn ProbeEnv,
    pattern: &str,
    pid: Option<u32>,
    verbose: bool,
    out: &mut dyn Write,
) -> Result<(), String> {
    let mut parts = split_parts(pattern);
    // With -p, `uprobe:FUNC` and `usdt:NAME` name a function or probe of
    // any file the process maps (a path is still a file).
    if let (Some(_), [_, second]) = (pid, &parts[..]) {
        if !second.is_empty() && !second.contains('/') {
            parts.insert(1, "*".to_string());
        }
    }
    let provider = parts[0].as_str();
    let everything = pattern.is_empty();
    // A pattern must name a file (or a pid must): every binary of the
    // system is not listed.
    let target = match parts.get(1).map(String::as_str) {
        Some("") | None if pid.is_some() => "*",
        Some(t) if !t.is_empty() => t,
        _ => return Ok(()),
    };
    if (everything || !parts.is_empty()) && target == "*" && pid.is_none() {
        return Ok(());
    }
    let query = UserQuery { target, pid };
    let mut lines = String::new();
    // The same functions, named as entry or (asked for by name) return probes.
    let kinds = [
        (
            "uprobe",
            everything || glob_match(provider, "uprobe") || provider == "u",
        ),
        (
            "uretprobe",
            !everything && (glob_match(provider, "uretprobe") || provider == "ur"),
        ),
    ];
    // `uprobe:FILE:cpp:PATTERN` lists C++ and Rust functions by their
    // demangled names (parameters included), as `-lv` reads their debug info.
    let (func, demangled) = match &parts[..] {
        [_, _, lang, name @ ..] if lang == "cpp" && !name.is_empty() => (name.join(":"), true),
        [_, _, lang] if lang == "cpp" => ("*".to_string(), true),
        [_, _, func, ..] => (func.clone(), false),
        _ => ("*".to_string(), false),
    };
    let lang = if demangled { "cpp:" } else { "" };
    for (kind, _) in kinds.iter().filter(|(_, wanted)| *wanted) {
        let mut sites = env.user_functions(query, &func, demangled)?;
        sites.sort_by(|a, b| a.path.cmp(&b.path).then(a.func.cmp(&b.func)));
        sites.dedup_by(|a, b| a.path == b.path && a.func == b.func);
        for site in sites {
            lines.push_str(&format!("{kind}:{}:{lang}{}\n", site.path, site.func));
            if verbose {
                let args = env.user_function_args(&site.attach_path, &site.func);
                for arg in args.iter().flatten() {
                    if arg.name.is_empty() {
                        lines.push_str(&format!("    {}\n", arg.c_type));
                    } else {
                        lines.push_str(&format!("    {} {}\n", arg.c_type, arg.name));
                    }
                }
            }
        }
    }
    if everything || glob_match(provider, "usdt") || provider == "U" {
        let (usdt_provider, name) = match &parts[..] {
            [_, _, p, n, ..] => (p.as_str(), n.as_str()),
            [_, _, n] => ("", n.as_str()),
            _ => ("", "*"),
        };
        let mut sites = env.usdt_sites(query, usdt_provider, name)?;
        sites.sort_by(|a, b| (&a.path, &a.provider, &a.name).cmp(&(&b.path, &b.provider, &b.name)));
        sites.dedup_by(|a, b| a.path == b.path && a.provider == b.provider && a.name == b.name);
        for site in sites {
            lines.push_str(&format!(
                "usdt:{}:{}:{}\n",
                site.path, site.provider, site.name
            ));
            if verbose {
                for (i, arg) in site.args.iter().enumerate() {
                    let place = match &arg.location {
                        UsdtArgLocation::Const(v) => format!("constant {v}"),
                        UsdtArgLocation::Reg(r) => format!("register {r}"),
                        UsdtArgLocation::RegHigh(r) => format!("register {r} bits 8-15"),
                        UsdtArgLocation::Mem {
                            base,
                            index,
                            offset,
                        } => {
                            let mut place = base.clone().unwrap_or_default();
                            if let Some((index, scale)) = index {
                                if !place.is_empty() {
                                    place.push('+');
                                }
                                place.push_str(&format!("{index}*{scale}"));
                            }
                            match (place.is_empty(), offset) {
                                (true, _) => format!("memory at {offset:#x}"),
                                (false, 0) => format!("memory at {place}"),
                                (false, _) => format!("memory at {place}{offset:+}"),
                            }
                        }
                        UsdtArgLocation::Symbol { name, .. } => format!("memory at {name}"),
                        UsdtArgLocation::Unsupported(why) => why.clone(),
                    };
                    lines.push_str(&format!(
                        "    arg{i}: {}int{} ({place})\n",
                        if arg.signed { "" } else { "u" },
                        arg.size as u32 * 8
                    ));
                }
            }
        }
    }
    out.write_all(lines.as_bytes()).map_err(|e| e.to_string())
}
