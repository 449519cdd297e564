"""Running one tool process and timing it on the monotonic clock.

The tool is spawned in its own session so that a hang can be ended by killing
its process group (ours alone). Reader threads stamp the moment the
probes-attached line appears on either stream (bpftrace 0.17 writes it to
stderr, newer bpftrace and Sonde to stdout); a waiter thread reaps the process
with wait4() to stamp its end and keep its peak RSS.
"""

import os
import signal
import subprocess
import threading
import time

from .parse import NOTIFY_LINE

_NOTIFY_BYTES = (NOTIFY_LINE + "\n").encode()


# Kernel wait channels of a tool idle in its event loop (not tearing down).
_EVENT_WAITS = ("do_epoll_wait", "ep_poll", "do_sys_poll", "do_select")


def now_ns():
    return time.monotonic_ns()


def _read_proc(pid, name):
    try:
        with open("/proc/%d/%s" % (pid, name)) as handle:
            return handle.read()
    except OSError:
        return ""


def _proc_state(pid):
    """One-letter scheduler state (R, S, D, ...), or "" once gone."""
    stat = _read_proc(pid, "stat")
    tail = stat.rpartition(")")[2].split()
    return tail[0] if tail else ""


def _proc_wchan(pid):
    return _read_proc(pid, "wchan").strip()


class _StreamReader:
    """Drains one pipe, keeping all bytes and the time of the last chunk."""

    def __init__(self, pipe, on_notify):
        self._fd = pipe.fileno()
        self._pipe = pipe
        self._on_notify = on_notify
        self._searched = 0
        self.data = bytearray()
        self.newlines = 0
        self.last_chunk_ns = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                chunk = os.read(self._fd, 1 << 20)
            except OSError:
                break
            if not chunk:
                break
            stamp = now_ns()
            self.data += chunk
            self.newlines += chunk.count(b"\n")
            self.last_chunk_ns = stamp
            if self._searched is not None:
                start = max(0, self._searched - len(_NOTIFY_BYTES))
                if self.data.find(_NOTIFY_BYTES, start) >= 0:
                    self._searched = None
                    self._on_notify(stamp)
                else:
                    self._searched = len(self.data)
        self._pipe.close()

    def text(self):
        return self.data.decode("utf-8", errors="replace")


class ToolProcess:
    """One run of a tool: spawn, wait for attach, interrupt, wait for exit."""

    def __init__(self, argv, env):
        self.argv = argv
        self.attached_ns = None
        self.exited_ns = None
        self.interrupted_ns = None
        self.exit_code = None
        self.rusage = None
        self.killed = False
        # SIGINTs sent again because the first one was not noticed.
        self.resent = 0
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.spawned_ns = now_ns()
        self._popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        self.pid = self._popen.pid
        self.stdout = _StreamReader(self._popen.stdout, self._notified)
        self.stderr = _StreamReader(self._popen.stderr, self._notified)
        self._waiter = threading.Thread(target=self._reap, daemon=True)
        self._waiter.start()

    def _notified(self, stamp):
        with self._lock:
            if self.attached_ns is None:
                self.attached_ns = stamp
        self._event.set()

    def _reap(self):
        _, status, rusage = os.wait4(self.pid, 0)
        self.exited_ns = now_ns()
        self.exit_code = os.waitstatus_to_exitcode(status)
        self.rusage = rusage
        # Popen must not try to reap a pid that is gone (and maybe reused).
        self._popen.returncode = self.exit_code
        self._event.set()

    @property
    def running(self):
        return self.exited_ns is None

    def wait_attached(self, timeout):
        """True once the notify line was seen; False if it exited or timed out."""
        deadline = time.monotonic() + timeout
        while self.attached_ns is None and self.running:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._event.wait(min(remaining, 0.05))
        return self.attached_ns is not None

    def interrupt(self):
        """Send SIGINT, as Ctrl-C would; False if the process had already ended.

        bpftrace 0.17 only notices SIGINT when it interrupts epoll_wait(): one
        that lands while it is running between two waits is lost for good. So
        the signal goes out once the tool's main thread is asleep (a few
        milliseconds at most), and wait_exit() re-sends it if the tool is still
        waiting for events a second later.
        """
        if not self.running:
            return False
        deadline = time.monotonic() + 0.05
        while _proc_state(self.pid) == "R" and time.monotonic() < deadline:
            time.sleep(0.0005)
        if not self.running:
            return False
        self.interrupted_ns = now_ns()
        os.kill(self.pid, signal.SIGINT)
        return True

    def wait_exit(self, timeout, resend_after=1.0, max_resends=2):
        """Wait for the end; past the timeout kill the process group. True if it ended alone."""
        deadline = time.monotonic() + timeout
        next_resend = time.monotonic() + resend_after
        while self._waiter.is_alive():
            now = time.monotonic()
            if now >= deadline:
                break
            self._waiter.join(min(deadline, next_resend) - now)
            if (
                self._waiter.is_alive()
                and self.interrupted_ns is not None
                and time.monotonic() >= next_resend
                and self.resent < max_resends
                and self.running
                and _proc_wchan(self.pid) in _EVENT_WAITS
            ):
                self.resent += 1
                os.kill(self.pid, signal.SIGINT)
            if time.monotonic() >= next_resend:
                next_resend = time.monotonic() + resend_after
        if self._waiter.is_alive():
            self.killed = True
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._waiter.join()
        self.stdout.thread.join(5)
        self.stderr.thread.join(5)
        return not self.killed

    def stop(self, timeout):
        """Interrupt if still running, then wait for the end (used on error paths)."""
        self.interrupt()
        return self.wait_exit(timeout)

    @property
    def max_rss_kb(self):
        return self.rusage.ru_maxrss if self.rusage is not None else None

    @property
    def cpu_ms(self):
        """User plus system CPU time of the whole run."""
        if self.rusage is None:
            return None
        return (self.rusage.ru_utime + self.rusage.ru_stime) * 1000
