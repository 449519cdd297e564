//! Expanding `uprobe`, `uretprobe` and `usdt` attach points into sites of
//! user-space files, through the environment's view of those files.

use super::env::{ProbeEnv, UserQuery};
use super::probes::{has_wildcard, Attach, ExpandedAttach};

/// `uprobe:TARGET:FUNC`, `uprobe:TARGET:cpp:FUNC` (C++ names demangled),
/// `FUNC+OFFSET`, `uprobe:TARGET:0xADDR`, and `uprobe:FUNC` with `-p`.
pub(super) fn expand_uprobe(
    parts: &[String],
    ret: bool,
    env: &dyn ProbeEnv,
    pid: Option<u32>,
    unsafe_ops: bool,
) -> Result<Vec<ExpandedAttach>, String> {
    let provider = if ret { "uretprobe" } else { "uprobe" };
    let usage = || format!("{provider} probes take the form {provider}:binary:function");
    // A C++ name written without quotes (`cpp:ns::K::get`) was split at
    // its colons: they are the name's.
    let joined;
    let (target, func, demangled) = match parts {
        [_, target, func] => (target.as_str(), func.as_str(), false),
        [_, target, lang, func] if lang == "cpp" => (target.as_str(), func.as_str(), true),
        [_, target, lang, name @ ..] if lang == "cpp" => {
            joined = name.join(":");
            (target.as_str(), joined.as_str(), true)
        }
        [_, func] if pid.is_some() => ("*", func.as_str(), false),
        _ => return Err(usage()),
    };
    if target.is_empty() || func.is_empty() {
        return Err(usage());
    }
    if let Some((binary, source)) = target.split_once('@') {
        let line: u64 = func
            .parse()
            .map_err(|_| format!("'{func}' is not a line number of {source}"))?;
        let site = env.user_source_line(
            UserQuery {
                target: binary,
                pid,
            },
            source,
            line,
        )?;
        return Ok(vec![ExpandedAttach {
            name: format!("{provider}:{target}:{func}"),
            attach: Attach::Uprobe {
                path: site.attach_path,
                offset: site.offset,
                ret,
                func: site.func,
            },
        }]);
    }
    let query = UserQuery { target, pid };
    if let Some(addr) = parse_address(func).or_else(|| decimal(func)) {
        if ret {
            return Err("uretprobe cannot be attached to an address".into());
        }
        let site = match env.user_address(query, addr) {
            // A flat binary has no addresses: --unsafe takes the number as
            // an offset into the file.
            Err(e) if unsafe_ops => env.user_raw_site(query, addr).map_err(|_| e)?,
            other => other?,
        };
        if !unsafe_ops {
            let place = format!("{}:{func}", site.path);
            check_boundary(env, &site.attach_path, site.offset, provider, &place)?;
        }
        return Ok(vec![ExpandedAttach {
            name: format!("{provider}:{}:{func}", site.path),
            attach: Attach::Uprobe {
                path: site.attach_path,
                offset: site.offset,
                ret,
                func: site.func,
            },
        }]);
    }
    let (pattern, plus) = match func.rsplit_once('+') {
        Some((name, off)) if !has_wildcard(func) => {
            let off = parse_number(off)
                .ok_or_else(|| format!("invalid offset '{off}' in {provider}:{target}:{func}"))?;
            if ret {
                return Err("uretprobe cannot be attached to an offset in a function".into());
            }
            (name, Some(off))
        }
        _ => (func, None),
    };
    let wildcard = has_wildcard(pattern) || has_wildcard(target);
    let mut sites = env.user_functions(query, pattern, demangled)?;
    if wildcard && !unsafe_ops {
        // Functions of unknown size may not be functions at all.
        sites.retain(|s| s.size > 0);
    }
    if sites.is_empty() {
        return Err(format!("No matches for {provider} {target}:{func}."));
    }
    if let (false, false, [site]) = (wildcard, unsafe_ops, sites.as_slice()) {
        if site.size == 0 {
            return Err(format!(
                "Could not determine boundary for {} (symbol has size 0).\n\
                 Use --unsafe to force attachment. WARNING: This option could lead to data corruption in the target process.",
                site.func
            ));
        }
    }
    let mut out: Vec<ExpandedAttach> = Vec::new();
    for site in sites {
        if let Some(off) = plus {
            if site.size == 0 {
                return Err(format!(
                    "Could not determine boundary for {} (symbol has size 0).",
                    site.func
                ));
            }
            if off >= site.size {
                return Err(format!(
                    "Offset outside the function bounds ('{}' size is {})",
                    site.func, site.size
                ));
            }
            if off > 0 && !unsafe_ops {
                let place = format!("{}:{}+{off}", site.path, site.func);
                check_boundary(env, &site.attach_path, site.offset + off, provider, &place)?;
            }
        }
        // bpftrace names a demangled probe by the symbol it resolved to.
        let shown = if demangled {
            format!("cpp:{}", site.symbol)
        } else {
            site.func.clone()
        };
        let display = match plus {
            Some(off) => format!("{shown}+{off}"),
            None => shown,
        };
        let attach = Attach::Uprobe {
            path: site.attach_path,
            offset: site.offset + plus.unwrap_or(0),
            ret,
            func: site.func,
        };
        // Two names for one address (aliases) attach once.
        if out.iter().any(|e| e.attach == attach) {
            continue;
        }
        out.push(ExpandedAttach {
            name: format!("{provider}:{}:{display}", site.path),
            attach,
        });
    }
    Ok(out)
}

