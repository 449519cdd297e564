//! The attach points served by perf events and by the tracer itself:
//! `software:`, `hardware:`, `watchpoint:` and `self:signal:`. Names,
//! aliases, perf config numbers and default periods are the kernel's and
//! bpftrace's facts; parsing them into [`Attach`] values is ours.

use super::probes::{parse_count, Attach, ExpandedAttach};

/// A named perf event of a fixed type (`PERF_TYPE_SOFTWARE` or
/// `PERF_TYPE_HARDWARE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedEvent {
    pub name: &'static str,
    /// Another name for the same event (`cpu` for `cpu-clock`).
    pub alias: Option<&'static str>,
    /// `perf_event_attr.config`.
    pub config: u64,
    /// The sampling period when the attach point gives none.
    pub default_period: u64,
}

const fn event(
    name: &'static str,
    alias: Option<&'static str>,
    config: u64,
    default_period: u64,
) -> NamedEvent {
    NamedEvent {
        name,
        alias,
        config,
        default_period,
    }
}

/// `PERF_COUNT_SW_*`, sorted by name (the order `-l` prints them in).
pub const SOFTWARE_EVENTS: &[NamedEvent] = &[
    event("alignment-faults", None, 7, 1),
    event("bpf-output", None, 10, 1),
    event("context-switches", Some("cs"), 3, 1000),
    event("cpu-clock", Some("cpu"), 0, 1_000_000),
    event("cpu-migrations", None, 4, 1),
    event("dummy", None, 9, 1),
    event("emulation-faults", None, 8, 1),
    event("major-faults", None, 6, 1),
    event("minor-faults", None, 5, 100),
    event("page-faults", Some("faults"), 2, 100),
    event("task-clock", None, 1, 1),
];

/// `PERF_COUNT_HW_*`, sorted by name.
pub const HARDWARE_EVENTS: &[NamedEvent] = &[
    event("backend-stalls", None, 8, 1_000_000),
    event("branch-instructions", Some("branches"), 4, 100_000),
    event("branch-misses", None, 5, 100_000),
    event("bus-cycles", None, 6, 100_000),
    event("cache-misses", None, 3, 1_000_000),
    event("cache-references", None, 2, 1_000_000),
    event("cpu-cycles", Some("cycles"), 0, 1_000_000),
    event("frontend-stalls", None, 7, 1_000_000),
    event("instructions", None, 1, 1_000_000),
    event("ref-cycles", None, 9, 1_000_000),
];

/// Signals a `self:signal:` probe can name.
pub const SELF_SIGNALS: &[(&str, i32)] = &[("SIGUSR1", 10)];

/// Hardware breakpoint access bits (`HW_BREAKPOINT_R`, `_W`, `_X`).
pub const ACCESS_READ: u8 = 1;
pub const ACCESS_WRITE: u8 = 2;
pub const ACCESS_EXECUTE: u8 = 4;

/// `software:event[:count]` and `hardware:event[:count]`.
pub fn expand_counter(parts: &[String], hardware: bool) -> Result<ExpandedAttach, String> {
    let (provider, table) = if hardware {
        ("hardware", HARDWARE_EVENTS)
    } else {
        ("software", SOFTWARE_EVENTS)
    };
    let (name, count) = match parts {
        [_, name] => (name, None),
        [_, name, count] => (name, Some(count)),
        _ => {
            return Err(format!(
                "{provider} probes take the form {provider}:event or {provider}:event:count"
            ))
        }
    };
    if name.is_empty() {
        return Err(format!(
            "{provider} probe must have a {provider} event name"
        ));
    }
    if super::probes::has_wildcard(name) {
        return Err(format!(
            "wildcards are not allowed for {provider} probe type"
        ));
    }
    let Some(event) = table
        .iter()
        .find(|e| e.name == name || e.alias == Some(name.as_str()))
    else {
        return Err(format!("{name} is not a {provider} probe"));
    };
    let period = match count.map(String::as_str) {
        None | Some("") | Some("*") => event.default_period,
        Some(text) => {
            parse_count(text).map_err(|e| format!("Invalid count for {provider} probe: {e}"))?
        }
    };
    let attach = if hardware {
        Attach::Hardware {
            config: event.config,
            period,
        }
    } else {
        Attach::Software {
            config: event.config,
            period,
        }
    };
    Ok(ExpandedAttach {
        attach,
        name: format!("{provider}:{}", parts[1..].join(":")),
    })
}

