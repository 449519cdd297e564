"""The bpftrace programs each figure runs, and how to check their output.

Every script is run verbatim by both tools. Checks compare the printed counts
with the number of system calls the generator made, so a tool that misses or
invents events shows up in RESULTS.md, not just a fast number.
"""

from dataclasses import dataclass
from typing import Callable, Optional

from . import parse

GENERATOR_COMM = "benchgen"

BEGIN_EXIT = "BEGIN { exit(); }"
ONE_TRACEPOINT = "tracepoint:syscalls:sys_enter_getppid { @ = count(); }"
WILDCARD = "tracepoint:syscalls:sys_enter_* { @[probe] = count(); }"
# Needs the kernel's BTF to know struct task_struct's layout.
BTF_TYPES = (
    "tracepoint:syscalls:sys_enter_getppid "
    "{ @[((struct task_struct *)curtask)->real_parent->tgid] = count(); }"
)
PRINTF = 'tracepoint:syscalls:sys_enter_getppid /comm == "' + GENERATOR_COMM + '"/ { printf("%d\\n", pid); }'


@dataclass(frozen=True)
class StartupScript:
    key: str
    title: str
    script: str
    wildcard: bool = False


STARTUP = [
    StartupScript("one", "one tracepoint", ONE_TRACEPOINT),
    StartupScript("wild", "sys_enter_* wildcard", WILDCARD, wildcard=True),
    StartupScript("btf", "kernel BTF types", BTF_TYPES),
]


@dataclass(frozen=True)
class OverheadScript:
    key: str
    title: str
    script: str
    # (stdout, generator pid, N) -> None when the output is right, else what is wrong.
    check: Optional[Callable[[str, int, int], Optional[str]]]


def _expect(name, got, n):
    if got is None:
        return "%s not printed" % name
    if got != n:
        return "%s = %d, expected %d" % (name, got, n)
    return None


# Scripts without a pid filter also count the getppid() calls of other
# processes on the machine; a few of those are not the tool's fault.
FOREIGN_TOLERANCE = 0.001


def _expect_at_least(name, got, n):
    if got is not None and n < got <= n * (1 + FOREIGN_TOLERANCE):
        return None
    return _expect(name, got, n)


def _check_scalar(stdout, _pid, n):
    return _expect_at_least("@", parse.scalar_count(stdout), n)


def _check_tid(stdout, pid, n):
    return _expect("@[%d]" % pid, parse.keyed_count(stdout, str(pid)), n)


def _check_hist(stdout, _pid, n):
    return _expect_at_least("sum of @h buckets", parse.hist_total(stdout, "@h"), n)


def _check_comm_pid(stdout, pid, n):
    key = "%s, %d" % (GENERATOR_COMM, pid)
    return _expect("@[%s]" % key, parse.keyed_count(stdout, key), n)


def _check_never(stdout, _pid, _n):
    # bpftrace 0.17 prints an untouched count() as `@: 0`; printing nothing is right too.
    if parse.scalar_count(stdout) == 0:
        return None
    return "@ counted although the predicate is never true" if parse.has_map_output(stdout) else None


OVERHEAD = [
    OverheadScript("empty", "empty program", "tracepoint:syscalls:sys_enter_getppid { }", None),
    OverheadScript("count", "@ = count()", ONE_TRACEPOINT, _check_scalar),
    OverheadScript(
        "tid",
        "@[tid] = count()",
        "tracepoint:syscalls:sys_enter_getppid { @[tid] = count(); }",
        _check_tid,
    ),
    OverheadScript(
        "hist",
        "enter/exit latency hist",
        "tracepoint:syscalls:sys_enter_getppid { @s[tid] = nsecs; } "
        "tracepoint:syscalls:sys_exit_getppid /@s[tid]/ "
        "{ @h = hist(nsecs - @s[tid]); delete(@s[tid]); }",
        _check_hist,
    ),
    OverheadScript(
        "commpid",
        "@[comm, pid] = count()",
        "tracepoint:syscalls:sys_enter_getppid { @[comm, pid] = count(); }",
        _check_comm_pid,
    ),
    OverheadScript(
        "never",
        "never-true predicate",
        "tracepoint:syscalls:sys_enter_getppid /pid == 1/ { @ = count(); }",
        _check_never,
    ),
]
