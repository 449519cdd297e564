//! How a session runs: what the command line decided.

use std::path::PathBuf;
use std::sync::Arc;

use sonde_sys::Notifier;

/// `-f text` or `-f json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Where program output goes (stderr messages always go to stderr).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum OutputSink {
    #[default]
    Stdout,
    /// `-o FILE`: created or truncated.
    File(PathBuf),
}

/// Ends a running session from another thread, as SIGINT would.
#[derive(Clone, Debug)]
pub struct StopHandle {
    notifier: Notifier,
}

impl StopHandle {
    pub fn new() -> sonde_sys::Result<StopHandle> {
        Ok(StopHandle {
            notifier: Notifier::new()?,
        })
    }

    pub fn stop(&self) {
        self.notifier.notify();
    }

    pub(crate) fn notifier(&self) -> &Notifier {
        &self.notifier
    }
}

/// Called once every probe is attached (after the `Attached N probes`
/// message), before the `-c` command is released.
pub type AttachedCallback = Arc<dyn Fn() + Send + Sync>;

/// Everything [`crate::Session::run`] needs besides the object.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// `-q`: no `Attached N probes` message.
    pub quiet: bool,
    /// Print `__BPFTRACE_NOTIFY_PROBES_ATTACHED` on stdout once attached
    /// (bpftrace's test hook; see [`RunOptions::notify_from_env`]).
    pub notify_attached: bool,
    pub format: OutputFormat,
    pub sink: OutputSink,
    /// `-c CMD`: the command and its arguments.
    pub child: Option<Vec<String>>,
    /// `-p PID`: user-space probes attach in this process only (with `-c`,
    /// they attach in the command's process); watchpoints and software
    /// events follow its threads.
    pub pid: Option<u32>,
    /// `-v`: program ids, verifier statistics and start-up timings on stderr.
    pub verbose: bool,
    /// Lets another thread end the session.
    pub stop: Option<StopHandle>,
    /// `--no-warnings`: `warnf()` prints nothing.
    pub no_warnings: bool,
    pub on_attached: Option<AttachedCallback>,
    /// `--mode bench`: run the `bench:` probes (and BEGIN and END), print
    /// how long each takes, attach nothing else.
    pub bench: bool,
}

impl RunOptions {
    /// True when `__BPFTRACE_NOTIFY_PROBES_ATTACHED` is set in the
    /// environment, as bpftrace's runtime tests set it.
    pub fn notify_from_env() -> bool {
        std::env::var_os("__BPFTRACE_NOTIFY_PROBES_ATTACHED").is_some()
    }
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("quiet", &self.quiet)
            .field("notify_attached", &self.notify_attached)
            .field("format", &self.format)
            .field("sink", &self.sink)
            .field("child", &self.child)
            .field("pid", &self.pid)
            .field("verbose", &self.verbose)
            .field("stop", &self.stop.is_some())
            .field("no_warnings", &self.no_warnings)
            .field("on_attached", &self.on_attached.is_some())
            .field("bench", &self.bench)
            .finish()
    }
}
