//! The traced command of `-c`: started before the probes are attached but
//! held before `execve` until the tracer says go, so no event is missed.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::syscall;
use crate::{Error, Result};

/// How a child ended, as `waitpid` said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    Signaled(i32),
}

impl ExitStatus {
    fn from_wait(status: i32) -> ExitStatus {
        if libc::WIFEXITED(status) {
            ExitStatus::Exited(libc::WEXITSTATUS(status))
        } else {
            ExitStatus::Signaled(libc::WTERMSIG(status))
        }
    }
}

/// A forked child waiting to `execve` its command. Dropping it before
/// [`PausedChild::release`] makes the child exit without running anything;
/// dropping it while the command runs terminates and reaps it.
#[derive(Debug)]
pub struct PausedChild {
    pid: i32,
    go: Option<OwnedFd>,
    exec_report: OwnedFd,
    exit_fd: Option<OwnedFd>,
    status: Option<ExitStatus>,
}

/// Find `program` as `execvp` would: a name with a slash is a path,
/// anything else is searched in `$PATH`.
pub fn resolve_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn c_string(op: &str, bytes: &[u8]) -> Result<CString> {
    CString::new(bytes)
        .map_err(|_| Error::invalid(op.to_string(), "an argument contains a NUL byte"))
}

impl PausedChild {
    /// Fork a child for `argv` (`argv[0]` looked up in `$PATH`) that waits
    /// for [`PausedChild::release`].
    pub fn spawn(argv: &[String]) -> Result<PausedChild> {
        let op = "spawn child";
        let Some(first) = argv.first() else {
            return Err(Error::invalid(op, "empty command"));
        };
        let program = resolve_program(first).ok_or_else(|| {
            Error::os(format!("{op} `{first}`"), libc::ENOENT)
                .with_explanation("not found in $PATH")
        })?;
        // Everything the child touches is built before the fork.
        let program = c_string(op, program.as_os_str().as_bytes())?;
        let args: Vec<CString> = argv
            .iter()
            .map(|a| c_string(op, a.as_bytes()))
            .collect::<Result<_>>()?;
        let env: Vec<CString> = std::env::vars_os()
            .filter_map(|(k, v)| {
                let mut pair = k.as_bytes().to_vec();
                pair.push(b'=');
                pair.extend_from_slice(v.as_bytes());
                CString::new(pair).ok()
            })
            .collect();
        let mut arg_ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
        arg_ptrs.push(std::ptr::null());
        let mut env_ptrs: Vec<*const libc::c_char> = env.iter().map(|e| e.as_ptr()).collect();
        env_ptrs.push(std::ptr::null());

        let (go_read, go_write) = syscall::pipe().map_err(|errno| Error::os("pipe2", errno))?;
        let (report_read, report_write) =
            syscall::pipe().map_err(|errno| Error::os("pipe2", errno))?;
        let plan = syscall::ChildPlan {
            program: &program,
            argv: &arg_ptrs,
            envp: &env_ptrs,
            go: go_read.as_raw_fd(),
            report: report_write.as_raw_fd(),
        };
        let pid = syscall::fork_paused_exec(&plan).map_err(|errno| Error::os("fork", errno))?;
        drop(go_read);
        drop(report_write);
        // A pidfd lets an event loop wait for the exit without SIGCHLD
        // (kernels before 5.3 have none: callers then poll try_wait).
        let exit_fd = syscall::pidfd_open(pid).ok();
        Ok(PausedChild {
            pid,
            go: Some(go_write),
            exec_report: report_read,
            exit_fd,
            status: None,
        })
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Readable once the child has exited (a pidfd), when the kernel has
    /// `pidfd_open`.
    pub fn exit_fd(&self) -> Option<BorrowedFd<'_>> {
        self.exit_fd.as_ref().map(|fd| fd.as_fd())
    }

    /// Let the child run its command. Fails if `execve` failed (the error
    /// carries its errno).
    pub fn release(&mut self) -> Result<()> {
        let Some(go) = self.go.take() else {
            return Ok(());
        };
        syscall::write(go.as_fd(), &[1]).map_err(|errno| Error::os("release child", errno))?;
        drop(go);
        // The report pipe closes on a successful exec (close-on-exec) and
        // carries the errno otherwise.
        let mut buf = [0u8; 4];
        match syscall::read(self.exec_report.as_fd(), &mut buf) {
            Ok(4) => {
                let errno = i32::from_ne_bytes(buf);
                let _ = self.wait();
                Err(Error::os("execve", errno).with_explanation("running the -c command"))
            }
            _ => Ok(()),
        }
    }

    /// The exit status if the child has ended, without blocking.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        if self.status.is_none() {
            if let Some(status) =
                syscall::waitpid(self.pid, false).map_err(|errno| Error::os("waitpid", errno))?
            {
                self.status = Some(ExitStatus::from_wait(status));
            }
        }
        Ok(self.status)
    }

    /// Block until the child ends.
    pub fn wait(&mut self) -> Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        self.go = None;
        let status = syscall::waitpid(self.pid, true)
            .map_err(|errno| Error::os("waitpid", errno))?
            .map(ExitStatus::from_wait)
            .ok_or_else(|| Error::os("waitpid", libc::ECHILD))?;
        self.status = Some(status);
        Ok(status)
    }

    /// Send `signal` (e.g. `libc::SIGTERM`) unless the child was reaped.
    pub fn kill(&self, signal: i32) -> Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        syscall::kill(self.pid, signal).map_err(|errno| Error::os("kill", errno))
    }

    /// SIGTERM, a grace period, then SIGKILL; reaps the child.
    pub fn terminate(&mut self, grace: Duration) -> Result<ExitStatus> {
        if let Some(status) = self.try_wait()? {
            return Ok(status);
        }
        // A child still paused exits by itself once the go pipe closes.
        if self.go.take().is_none() {
            self.kill(libc::SIGTERM)?;
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        self.kill(libc::SIGKILL)?;
        self.wait()
    }
}

impl Drop for PausedChild {
    fn drop(&mut self) {
        let _ = self.terminate(Duration::from_millis(100));
    }
}

/// The ids of every thread of process `pid` (`/proc/PID/task`).
pub fn process_threads(pid: u32) -> Result<Vec<u32>> {
    let dir = format!("/proc/{pid}/task");
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| Error::os(format!("read {dir}"), e.raw_os_error().unwrap_or(libc::EIO)))?;
    let mut tids: Vec<u32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort_unstable();
    Ok(tids)
}
