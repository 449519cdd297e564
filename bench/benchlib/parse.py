"""Reading what the tools and the load generator print.

Both tools print maps in bpftrace's text format, so one set of parsers serves
both. Every parser returns None (or 0 for sums) rather than raising on text it
does not recognise: a tool that prints nonsense is a failed check, not a crash.
"""

import re

NOTIFY_LINE = "__BPFTRACE_NOTIFY_PROBES_ATTACHED"

_GENERATOR = re.compile(r"^pid=(\d+) n=(\d+) ns=(\d+) cpu_ns=(\d+)$", re.MULTILINE)
_LOST = re.compile(r"Lost (\d+) events")
_HIST_BUCKET = re.compile(r"^[\[(].*?[)\]]\s+(\d+)\s+\|")
# bpftrace 0.17 could not raise RLIMIT_MEMLOCK inside this sandbox; the
# warning is harmless (the kernel accounts BPF memory to the cgroup).
_NOISE = ("couldn't set RLIMIT_MEMLOCK", NOTIFY_LINE, "Attaching ")


def generator_report(text):
    """(pid, n, loop_ns, loop_cpu_ns) from the generator's single line, or None."""
    match = _GENERATOR.search(text)
    if match is None:
        return None
    return tuple(int(group) for group in match.groups())


def scalar_count(stdout, name="@"):
    """The value of a key-less map such as `@: 42`, or None if absent."""
    match = re.search(r"^" + re.escape(name) + r":\s*(\d+)\s*$", stdout, re.MULTILINE)
    return int(match.group(1)) if match else None


def keyed_count(stdout, key, name="@"):
    """The value printed as `@[key]: N`, or None if that key is absent."""
    pattern = r"^" + re.escape(name) + r"\[" + re.escape(key) + r"\]:\s*(\d+)\s*$"
    match = re.search(pattern, stdout, re.MULTILINE)
    return int(match.group(1)) if match else None


def hist_total(stdout, name="@h"):
    """Sum of the bucket counts of a printed hist(), or None if not printed."""
    lines = stdout.splitlines()
    header = re.compile(r"^" + re.escape(name) + r":\s*$")
    for index, line in enumerate(lines):
        if header.match(line):
            total = 0
            for bucket_line in lines[index + 1 :]:
                bucket = _HIST_BUCKET.match(bucket_line)
                if bucket is None:
                    break
                total += int(bucket.group(1))
            return total
    return None


def has_map_output(stdout, name="@"):
    """Whether any entry of map `name` was printed."""
    pattern = r"^" + re.escape(name) + r"(\[|:)"
    return re.search(pattern, stdout, re.MULTILINE) is not None


def lost_events(text):
    """Total of every `Lost N events` message."""
    return sum(int(n) for n in _LOST.findall(text))


def count_lines_equal(stdout, value):
    """How many lines are exactly `value`."""
    return sum(1 for line in stdout.splitlines() if line == value)


def first_error_line(stderr, limit=160):
    """The first meaningful stderr line, to say why a run failed."""
    for line in stderr.splitlines():
        text = line.strip()
        if text and not any(noise in text for noise in _NOISE):
            return text[:limit]
    return ""
