//! tracefs (where tracepoints are listed and described) and bpffs (where
//! BPF objects are pinned), found or mounted on first use.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::syscall;
use crate::{Error, Result};

const TRACEFS: &str = "/sys/kernel/tracing";
const DEBUGFS: &str = "/sys/kernel/debug";
const DEBUGFS_TRACING: &str = "/sys/kernel/debug/tracing";
const BPFFS: &str = "/sys/fs/bpf";

const TRACEFS_MAGIC: i64 = 0x7472_6163;
const BPF_FS_MAGIC: i64 = 0xcafe_4a11;

/// A tracefs mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tracefs {
    root: PathBuf,
}

fn is_tracefs(dir: &str) -> bool {
    Path::new(dir).join("events").is_dir()
}

fn mount(source: &str, target: &str, fstype: &str, data: Option<&str>) -> Result<()> {
    let op = format!("mount {fstype} on {target}");
    let c = |s: &str| {
        syscall::cstring(s).ok_or_else(|| Error::invalid(op.clone(), "path contains a NUL"))
    };
    let data = data.map(c).transpose()?;
    syscall::mount(&c(source)?, &c(target)?, &c(fstype)?, data.as_deref())
        .map_err(|errno| Error::os(op, errno))
}

fn locate() -> Result<Tracefs> {
    if is_tracefs(TRACEFS) {
        return Ok(Tracefs::at(TRACEFS));
    }
    if is_tracefs(DEBUGFS_TRACING) {
        return Ok(Tracefs::at(DEBUGFS_TRACING));
    }
    let first = match mount("tracefs", TRACEFS, "tracefs", None) {
        Ok(()) if is_tracefs(TRACEFS) => return Ok(Tracefs::at(TRACEFS)),
        Ok(()) => Error::invalid(
            format!("mount tracefs on {TRACEFS}"),
            "mounted, but it has no events directory",
        ),
        Err(e) => e,
    };
    // Kernels without /sys/kernel/tracing reach tracefs through debugfs,
    // which mounts it automatically under tracing/.
    if Path::new(DEBUGFS).is_dir()
        && mount("debugfs", DEBUGFS, "debugfs", None).is_ok()
        && is_tracefs(DEBUGFS_TRACING)
    {
        return Ok(Tracefs::at(DEBUGFS_TRACING));
    }
    Err(first.with_explanation(
        "cannot find or mount tracefs (tried /sys/kernel/tracing and /sys/kernel/debug/tracing)",
    ))
}

impl Tracefs {
    /// The process-wide tracefs: found, or mounted, once.
    pub fn get() -> Result<&'static Tracefs> {
        static FOUND: OnceLock<std::result::Result<Tracefs, Error>> = OnceLock::new();
        FOUND.get_or_init(locate).as_ref().map_err(Clone::clone)
    }

    /// A tracefs at a known path (tests, unusual mounts).
    pub fn at(root: impl Into<PathBuf>) -> Tracefs {
        Tracefs { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn read(&self, relative: &str) -> Result<String> {
        let path = self.root.join(relative);
        std::fs::read_to_string(&path)
            .map_err(|e| Error::from_io(format!("read {}", path.display()), &e))
    }

    /// The text of `available_events`: one `category:name` a line.
    pub fn available_events(&self) -> Result<String> {
        self.read("available_events")
    }

    /// `available_events` as `(category, name)` pairs, in file order.
    pub fn tracepoints(&self) -> Result<Vec<(String, String)>> {
        Ok(parse_available_events(&self.available_events()?))
    }

    fn check_component(what: &str, part: &str) -> Result<()> {
        if part.is_empty() || part.contains('/') || part == "." || part == ".." {
            return Err(Error::invalid(
                format!("tracepoint {what}"),
                format!("`{part}` is not a tracepoint {what}"),
            ));
        }
        Ok(())
    }

    /// The id a perf event of type `PERF_TYPE_TRACEPOINT` takes as config.
    pub fn event_id(&self, category: &str, name: &str) -> Result<u64> {
        Tracefs::check_component("category", category)?;
        Tracefs::check_component("name", name)?;
        let relative = format!("events/{category}/{name}/id");
        let text = self.read(&relative).map_err(|e| {
            if e.is_not_found() {
                e.with_explanation(format!("no tracepoint {category}:{name}"))
            } else {
                e
            }
        })?;
        text.trim().parse().map_err(|_| {
            Error::invalid(
                format!("read {}", self.root.join(relative).display()),
                format!("`{}` is not an id", text.trim()),
            )
        })
    }

    /// The `format` file of a tracepoint, `None` when it does not exist.
    pub fn event_format(&self, category: &str, name: &str) -> Result<Option<String>> {
        Tracefs::check_component("category", category)?;
        Tracefs::check_component("name", name)?;
        match self.read(&format!("events/{category}/{name}/format")) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Split `available_events` text into `(category, name)` pairs; lines
/// without a colon are skipped.
pub fn parse_available_events(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.trim().split_once(':'))
        .map(|(category, name)| (category.to_string(), name.to_string()))
        .collect()
}

/// Make sure a bpffs is mounted at `/sys/fs/bpf` (for pinning), mounting
/// one if needed. Returns its path.
pub fn ensure_bpffs() -> Result<PathBuf> {
    let path = syscall::cstring(BPFFS).expect("constant path has no NUL");
    match syscall::statfs_magic(&path) {
        Ok(BPF_FS_MAGIC) => return Ok(PathBuf::from(BPFFS)),
        Ok(_) => {}
        Err(errno) => return Err(Error::os(format!("statfs {BPFFS}"), errno)),
    }
    mount("bpf", BPFFS, "bpf", Some("mode=0700"))?;
    Ok(PathBuf::from(BPFFS))
}

/// True when `dir` is a tracefs mount (not merely a directory).
pub fn is_tracefs_mount(dir: &Path) -> bool {
    let Some(path) = dir.to_str().and_then(syscall::cstring) else {
        return false;
    };
    syscall::statfs_magic(&path) == Ok(TRACEFS_MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn available_events_split_at_first_colon() {
        let pairs =
            parse_available_events("syscalls:sys_enter_openat\nsched:sched_switch\nbogus\n");
        assert_eq!(
            pairs,
            vec![
                ("syscalls".to_string(), "sys_enter_openat".to_string()),
                ("sched".to_string(), "sched_switch".to_string()),
            ]
        );
    }

    #[test]
    fn path_components_are_checked() {
        let fs = Tracefs::at("/nonexistent");
        assert!(fs.event_id("../x", "y").unwrap_err().errno().is_none());
        assert!(fs.event_format("x", "").is_err());
        assert_eq!(fs.event_format("x", "y").unwrap(), None);
    }
}
