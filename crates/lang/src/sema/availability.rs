//! Whether the running kernel can serve the attach points a script uses,
//! asked once per facility, and the one error that says what is missing and
//! what to trace instead.

use std::collections::HashMap;

use super::env::{Facility, ProbeEnv};
use super::probes::{has_wildcard, Attach};
use crate::diag::Diagnostic;
use crate::span::Span;

/// The kernel facility `attach` needs beyond BPF and perf events.
pub fn facility_of(attach: &Attach) -> Option<Facility> {
    match attach {
        Attach::Kprobe { .. } => Some(Facility::Kprobes),
        Attach::Fentry { .. } => Some(Facility::Trampolines),
        Attach::Iter { .. } => Some(Facility::Iterators),
        Attach::Hardware { .. } => Some(Facility::HardwarePmu),
        Attach::Watchpoint { .. } => Some(Facility::Breakpoints),
        _ => None,
    }
}

/// Remembers the kernel's answer for each facility asked about.
#[derive(Default)]
pub struct Availability {
    answers: HashMap<Facility, Option<String>>,
}

impl Availability {
    /// `Ok` when the kernel can serve `attach`; otherwise the error for the
    /// attach point at `span` shown as `name`: its expanded name, or the
    /// attach point as written when that has wildcards.
    pub fn check(
        &mut self,
        attach: &Attach,
        name: &str,
        span: Span,
        env: &dyn ProbeEnv,
    ) -> Result<(), Diagnostic> {
        let Some(facility) = facility_of(attach) else {
            return Ok(());
        };
        let reason = self
            .answers
            .entry(facility)
            .or_insert_with(|| env.missing(facility));
        let Some(reason) = reason else {
            return Ok(());
        };
        let what = match facility {
            Facility::Kprobes => "kprobes are unavailable",
            Facility::Trampolines => "fentry/fexit probes are unavailable",
            Facility::Iterators => "iterator probes are unavailable",
            Facility::HardwarePmu => "hardware events are unavailable",
            Facility::Breakpoints => "watchpoints are unavailable",
        };
        let help = if has_wildcard(name) {
            pattern_alternative(name)
        } else {
            alternative(attach, env)
        };
        Err(Diagnostic::error(span, format!("{name}: {what}: {reason}")).with_help(help))
    }
}

/// What to use instead of an attach point this kernel cannot serve.
fn alternative(attach: &Attach, env: &dyn ProbeEnv) -> String {
    match attach {
        Attach::Kprobe { function, ret, .. } | Attach::Fentry { function, ret, .. } => {
            function_alternative(function, *ret, env)
        }
        Attach::Hardware { .. } => {
            "count a software event instead, e.g. software:cpu-clock:1000000 or \
             software:page-faults:1 (sonde -l 'software:*' lists them)"
                .into()
        }
        Attach::Watchpoint { .. } => {
            "trace the code that writes the memory through a tracepoint instead".into()
        }
        Attach::Iter { .. } => {
            "walk the objects from a tracepoint or interval probe instead".into()
        }
        _ => "trace the event through a tracepoint or a raw tracepoint instead".into(),
    }
}

/// What to trace instead of the functions an attach point with wildcards
/// names (`kprobe:tcp_*`): the tracepoints named like them.
fn pattern_alternative(point: &str) -> String {
    let pattern = point.rsplit(':').next().unwrap_or(point).trim_matches('*');
    if pattern.is_empty() {
        "trace the events through tracepoints or raw tracepoints instead \
         (sonde -l 'tracepoint:*' lists them)"
            .into()
    } else {
        format!(
            "trace the events through tracepoints or raw tracepoints instead \
             (sonde -l 'tracepoint:*{pattern}*' lists those named like them)"
        )
    }
}

/// A tracepoint for the kernel function `function`: the syscall tracepoint
/// of the syscall it implements (`do_sys_openat2` and `__x64_sys_openat`:
/// `sys_enter_openat`), or a tracepoint of the same name.
fn function_alternative(function: &str, ret: bool, env: &dyn ProbeEnv) -> String {
    let tracepoints = env.tracepoints().unwrap_or_default();
    let exists = |c: &str, n: &str| tracepoints.iter().any(|(tc, tn)| tc == c && tn == n);
    if !function.is_empty() {
        if let Some((category, _)) = tracepoints.iter().find(|(_, n)| n == function) {
            return format!(
                "trace tracepoint:{category}:{function} instead (or rawtracepoint:{function})"
            );
        }
        let phase = if ret { "sys_exit_" } else { "sys_enter_" };
        let found: Vec<String> = syscall_stems(function)
            .into_iter()
            .map(|stem| format!("{phase}{stem}"))
            .filter(|name| exists("syscalls", name))
            .collect();
        if let Some((first, others)) = found.split_first() {
            let mut help = format!("trace tracepoint:syscalls:{first} instead");
            if !others.is_empty() {
                help.push_str(&format!(" (or {})", others.join(", ")));
            }
            return help;
        }
    }
    let stem = syscall_stems(function)
        .pop()
        .unwrap_or_else(|| function.to_string());
    if stem.is_empty() {
        "trace the event through a tracepoint or a raw tracepoint instead".into()
    } else {
        format!(
            "trace the event through a tracepoint or a raw tracepoint instead \
             (sonde -l '*{stem}*' lists those named like it)"
        )
    }
}

/// Syscall names a kernel function may implement, most likely first:
/// `do_sys_openat2` gives `openat`, `openat2`.
fn syscall_stems(function: &str) -> Vec<String> {
    const PREFIXES: [&str; 12] = [
        "__x64_sys_",
        "__ia32_sys_",
        "__arm64_sys_",
        "__se_sys_",
        "__do_sys_",
        "__sys_",
        "do_sys_",
        "ksys_",
        "sys_",
        "vfs_",
        "do_",
        "__",
    ];
    let stem = PREFIXES
        .iter()
        .find_map(|p| function.strip_prefix(p))
        .unwrap_or(function);
    let mut stems = Vec::new();
    let trimmed = stem.trim_end_matches(|c: char| c.is_ascii_digit());
    if !trimmed.is_empty() && trimmed != stem {
        stems.push(trimmed.to_string());
    }
    if !stem.is_empty() {
        stems.push(stem.to_string());
    }
    stems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sema::fake_env::FakeEnv;

    #[test]
    fn syscall_alternatives() {
        let env = FakeEnv::default();
        assert_eq!(
            function_alternative("do_sys_openat2", false, &env),
            "trace tracepoint:syscalls:sys_enter_openat instead"
        );
        assert_eq!(
            function_alternative("vfs_read", true, &env),
            "trace tracepoint:syscalls:sys_exit_read instead"
        );
        assert_eq!(
            function_alternative("sched_switch", false, &env),
            "trace tracepoint:sched:sched_switch instead (or rawtracepoint:sched_switch)"
        );
        assert_eq!(
            function_alternative("tcp_connect", false, &env),
            "trace the event through a tracepoint or a raw tracepoint instead \
             (sonde -l '*tcp_connect*' lists those named like it)"
        );
    }
}
