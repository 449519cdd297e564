"""Getting the tools ready and describing the machine.

Builds sonde in release mode, installs bpftrace with apt only when it is
missing (benchmarks need it, tests never do), compiles the load generator,
and collects what RESULTS.md says about the machine and the commit.
"""

import datetime
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import List, Optional

from . import parse


@dataclass
class ToolInfo:
    name: str
    path: Optional[str] = None
    version: Optional[str] = None
    # Why the tool cannot be measured at all; None when it can.
    unavailable: Optional[str] = None
    size: Optional[int] = None
    libraries: Optional[List[str]] = field(default=None)


def _log(message):
    print("[bench] " + message, file=sys.stderr, flush=True)


def _run(argv, timeout, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)


def build_sonde(repo, target_dir):
    """Release build of sonde; returns (binary path, error)."""
    env = dict(os.environ, CARGO_TARGET_DIR=target_dir)
    _log("building sonde (cargo build --release -p sonde, CARGO_TARGET_DIR=%s)" % target_dir)
    try:
        done = _run(["cargo", "build", "--release", "-p", "sonde"], 1800, cwd=repo, env=env)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, "build failed: %s" % error
    if done.returncode != 0:
        tail = [line for line in done.stderr.splitlines() if line.strip()][-3:]
        return None, "build failed: " + " / ".join(tail)
    return os.path.join(target_dir, "release", "sonde"), None


def ensure_installed(command, package):
    """Path of `command`, installing Debian's `package` if needed; (path, error)."""
    path = shutil.which(command)
    if path:
        return path, None
    _log("%s missing: apt-get install -y %s" % (command, package))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "update"], ["apt-get", "install", "-y", package]):
        try:
            done = _run(argv, 900, env=env)
        except (OSError, subprocess.TimeoutExpired) as error:
            return None, "%s failed: %s" % (" ".join(argv), error)
        if done.returncode != 0:
            return None, "%s failed: %s" % (" ".join(argv), done.stderr.strip()[-200:])
    path = shutil.which(command)
    return (path, None) if path else (None, "%s not found after apt-get install" % command)


def compile_generator(source, build_dir):
    """gcc -O2 the load generator into build_dir/benchgen."""
    _, error = ensure_installed("gcc", "gcc")
    if error:
        raise SystemExit("bench: " + error)
    os.makedirs(build_dir, exist_ok=True)
    output = os.path.join(build_dir, "benchgen")
    done = _run(["gcc", "-O2", "-Wall", "-o", output, source], 120)
    if done.returncode != 0:
        raise SystemExit("bench: cannot compile %s:\n%s" % (source, done.stderr))
    return output


def smoke_test(tool):
    """Whether the tool runs a BEGIN probe at all; None when it does, else why not."""
    marker = "bench-smoke-ok"
    argv = [tool.path, "-q", "-e", 'BEGIN { printf("%s\\n"); exit(); }' % marker]
    try:
        done = _run(argv, 30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return "cannot run `%s`: %s" % (tool.path, error)
    if marker in done.stdout.splitlines() and done.returncode == 0:
        return None
    why = parse.first_error_line(done.stderr) or "printed nothing"
    return "BEGIN/printf smoke test failed (exit status %d): %s" % (done.returncode, why)


def describe_tool(info):
    """Fill version, size and shared libraries of a tool that has a path."""
    try:
        done = _run([info.path, "--version"], 10)
        info.version = (
            (done.stdout.strip() or done.stderr.strip()).splitlines()[0] if done.returncode == 0 else None
        )
    except (OSError, subprocess.TimeoutExpired, IndexError):
        info.version = None
    real = os.path.realpath(info.path)
    info.size = os.path.getsize(real)
    done = _run(["ldd", real], 30)
    info.libraries = [line.strip() for line in (done.stdout or done.stderr).splitlines() if line.strip()]


def machine():
    def read(path):
        try:
            with open(path) as handle:
                return handle.read()
        except OSError:
            return ""

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        (int(line.split()[1]) for line in read("/proc/meminfo").splitlines() if line.startswith("MemTotal:")),
        0,
    )
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "kernel": platform.release(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": "%.1f GiB" % (mem_kb / (1 << 20)),
        "load_start": load_average(),
    }


def load_average():
    """The 1, 5 and 15 minute load averages: other work on the machine skews timings."""
    try:
        with open("/proc/loadavg") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:
        return "unknown"


def git_commit(repo):
    """(commit id, whether the work tree differs from it); read-only git calls."""
    try:
        head = _run(["git", "rev-parse", "HEAD"], 30, cwd=repo).stdout.strip() or "unknown"
        dirty = bool(_run(["git", "status", "--porcelain"], 30, cwd=repo).stdout.strip())
    except OSError:
        return "unknown", False
    return head, dirty
