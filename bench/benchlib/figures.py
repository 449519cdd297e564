"""The measurements: each figure run for every tool, interleaved.

A round runs every row once per tool (sonde, bpftrace, sonde, bpftrace, ...),
and rounds repeat, so slow drift of the machine hits both tools alike. A tool
that fails a row is not retried in later rounds: its cell reads "not yet" with
the reason, and no timeout is paid twice.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from . import parse, scripts
from .proc import ToolProcess, now_ns

NOTIFY_ENV = {"__BPFTRACE_NOTIFY_PROBES_ATTACHED": "1"}
# Lets the kernel finish tearing down the previous run's probes.
SETTLE_S = 0.3
# How long a tool stays attached before the SIGINT of the exit figure.
ATTACHED_HOLD_S = 0.25


@dataclass(frozen=True)
class Tool:
    name: str
    path: str

    def command(self, script):
        return [self.path, "-q", "-e", script]


@dataclass
class Sample:
    values: Dict[str, float] = field(default_factory=dict)
    error: Optional[str] = None
    # Set when the run worked but its output was wrong (counts, lines).
    mismatch: Optional[str] = None
    # Something the reader of a median should know, e.g. a re-sent SIGINT.
    remark: Optional[str] = None


@dataclass
class Limits:
    reps: int
    wildcard_reps: int
    events: int
    print_events: int
    attach_timeout: float = 30.0
    wildcard_timeout: float = 60.0
    exit_timeout: float = 30.0
    generator_timeout: float = 120.0


class Results:
    """Samples by figure, row and tool, plus the exact command of each row."""

    def __init__(self):
        self.samples = {}
        self.commands = {}

    def add(self, figure, row, tool, sample):
        self.samples.setdefault(figure, {}).setdefault(row, {}).setdefault(tool, []).append(sample)

    def get(self, figure, row, tool) -> List[Sample]:
        return self.samples.get(figure, {}).get(row, {}).get(tool, [])

    def failed(self, figure, row, tool):
        return any(s.error for s in self.get(figure, row, tool))

    def note_command(self, figure, row, tool, text):
        self.commands.setdefault((figure, row, tool), text)


def _env():
    env = dict(os.environ)
    env.update(NOTIFY_ENV)
    return env


def _describe_failure(proc, what):
    reason = parse.first_error_line(proc.stderr.text()) or parse.first_error_line(proc.stdout.text())
    status = "killed after timeout" if proc.killed else "exit status %s" % proc.exit_code
    return "%s (%s)%s" % (what, status, ": " + reason if reason else "")


def _log(message):
    print("[bench] " + message, file=sys.stderr, flush=True)


def _attach(tool, script, timeout, limits):
    """Spawn the tool and wait for its probes; returns (proc, error)."""
    proc = ToolProcess(tool.command(script), _env())
    if proc.wait_attached(timeout):
        return proc, None
    ended_alone = not proc.running
    proc.stop(limits.exit_timeout)
    what = "ended before attaching" if ended_alone else "not attached after %gs" % timeout
    return proc, _describe_failure(proc, what)


def _finish(proc, timeout):
    """SIGINT then wait; returns an error text or None."""
    if not proc.interrupt():
        return _describe_failure(proc, "ended before SIGINT")
    if not proc.wait_exit(timeout):
        return _describe_failure(proc, "did not exit %gs after SIGINT" % timeout)
    if proc.exit_code != 0:
        return _describe_failure(proc, "failed")
    return None


def _remark(proc):
    if proc.resent:
        return "ignored SIGINT, re-sent %d time(s) 1 s apart; exit time counts from the first" % proc.resent
    return None


def _run_generator(path, n, timeout):
    """Run the load generator; returns ((pid, n, loop_ns, cpu_ns), start_ns, error)."""
    start = now_ns()
    try:
        done = subprocess.run([path, str(n)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, start, "generator timed out after %gs" % timeout
    report = parse.generator_report(done.stdout)
    if done.returncode != 0 or report is None:
        return None, start, "generator failed: %r" % (done.stderr.strip() or done.stdout.strip())
    return report, start, None


def _settle():
    time.sleep(SETTLE_S)


def startup(tools, limits, results):
    """Figure 1 and 2: start to exit, spawn to attached, SIGINT to end."""
    for rep in range(limits.reps):
        for tool in tools:
            if results.failed("begin", "begin", tool.name):
                continue
            _log("startup BEGIN exit, %s, run %d" % (tool.name, rep + 1))
            results.note_command("begin", "begin", tool.name, tool.command(scripts.BEGIN_EXIT))
            results.add("begin", "begin", tool.name, _begin_exit(tool, limits))
            _settle()
        for item in scripts.STARTUP:
            if item.wildcard and rep >= limits.wildcard_reps:
                continue
            for tool in tools:
                if results.failed("attach", item.key, tool.name):
                    continue
                _log("attach/exit %s, %s, run %d" % (item.key, tool.name, rep + 1))
                results.note_command("attach", item.key, tool.name, tool.command(item.script))
                results.add("attach", item.key, tool.name, _attach_and_exit(tool, item, limits))
                _settle()


def _begin_exit(tool, limits):
    proc = ToolProcess(tool.command(scripts.BEGIN_EXIT), _env())
    if not proc.wait_exit(limits.exit_timeout):
        return Sample(error=_describe_failure(proc, "did not exit by itself"))
    if proc.exit_code != 0:
        return Sample(error=_describe_failure(proc, "failed"))
    if proc.attached_ns is None:
        return Sample(error=_describe_failure(proc, "never printed the probes-attached line"))
    return Sample(
        values={
            "wall_ms": (proc.exited_ns - proc.spawned_ns) / 1e6,
            "cpu_ms": proc.cpu_ms,
            "rss_kb": proc.max_rss_kb,
        }
    )


def _attach_and_exit(tool, item, limits):
    timeout = limits.wildcard_timeout if item.wildcard else limits.attach_timeout
    proc, error = _attach(tool, item.script, timeout, limits)
    if error:
        return Sample(error=error)
    time.sleep(ATTACHED_HOLD_S)
    error = _finish(proc, timeout if item.wildcard else limits.exit_timeout)
    if error:
        return Sample(error=error)
    return Sample(
        values={
            "attach_ms": (proc.attached_ns - proc.spawned_ns) / 1e6,
            "exit_ms": (proc.exited_ns - proc.interrupted_ns) / 1e6,
            "rss_kb": proc.max_rss_kb,
        },
        remark=_remark(proc),
    )


def overhead(tools, generator, limits, results):
    """Figure 3: the generator's loop time untraced and under each script.

    An untraced run precedes every script's pair of traced runs, and each
    traced run is compared with that run, so the baseline sees the same
    machine load as the runs it is subtracted from.
    """
    untraced_command = [generator, str(limits.events)]
    for rep in range(limits.reps):
        for item in scripts.OVERHEAD:
            _log("untraced generator, run %d" % (rep + 1))
            results.note_command("overhead", "untraced", "untraced", untraced_command)
            report, _, error = _run_generator(generator, limits.events, limits.generator_timeout)
            baseline = (
                Sample(error=error) if error else Sample(values={"loop_ns": report[2], "cpu_ns": report[3]})
            )
            results.add("overhead", "untraced", "untraced", baseline)
            for tool in tools:
                if results.failed("overhead", item.key, tool.name):
                    continue
                _log("overhead %s, %s, run %d" % (item.key, tool.name, rep + 1))
                results.note_command("overhead", item.key, tool.name, tool.command(item.script))
                sample = _traced(tool, item, generator, limits)
                _add_overhead(sample, baseline, limits.events)
                results.add("overhead", item.key, tool.name, sample)
                _settle()


def _add_overhead(sample, baseline, n):
    """Per-event cost over the untraced run just before, so drift cancels out."""
    if sample.error or baseline.error:
        return
    sample.values["added_cpu_ns"] = (sample.values["cpu_ns"] - baseline.values["cpu_ns"]) / n
    sample.values["added_wall_ns"] = (sample.values["loop_ns"] - baseline.values["loop_ns"]) / n


def _traced(tool, item, generator, limits):
    proc, error = _attach(tool, item.script, limits.attach_timeout, limits)
    if error:
        return Sample(error=error)
    report, _, gen_error = _run_generator(generator, limits.events, limits.generator_timeout)
    error = _finish(proc, limits.exit_timeout)
    if gen_error or error:
        return Sample(error=gen_error or error)
    pid, n, loop_ns, cpu_ns = report
    mismatch = item.check(proc.stdout.text(), pid, n) if item.check else None
    return Sample(
        values={"loop_ns": loop_ns, "cpu_ns": cpu_ns, "rss_kb": proc.max_rss_kb},
        mismatch=mismatch,
        remark=_remark(proc),
    )


def output(tools, generator, limits, results):
    """Figure 4: printf of every event, as fast as the generator makes them."""
    for rep in range(limits.reps):
        for tool in tools:
            if results.failed("output", "printf", tool.name):
                continue
            _log("output printf, %s, run %d" % (tool.name, rep + 1))
            results.note_command("output", "printf", tool.name, tool.command(scripts.PRINTF))
            results.add("output", "printf", tool.name, _printf(tool, generator, limits))
            _settle()


def _printf(tool, generator, limits):
    proc, error = _attach(tool, scripts.PRINTF, limits.attach_timeout, limits)
    if error:
        return Sample(error=error)
    # Sonde's notify line is on stdout too: count only what comes after it.
    newlines_before = proc.stdout.newlines
    report, gen_start, gen_error = _run_generator(generator, limits.print_events, limits.generator_timeout)
    if gen_error is None:
        _wait_quiet(proc, expected_newlines=newlines_before + limits.print_events)
    last_line_ns = proc.stdout.last_chunk_ns
    error = _finish(proc, limits.exit_timeout)
    if gen_error or error:
        return Sample(error=gen_error or error)
    pid, n, loop_ns, _ = report
    stdout = proc.stdout.text()
    received = parse.count_lines_equal(stdout, str(pid))
    lost = parse.lost_events(proc.stderr.text()) + parse.lost_events(stdout)
    values = {"received": received, "lost": lost, "gen_ms": loop_ns / 1e6, "rss_kb": proc.max_rss_kb}
    if last_line_ns is not None and last_line_ns > gen_start:
        values["wall_ms"] = (last_line_ns - gen_start) / 1e6
    mismatch = None
    if received + lost != n:
        mismatch = "received %d + lost %d != %d" % (received, lost, n)
    return Sample(values=values, mismatch=mismatch, remark=_remark(proc))


def _wait_quiet(proc, expected_newlines, quiet_s=1.0, cap_s=30.0):
    """Wait until all lines arrived or the output has been idle for quiet_s."""
    deadline = time.monotonic() + cap_s
    while proc.running and time.monotonic() < deadline:
        if proc.stdout.newlines >= expected_newlines:
            return
        last = proc.stdout.last_chunk_ns or proc.spawned_ns
        if (now_ns() - last) / 1e9 > quiet_s:
            return
        time.sleep(0.02)