/// `usdt:TARGET:PROVIDER:NAME`, `usdt:TARGET:NAME`, and `usdt:*` with `-p`.
pub(super) fn expand_usdt(
    parts: &[String],
    env: &dyn ProbeEnv,
    pid: Option<u32>,
) -> Result<Vec<ExpandedAttach>, String> {
    let usage =
        || "usdt probes take the form usdt:binary:provider:name or usdt:binary:name".to_string();
    let (target, provider, name) = match parts {
        [_, target, provider, name] => (target.as_str(), provider.as_str(), name.as_str()),
        [_, target, name] => (target.as_str(), "", name.as_str()),
        [_, all] if all == "*" => ("*", "", "*"),
        _ => return Err(usage()),
    };
    if name.is_empty() {
        return Err(usage());
    }
    let target = if target.is_empty() { "*" } else { target };
    let query = UserQuery { target, pid };
    let sites = env.usdt_sites(query, provider, name)?;
    if sites.is_empty() {
        let shown = if provider.is_empty() {
            name.to_string()
        } else {
            format!("{provider}:{name}")
        };
        return Err(format!("no USDT probes match {target}:{shown}"));
    }
    Ok(sites
        .into_iter()
        .map(|site| ExpandedAttach {
            name: format!("usdt:{}:{}:{}", site.path, site.provider, site.name),
            attach: Attach::Usdt {
                path: site.attach_path,
                offset: site.offset,
                semaphore_offset: site.semaphore_offset,
                args: site.args,
            },
        })
        .collect())
}

/// A uprobe in the middle of an instruction corrupts it: refused unless
/// `--unsafe`, as is a place that cannot be checked.
fn check_boundary(
    env: &dyn ProbeEnv,
    path: &str,
    offset: u64,
    provider: &str,
    place: &str,
) -> Result<(), String> {
    const HINT: &str = "Use --unsafe to force attachment. WARNING: This option could lead to data corruption in the target process.";
    match env.user_starts_instruction(path, offset) {
        Some(true) => Ok(()),
        Some(false) => Err(format!(
            "Could not add {provider} into middle of instruction: {place}\n{HINT}"
        )),
        None => Err(format!(
            "Failed to check if {provider} is in proper place: {place}\n{HINT}"
        )),
    }
}

fn parse_address(text: &str) -> Option<u64> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    u64::from_str_radix(hex, 16).ok()
}

/// A function given as a decimal number is an address too.
fn decimal(text: &str) -> Option<u64> {
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())?
}