/// `watchpoint:ADDR:LEN:MODE` (and `asyncwatchpoint:`, the same for an
/// absolute address).
pub fn expand_watchpoint(parts: &[String]) -> Result<ExpandedAttach, String> {
    let [_, addr, len, mode] = parts else {
        return Err("watchpoint probes take the form watchpoint:ADDRESS:LENGTH:MODE".into());
    };
    if addr.contains('+') {
        return Err(
            "watchpoints on a function argument (FUNC+ARG) are not supported by bpftrace 0.26; \
             give an absolute address"
                .into(),
        );
    }
    let addr = parse_address(addr)
        .ok_or_else(|| format!("Invalid function/address argument: '{addr}' is not an address"))?;
    if addr == 0 {
        return Err("watchpoint must be attached to a non-zero address".into());
    }
    let len: u8 = match parse_address(len) {
        Some(n @ (1 | 2 | 4 | 8)) => n as u8,
        _ => return Err("watchpoint length must be one of (1,2,4,8)".into()),
    };
    let mut access = 0u8;
    for c in mode.chars() {
        let bit = match c {
            'r' => ACCESS_READ,
            'w' => ACCESS_WRITE,
            'x' => ACCESS_EXECUTE,
            _ => return Err("watchpoint mode must be combination of (r,w,x)".into()),
        };
        if access & bit != 0 {
            return Err("watchpoint modes may not be duplicated".into());
        }
        access |= bit;
    }
    // x86's debug registers watch writes, reads-or-writes, or execution.
    if !matches!(
        access,
        ACCESS_WRITE | ACCESS_EXECUTE | 3 /* read and write */
    ) {
        let mut sorted: Vec<char> = mode.chars().collect();
        sorted.sort_unstable();
        return Err(format!(
            "invalid watchpoint mode: {}; supported modes: rw,w,x",
            sorted.into_iter().collect::<String>()
        ));
    }
    Ok(ExpandedAttach {
        attach: Attach::Watchpoint { addr, len, access },
        name: format!("watchpoint:{}", parts[1..].join(":")),
    })
}

/// `self:signal:SIGUSR1`.
pub fn expand_self(parts: &[String]) -> Result<ExpandedAttach, String> {
    match parts {
        [_, trigger, name] if trigger == "signal" => {
            let Some(&(_, signal)) = SELF_SIGNALS.iter().find(|(n, _)| n == name) else {
                return Err(format!("{name} is not a supported signal"));
            };
            Ok(ExpandedAttach {
                attach: Attach::Signal { signal },
                name: format!("self:signal:{name}"),
            })
        }
        [_, trigger, ..] => Err(format!("{trigger} is not a supported trigger")),
        _ => Err("self probes take the form self:signal:SIGUSR1".into()),
    }
}

/// A decimal or `0x` hexadecimal number.
pub fn parse_address(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> Vec<String> {
        s.split(':').map(str::to_string).collect()
    }

    #[test]
    fn software_names_aliases_and_defaults() {
        let e = expand_counter(&parts("software:cpu:100000"), false).unwrap();
        assert_eq!(
            e.attach,
            Attach::Software {
                config: 0,
                period: 100_000
            }
        );
        assert_eq!(e.name, "software:cpu:100000");
        let e = expand_counter(&parts("software:faults"), false).unwrap();
        assert_eq!(
            e.attach,
            Attach::Software {
                config: 2,
                period: 100
            }
        );
        assert_eq!(
            expand_counter(&parts("software:nope:1"), false).unwrap_err(),
            "nope is not a software probe"
        );
        assert_eq!(
            expand_counter(&parts("hardware:cycles:1e6"), true)
                .unwrap()
                .attach,
            Attach::Hardware {
                config: 0,
                period: 1_000_000
            }
        );
    }

    #[test]
    fn watchpoints() {
        let e = expand_watchpoint(&parts("watchpoint:0x10000000:8:rw")).unwrap();
        assert_eq!(
            e.attach,
            Attach::Watchpoint {
                addr: 0x1000_0000,
                len: 8,
                access: 3
            }
        );
        assert_eq!(
            expand_watchpoint(&parts("watchpoint:0x1000:3:w")).unwrap_err(),
            "watchpoint length must be one of (1,2,4,8)"
        );
        assert_eq!(
            expand_watchpoint(&parts("watchpoint:0x1000:1:r")).unwrap_err(),
            "invalid watchpoint mode: r; supported modes: rw,w,x"
        );
        assert_eq!(
            expand_watchpoint(&parts("watchpoint:0x1000:1:ww")).unwrap_err(),
            "watchpoint modes may not be duplicated"
        );
        assert_eq!(
            expand_watchpoint(&parts("watchpoint:0:1:w")).unwrap_err(),
            "watchpoint must be attached to a non-zero address"
        );
    }

    #[test]
    fn self_signals() {
        assert_eq!(
            expand_self(&parts("self:signal:SIGUSR1")).unwrap().attach,
            Attach::Signal { signal: 10 }
        );
        assert_eq!(
            expand_self(&parts("self:signal:SIGUSR2")).unwrap_err(),
            "SIGUSR2 is not a supported signal"
        );
    }
}
