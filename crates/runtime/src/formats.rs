//! Values that become text in user space: error and signal descriptions,
//! system call names, wall-clock timestamps, cgroup paths, IP and MAC
//! addresses, as bpftrace prints them.

use std::net::{Ipv4Addr, Ipv6Addr};

use sonde_codegen::object::TextFormat;

/// The text of the u64 `value` as `format` says.
pub fn text(format: &TextFormat, value: u64) -> String {
    match format {
        TextFormat::Strerror => sonde_sys::strerror(value as i32),
        TextFormat::SignalName => signal_name(value as i64),
        TextFormat::SyscallName => u32::try_from(value)
            .ok()
            .and_then(sonde_codegen::syscall_name)
            .map_or_else(|| value.to_string(), str::to_string),
        TextFormat::Timestamp { format } => timestamp(format, value),
        TextFormat::CgroupPath => cgroup_path(value),
    }
}

/// The C library's descriptions of the standard signals.
const SIGNALS: &[&str] = &[
    "Hangup",
    "Interrupt",
    "Quit",
    "Illegal instruction",
    "Trace/breakpoint trap",
    "Aborted",
    "Bus error",
    "Floating point exception",
    "Killed",
    "User defined signal 1",
    "Segmentation fault",
    "User defined signal 2",
    "Broken pipe",
    "Alarm clock",
    "Terminated",
    "Stack fault",
    "Child exited",
    "Continued",
    "Stopped (signal)",
    "Stopped",
    "Stopped (tty input)",
    "Stopped (tty output)",
    "Urgent I/O condition",
    "CPU time limit exceeded",
    "File size limit exceeded",
    "Virtual timer expired",
    "Profiling timer expired",
    "Window changed",
    "I/O possible",
    "Power failure",
    "Bad system call",
];

/// Linux's highest signal number (`SIGRTMAX`).
const SIGRTMAX: i64 = 64;

/// A signal as `strsignal(3)` describes it; `N/A` beyond the last.
fn signal_name(sig: i64) -> String {
    match sig {
        1..=31 => SIGNALS[sig as usize - 1].to_string(),
        32..=SIGRTMAX => format!("Real-time signal {}", sig - 32),
        0 => "Unknown signal 0".to_string(),
        _ => "N/A".to_string(),
    }
}

/// `ns` of the boot clock (what `nsecs` reads) as wall-clock time: the
/// format with `%f` standing for the microseconds.
fn timestamp(format: &str, ns: u64) -> String {
    use sonde_sys::{clock_ns, Clock};
    let offset = clock_ns(Clock::Realtime) as i128 - clock_ns(Clock::Boottime) as i128;
    let wall = ns as i128 + offset;
    let secs = wall.div_euclid(1_000_000_000) as i64;
    let micros = wall.rem_euclid(1_000_000_000) / 1000;
    // `%%f` is a literal `%f`: only an unescaped one is replaced.
    let mut expanded = String::with_capacity(format.len());
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('%', Some('%')) => {
                chars.next();
                expanded.push_str("%%");
            }
            ('%', Some('f')) => {
                chars.next();
                expanded.push_str(&format!("{micros:06}"));
            }
            _ => expanded.push(c),
        }
    }
    sonde_sys::time::strftime(&expanded, secs)
}

/// Where cgroup v2 is mounted.
const CGROUP2: &str = "/sys/fs/cgroup";

/// The cgroup v2 directory whose inode is `id`, as bpftrace prints it
/// (`unified:/path`); the id in decimal when there is none.
fn cgroup_path(id: u64) -> String {
    use std::os::unix::fs::MetadataExt;
    fn find(dir: &std::path::Path, id: u64, depth: u32) -> Option<std::path::PathBuf> {
        if depth > 64 {
            return None;
        }
        if std::fs::metadata(dir).ok()?.ino() == id {
            return Some(dir.to_path_buf());
        }
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                if let Some(found) = find(&entry.path(), id, depth + 1) {
                    return Some(found);
                }
            }
        }
        None
    }
    let root = std::path::Path::new(CGROUP2);
    match find(root, id, 0) {
        Some(path) => {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            format!("unified:/{}", relative.display())
        }
        None => id.to_string(),
    }
}

/// An address of family `af` (2 for IPv4, 10 for IPv6) as `inet_ntop(3)`
/// writes it.
pub fn inet(af: u64, bytes: &[u8]) -> String {
    match (af, bytes.len()) {
        (2, n) if n >= 4 => Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        (10, n) if n >= 16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&bytes[..16]);
            Ipv6Addr::from(octets).to_string()
        }
        _ => String::new(),
    }
}

/// Six bytes as `AA:BB:CC:DD:EE:FF`.
pub fn mac(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(6)
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_errors_and_syscalls_are_named() {
        assert_eq!(text(&TextFormat::SignalName, 2), "Interrupt");
        assert_eq!(text(&TextFormat::SignalName, 0), "Unknown signal 0");
        assert_eq!(text(&TextFormat::SignalName, 34), "Real-time signal 2");
        assert_eq!(text(&TextFormat::SignalName, 1024), "N/A");
        assert_eq!(text(&TextFormat::Strerror, 22), "Invalid argument");
        assert_eq!(text(&TextFormat::Strerror, 7), "Argument list too long");
        if cfg!(target_arch = "x86_64") {
            assert_eq!(text(&TextFormat::SyscallName, 0), "read");
            assert_eq!(text(&TextFormat::SyscallName, 4), "stat");
            assert_eq!(text(&TextFormat::SyscallName, 262), "newfstatat");
        }
    }

    #[test]
    fn timestamps_keep_microseconds() {
        let a = timestamp("%s.%f", 1_000_123_000);
        let b = timestamp("%s.%f", 0);
        let parse = |t: &str| -> f64 { t.parse().unwrap() };
        let delta = parse(&a) - parse(&b);
        assert!((delta - 1.000123).abs() < 1e-6, "{a} - {b}");
        assert_eq!(timestamp("100%%f", 0), "100%f");
    }

    #[test]
    fn addresses_print_as_c_does() {
        assert_eq!(inet(2, &[127, 0, 0, 1]), "127.0.0.1");
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(inet(10, &v6), "::1");
        assert_eq!(mac(&[5, 4, 3, 2, 1, 0xab]), "05:04:03:02:01:AB");
    }
}