fn parse_number(text: &str) -> Option<u64> {
    parse_address(text).or_else(|| text.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sema::env::{UsdtSite, UserSite};

    struct Files;

    impl ProbeEnv for Files {
        fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
            Ok(Vec::new())
        }
        fn tracepoint_format(&self, _: &str, _: &str) -> Option<String> {
            None
        }
        fn user_functions(
            &self,
            query: UserQuery<'_>,
            pattern: &str,
            _demangled: bool,
        ) -> Result<Vec<UserSite>, String> {
            Ok(["f1", "f2", "g"]
                .iter()
                .enumerate()
                .filter(|(_, f)| super::super::probes::glob_match(pattern, f))
                .map(|(i, f)| UserSite {
                    path: query.target.to_string(),
                    attach_path: format!("/abs/{}", query.target),
                    func: f.to_string(),
                    symbol: f.to_string(),
                    offset: 0x100 * (i as u64 + 1),
                    size: 0x10,
                })
                .collect())
        }
        /// Instructions of four bytes, as on arm64; g+8 cannot be decoded.
        fn user_starts_instruction(&self, _: &str, offset: u64) -> Option<bool> {
            (offset != 0x308).then_some(offset.is_multiple_of(4))
        }
        fn usdt_sites(
            &self,
            query: UserQuery<'_>,
            provider: &str,
            name: &str,
        ) -> Result<Vec<UsdtSite>, String> {
            let site = |p: &str, n: &str, offset| UsdtSite {
                path: query.target.to_string(),
                attach_path: query.target.to_string(),
                provider: p.into(),
                name: n.into(),
                offset,
                semaphore_offset: 0,
                args: Vec::new(),
            };
            Ok(
                vec![site("a", "x", 1), site("b", "x", 2), site("a", "y", 3)]
                    .into_iter()
                    .filter(|s| provider.is_empty() || s.provider == provider)
                    .filter(|s| super::super::probes::glob_match(name, &s.name))
                    .collect(),
            )
        }
    }

    fn names(v: &[ExpandedAttach]) -> Vec<&str> {
        v.iter().map(|e| e.name.as_str()).collect()
    }

    fn parts(s: &str) -> Vec<String> {
        super::super::probes::split_parts(s)
    }

    #[test]
    fn uprobes_expand_with_offsets_and_wildcards() {
        let all = expand_uprobe(&parts("uprobe:./bin:f*"), false, &Files, None, false).unwrap();
        assert_eq!(names(&all), ["uprobe:./bin:f1", "uprobe:./bin:f2"]);
        let plus = expand_uprobe(&parts("uprobe:./bin:g+4"), false, &Files, None, false).unwrap();
        assert_eq!(names(&plus), ["uprobe:./bin:g+4"]);
        assert_eq!(
            plus[0].attach,
            Attach::Uprobe {
                path: "/abs/./bin".into(),
                offset: 0x304,
                ret: false,
                func: "g".into()
            }
        );
        let ret = expand_uprobe(&parts("uretprobe:./bin:g"), true, &Files, None, false).unwrap();
        assert_eq!(names(&ret), ["uretprobe:./bin:g"]);
        assert_eq!(
            expand_uprobe(&parts("uprobe:./bin:nope"), false, &Files, None, false).unwrap_err(),
            "No matches for uprobe ./bin:nope."
        );
        assert!(expand_uprobe(&parts("uretprobe:./bin:g+1"), true, &Files, None, false).is_err());
        assert_eq!(
            expand_uprobe(&parts("uprobe:./bin:g+16"), false, &Files, None, false).unwrap_err(),
            "Offset outside the function bounds ('g' size is 16)"
        );
        assert!(expand_uprobe(&parts("uprobe:./bin"), false, &Files, None, false).is_err());
    }

    #[test]
    fn uprobes_inside_an_instruction_need_unsafe() {
        let hint = "Use --unsafe to force attachment. WARNING: This option could lead to data corruption in the target process.";
        assert_eq!(
            expand_uprobe(&parts("uprobe:./bin:g+2"), false, &Files, None, false).unwrap_err(),
            format!("Could not add uprobe into middle of instruction: ./bin:g+2\n{hint}")
        );
        assert_eq!(
            expand_uprobe(&parts("uprobe:./bin:g+8"), false, &Files, None, false).unwrap_err(),
            format!("Failed to check if uprobe is in proper place: ./bin:g+8\n{hint}")
        );
        for unchecked in ["uprobe:./bin:g+2", "uprobe:./bin:g+8"] {
            let sites = expand_uprobe(&parts(unchecked), false, &Files, None, true).unwrap();
            assert_eq!(names(&sites), [unchecked]);
        }
    }

    #[test]
    fn usdt_forms() {
        let full = expand_usdt(&parts("usdt:./b:a:x"), &Files, None).unwrap();
        assert_eq!(names(&full), ["usdt:./b:a:x"]);
        let any_provider = expand_usdt(&parts("usdt:./b:x"), &Files, None).unwrap();
        assert_eq!(names(&any_provider), ["usdt:./b:a:x", "usdt:./b:b:x"]);
        let empty_provider = expand_usdt(&parts("usdt:./b::*"), &Files, None).unwrap();
        assert_eq!(empty_provider.len(), 3);
        assert!(expand_usdt(&parts("usdt:./b:a:zz"), &Files, None).is_err());
    }
}
