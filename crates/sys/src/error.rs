//! The one error type of the crate: which operation failed, the errno the
//! kernel returned, and for program loads the verifier's log.

use std::fmt;

/// A failed kernel operation.
///
/// `Display` prints `operation: strerror`, e.g.
/// `bpf(BPF_PROG_LOAD): Permission denied`, followed by an explanation when
/// there is one. The verifier log is kept apart so callers can decide how
/// much of it to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    op: String,
    errno: Option<i32>,
    explanation: Option<String>,
    verifier_log: Option<String>,
    /// The kernel refused by policy what it allows other programs (e.g.
    /// tracing programs where BPF trampolines are forbidden): not a
    /// missing privilege.
    policy_refusal: bool,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An operation that failed with `errno`.
    pub fn os(op: impl Into<String>, errno: i32) -> Error {
        Error {
            op: op.into(),
            errno: Some(errno),
            explanation: None,
            verifier_log: None,
            policy_refusal: false,
        }
    }

    /// An operation refused before reaching the kernel (bad input, bad
    /// file contents).
    pub fn invalid(op: impl Into<String>, explanation: impl Into<String>) -> Error {
        Error {
            op: op.into(),
            errno: None,
            explanation: Some(explanation.into()),
            verifier_log: None,
            policy_refusal: false,
        }
    }

    pub(crate) fn from_io(op: impl Into<String>, err: &std::io::Error) -> Error {
        match err.raw_os_error() {
            Some(errno) => Error::os(op, errno),
            None => Error::invalid(op, err.to_string()),
        }
    }

    pub(crate) fn with_explanation(mut self, explanation: impl Into<String>) -> Error {
        self.explanation = Some(explanation.into());
        self
    }

    pub(crate) fn marked_policy_refusal(mut self) -> Error {
        self.policy_refusal = true;
        self
    }

    pub(crate) fn with_verifier_log(mut self, log: String) -> Error {
        self.verifier_log = Some(log);
        self
    }

    /// The operation, e.g. `bpf(BPF_MAP_CREATE)` or
    /// `read /sys/kernel/tracing/events/sched/sched_switch/id`.
    pub fn op(&self) -> &str {
        &self.op
    }

    pub fn errno(&self) -> Option<i32> {
        self.errno
    }

    /// What the verifier said, when a program load failed and the second,
    /// logged, attempt produced a log.
    pub fn verifier_log(&self) -> Option<&str> {
        self.verifier_log.as_deref()
    }

    /// True when the kernel refused for lack of privilege (`EPERM` or
    /// `EACCES` from `bpf(2)` or `perf_event_open(2)`): the caller is not
    /// root, lacks `CAP_BPF`/`CAP_PERFMON`, or BPF is locked down. A
    /// verifier rejection with a log is not a privilege problem even when
    /// its errno is `EACCES`, nor is a kernel refusing one kind of program
    /// to everyone (its explanation says so).
    pub fn is_permission_denied(&self) -> bool {
        let privileged_op = self.op.starts_with("bpf(") || self.op.starts_with("perf_event_open");
        privileged_op
            && !self.policy_refusal
            && self.verifier_log.as_deref().is_none_or(str::is_empty)
            && matches!(self.errno, Some(libc::EPERM) | Some(libc::EACCES))
    }

    /// True for `ENOENT`: the object, file or key does not exist.
    pub fn is_not_found(&self) -> bool {
        self.errno == Some(libc::ENOENT)
    }
}

/// The C library's text for `errno`, without Rust's `(os error N)` suffix.
pub fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.op)?;
        if let Some(errno) = self.errno {
            write!(f, ": {}", strerror(errno))?;
        }
        if let Some(explanation) = &self.explanation {
            write!(f, ": {explanation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_operation_and_errno_text() {
        let e = Error::os("bpf(BPF_PROG_LOAD)", libc::EPERM);
        assert_eq!(e.to_string(), "bpf(BPF_PROG_LOAD): Operation not permitted");
        assert!(e.is_permission_denied());
        let e = Error::os("bpf(BPF_PROG_LOAD)", libc::EACCES)
            .with_verifier_log("0: R0 !read_ok".into());
        assert!(!e.is_permission_denied());
        assert_eq!(e.verifier_log(), Some("0: R0 !read_ok"));
    }

    #[test]
    fn invalid_input_has_no_errno() {
        let e = Error::invalid(
            "map name",
            "`a-b` has a character other than A-Z a-z 0-9 _ .",
        );
        assert_eq!(e.errno(), None);
        assert_eq!(
            e.to_string(),
            "map name: `a-b` has a character other than A-Z a-z 0-9 _ ."
        );
        assert!(!e.is_permission_denied());
    }

    #[test]
    fn explanation_follows_errno() {
        let e = Error::os("open /x", libc::ENOENT).with_explanation("no such tracepoint");
        assert_eq!(
            e.to_string(),
            "open /x: No such file or directory: no such tracepoint"
        );
        assert!(e.is_not_found());
    }
}
