//! Waking an event loop: epoll over descriptors, an eventfd another thread
//! can ring, and a signalfd that turns SIGINT/SIGTERM/SIGCHLD into reads.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

use crate::syscall;
use crate::{Error, Result};

/// An epoll instance; each registered descriptor reports its token.
#[derive(Debug)]
pub struct Poller {
    fd: OwnedFd,
}

impl Poller {
    pub fn new() -> Result<Poller> {
        let fd = syscall::epoll_create().map_err(|errno| Error::os("epoll_create1", errno))?;
        Ok(Poller { fd })
    }

    /// Report `token` when `fd` is readable. The descriptor must stay open
    /// while registered.
    pub fn add(&self, fd: BorrowedFd<'_>, token: u64) -> Result<()> {
        syscall::epoll_add(self.fd.as_fd(), fd, token)
            .map_err(|errno| Error::os("epoll_ctl(EPOLL_CTL_ADD)", errno))
    }

    /// Wait up to `timeout_ms` (-1: forever) and append the tokens of ready
    /// descriptors to `ready`. A signal interrupting the wait reports none.
    pub fn wait(&self, timeout_ms: i32, ready: &mut Vec<u64>) -> Result<()> {
        syscall::epoll_wait(self.fd.as_fd(), timeout_ms, ready)
            .map_err(|errno| Error::os("epoll_wait", errno))
    }
}

/// An eventfd: any thread can [`Notifier::notify`]; a loop polls its fd.
/// Cloning shares the same eventfd.
#[derive(Clone, Debug)]
pub struct Notifier {
    fd: Arc<OwnedFd>,
}

impl Notifier {
    pub fn new() -> Result<Notifier> {
        let fd = syscall::eventfd().map_err(|errno| Error::os("eventfd", errno))?;
        Ok(Notifier { fd: Arc::new(fd) })
    }

    pub fn notify(&self) {
        // The counter only saturates after 2^64-2 writes; a failed write
        // (EAGAIN at saturation) still leaves the fd readable.
        let _ = syscall::write(self.fd.as_fd(), &1u64.to_ne_bytes());
    }

    /// True if notified since the last call; resets the count.
    pub fn take(&self) -> bool {
        let mut buf = [0u8; 8];
        matches!(syscall::read(self.fd.as_fd(), &mut buf), Ok(8))
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Signals that end or affect a tracing session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
    Child,
    /// SIGUSR1, read only when asked for (`self:signal:SIGUSR1` probes).
    User1,
}

impl Signal {
    fn number(self) -> i32 {
        match self {
            Signal::Interrupt => libc::SIGINT,
            Signal::Terminate => libc::SIGTERM,
            Signal::Child => libc::SIGCHLD,
            Signal::User1 => libc::SIGUSR1,
        }
    }
}

/// SIGINT, SIGTERM and SIGCHLD, blocked in the creating thread and read
/// from a descriptor instead; dropping it restores the thread's previous
/// signal mask. Threads spawned while it lives inherit the blocked mask.
///
/// A process-directed signal reaches the descriptor only if every thread
/// blocks it; in a single-threaded tool that is the thread that made this.
#[derive(Debug)]
pub struct SignalFd {
    fd: OwnedFd,
    previous_mask: libc::sigset_t,
}

impl SignalFd {
    pub fn new() -> Result<SignalFd> {
        SignalFd::with_extra(&[])
    }

    /// SIGINT, SIGTERM, SIGCHLD and `extra` (e.g. [`Signal::User1`]).
    pub fn with_extra(extra: &[Signal]) -> Result<SignalFd> {
        let mut numbers = vec![
            Signal::Interrupt.number(),
            Signal::Terminate.number(),
            Signal::Child.number(),
        ];
        numbers.extend(extra.iter().map(|s| s.number()));
        let set = syscall::sigset(&numbers);
        let previous_mask =
            syscall::block_signals(&set).map_err(|errno| Error::os("pthread_sigmask", errno))?;
        match syscall::signalfd(&set) {
            Ok(fd) => Ok(SignalFd { fd, previous_mask }),
            Err(errno) => {
                syscall::set_signal_mask(&previous_mask);
                Err(Error::os("signalfd", errno))
            }
        }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The next pending signal, if any.
    pub fn read(&self) -> Result<Option<Signal>> {
        let signo = syscall::read_signalfd(self.fd.as_fd())
            .map_err(|errno| Error::os("read signalfd", errno))?;
        Ok(signo.and_then(|s| match s {
            libc::SIGINT => Some(Signal::Interrupt),
            libc::SIGTERM => Some(Signal::Terminate),
            libc::SIGCHLD => Some(Signal::Child),
            libc::SIGUSR1 => Some(Signal::User1),
            _ => None,
        }))
    }
}

impl Drop for SignalFd {
    fn drop(&mut self) {
        syscall::set_signal_mask(&self.previous_mask);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signalfd_reads_a_signal_sent_to_this_thread() {
        // Runs on its own test thread: the mask change stays on it.
        let signals = SignalFd::new().unwrap();
        assert_eq!(signals.read().unwrap(), None);
        syscall::signal_this_thread(libc::SIGINT);
        let poller = Poller::new().unwrap();
        poller.add(signals.fd(), 1).unwrap();
        let mut ready = Vec::new();
        poller.wait(1000, &mut ready).unwrap();
        assert_eq!(ready, vec![1]);
        assert_eq!(signals.read().unwrap(), Some(Signal::Interrupt));
        assert_eq!(signals.read().unwrap(), None);
    }
}
