"""Writing RESULTS.md: tables of medians, ratios, checks and exact commands."""

import shlex

from . import scripts, stats
from . import parse
from .figures import ATTACHED_HOLD_S, NOTIFY_ENV

SONDE, BPFTRACE = "sonde", "bpftrace"


class _Notes:
    """Numbered reasons, so a failed cell stays short in its table."""

    def __init__(self):
        self.items = []

    def mark(self, text):
        if text not in self.items:
            self.items.append(text)
        return "[%d]" % (self.items.index(text) + 1)


class Report:
    def __init__(self, meta, tools, results, limits):
        self.meta = meta
        self.tools = tools  # name -> ToolInfo
        self.results = results
        self.limits = limits
        self.notes = _Notes()
        self.lines = []

    # ---- cells -------------------------------------------------------------

    def _samples(self, figure, row, tool):
        return self.results.get(figure, row, tool)

    def _unavailable(self, tool):
        info = self.tools.get(tool)
        return info.unavailable if info is not None else "not measured"

    def value(self, figure, row, tool, key):
        """(median or None, cell text)."""
        reason = self._unavailable(tool) if tool != "untraced" else None
        if reason:
            return None, "not yet " + self.notes.mark("%s: %s" % (tool, reason))
        samples = self._samples(figure, row, tool)
        if not samples:
            return None, "not run"
        good = [s for s in samples if s.error is None]
        if not good:
            return None, "not yet " + self.notes.mark("%s, %s/%s: %s" % (tool, figure, row, samples[0].error))
        median = stats.median_of(good, key)
        return median, None

    def cell(self, figure, row, tool, key, fmt):
        median, text = self.value(figure, row, tool, key)
        if text is not None:
            return median, text
        text = fmt(median) if median is not None else "n/a"
        samples = self._samples(figure, row, tool)
        remarks = [s.remark for s in samples if s.error is None and s.remark]
        if remarks:
            text += " " + self.notes.mark(
                "%s, %s/%s, %d of %d runs: %s" % (tool, figure, row, len(remarks), len(samples), remarks[0])
            )
        failed = [s for s in samples if s.error]
        if failed:
            text += " (%d of %d runs failed %s)" % (
                len(failed),
                len(samples),
                self.notes.mark("%s, %s/%s: %s" % (tool, figure, row, failed[0].error)),
            )
        return median, text

    def check_cell(self, figure, row, tool):
        samples = [s for s in self._samples(figure, row, tool) if s.error is None]
        if not samples:
            return "—"
        bad = [s for s in samples if s.mismatch]
        if not bad:
            return "ok (%d/%d)" % (len(samples), len(samples))
        return "MISMATCH in %d/%d %s" % (
            len(bad),
            len(samples),
            self.notes.mark("%s, %s/%s: %s" % (tool, figure, row, bad[0].mismatch)),
        )

    def pair_row(self, label, figure, row, key, fmt):
        s_med, s_text = self.cell(figure, row, SONDE, key, fmt)
        b_med, b_text = self.cell(figure, row, BPFTRACE, key, fmt)
        return "| %s | %s | %s | %s |" % (label, s_text, b_text, stats.fmt_ratio(stats.ratio(s_med, b_med)))

    # ---- sections ----------------------------------------------------------

    def emit(self, *lines):
        self.lines.extend(lines)

    def header(self):
        m = self.meta
        self.emit(
            "# Benchmark results: Sonde against bpftrace",
            "",
            "Written by `python3 bench/run.py` (see bench/README.md for what each figure means).",
            "Every cell is the median of the runs listed under *Raw samples*; the ratio is",
            "sonde / bpftrace (below 1: Sonde is faster or smaller).",
            "",
            "| | |",
            "|---|---|",
            "| date | %s |" % m["date"],
            "| git commit | `%s`%s |"
            % (m["commit"], " (work tree has uncommitted changes)" if m["dirty"] else ""),
            "| kernel (`uname -r`) | %s |" % m["kernel"],
            "| CPUs (`nproc`) | %s |" % m["nproc"],
            "| CPU model | %s |" % m["cpu"],
            "| memory | %s |" % m["memory"],
            "| load average at start / end | %s / %s |" % (m["load_start"], m["load_end"]),
        )
        for name in (SONDE, BPFTRACE):
            info = self.tools[name]
            self.emit("| %s | `%s` %s |" % (name, info.path or "—", info.version or ""))
        self.emit(
            "| runs per figure | %d (sys_enter_* wildcard: %d), sonde and bpftrace interleaved |"
            % (self.limits.reps, min(self.limits.reps, self.limits.wildcard_reps)),
            "| load generator | `%s N` (`syscall(SYS_getppid)` N times, N = %s; printf figure: %s) |"
            % (
                self.meta["generator"],
                stats.fmt_int(self.limits.events),
                stats.fmt_int(self.limits.print_events),
            ),
            "",
        )

    def startup(self):
        self.emit(
            "## 1. Startup",
            "",
            "Whole process: spawn to exit. Attached: spawn to the `%s` line." % parse.NOTIFY_LINE,
            "",
            "| figure | sonde | bpftrace | sonde/bpftrace |",
            "|---|---|---|---|",
            self.pair_row(
                "`%s`, whole process" % scripts.BEGIN_EXIT, "begin", "begin", "wall_ms", stats.fmt_ms
            ),
            self.pair_row(
                "`%s`, CPU time (user + sys)" % scripts.BEGIN_EXIT, "begin", "begin", "cpu_ms", stats.fmt_ms
            ),
        )
        for item in scripts.STARTUP:
            self.emit(
                self.pair_row(
                    "time until attached: %s" % item.title, "attach", item.key, "attach_ms", stats.fmt_ms
                )
            )
        self.emit(
            "",
            "## 2. Exit",
            "",
            "SIGINT to process end, after %g s attached (includes printing the maps)." % ATTACHED_HOLD_S,
            "",
            "| figure | sonde | bpftrace | sonde/bpftrace |",
            "|---|---|---|---|",
        )
        for item in scripts.STARTUP:
            self.emit(
                self.pair_row("SIGINT to end: %s" % item.title, "attach", item.key, "exit_ms", stats.fmt_ms)
            )
        self.emit("")

    def overhead(self):
        n = self.limits.events
        self.emit(
            "## 3. Per-event overhead",
            "",
            "Nanoseconds each traced `getppid()` adds to the untraced run: for each traced run,",
            "(traced - untraced run just before it) / N, then the median. *CPU* is the generator",
            "thread's CPU time around its loop (BPF programs run in that thread, so this is their",
            "cost, less disturbed by other work on the machine); *wall* is the monotonic clock",
            "around the same loop.",
        )
        for key, label in (("cpu_ns", "CPU"), ("loop_ns", "wall")):
            _, text = self.cell("overhead", "untraced", "untraced", key, lambda v: stats.fmt_ns(v / n))
            self.emit("Untraced, %s: %s per call." % (label, text))
        self.emit(
            "",
            "The count check compares the printed counts with N; for `@ = count()` and the hist,",
            "which have no pid filter, up to %g%% more is accepted: other processes on the"
            % (scripts.FOREIGN_TOLERANCE * 100),
            "machine call getppid() too.",
            "",
            "| script | sonde, CPU | bpftrace, CPU | sonde/bpftrace "
            "| sonde, wall | bpftrace, wall | sonde/bpftrace, wall | sonde counts | bpftrace counts |",
            "|---|---|---|---|---|---|---|---|---|",
        )
        for item in scripts.OVERHEAD:
            row = [item.title]
            for key in ("added_cpu_ns", "added_wall_ns"):
                meds = []
                for tool in (SONDE, BPFTRACE):
                    med, text = self.cell("overhead", item.key, tool, key, stats.fmt_ns)
                    meds.append(med)
                    row.append(text)
                row.append(stats.fmt_ratio(stats.ratio(*meds)))
            for tool in (SONDE, BPFTRACE):
                row.append(
                    self.check_cell("overhead", item.key, tool) if item.check else "— (prints nothing)"
                )
            self.emit("| " + " | ".join(row) + " |")
        self.emit("")

    def output(self):
        self.emit(
            "## 4. Output",
            "",
            "`printf` of %s events, one per `getppid()` of the generator, as fast as they come."
            % stats.fmt_int(self.limits.print_events),
            "Wall time: generator start to the last line read from the tool's stdout pipe.",
            "",
            "| figure | sonde | bpftrace | sonde/bpftrace |",
            "|---|---|---|---|",
            self.pair_row("lines received", "output", "printf", "received", stats.fmt_int),
            self.pair_row("lost events (`Lost N events`)", "output", "printf", "lost", stats.fmt_int),
            self.pair_row("wall time", "output", "printf", "wall_ms", stats.fmt_ms),
            self.pair_row("generator loop time", "output", "printf", "gen_ms", stats.fmt_ms),
            "| received + lost = N | %s | %s | |"
            % (self.check_cell("output", "printf", SONDE), self.check_cell("output", "printf", BPFTRACE)),
            "",
        )

    def footprint(self):
        size = {t: self.tools[t].size for t in (SONDE, BPFTRACE)}
        libs = {t: self.tools[t].libraries for t in (SONDE, BPFTRACE)}
        self.emit(
            "## 5. Footprint",
            "",
            "Peak RSS is the `ru_maxrss` that wait4() returns. Linux counts in it the",
            "high-water mark of the harness's forked child before it execs the tool",
            "(exec records the old address space's peak), so no figure can be below",
            "the Python harness's own size at that moment, about 17 MiB, more while it",
            "holds a run's output. For Sonde that floor is the figure; its own peak,",
            "`/usr/bin/time -f %M` around the same command, was 7.9 MiB for both",
            "`BEGIN { exit(); }` and the printf figure on 2026-11-25.",
            "",
            "| figure | sonde | bpftrace | sonde/bpftrace |",
            "|---|---|---|---|",
            "| binary size | %s | %s | %s |"
            % (
                stats.fmt_bytes(size[SONDE]) or "not yet",
                stats.fmt_bytes(size[BPFTRACE]) or "not yet",
                stats.fmt_ratio(stats.ratio(size[SONDE], size[BPFTRACE])),
            ),
            "| shared libraries (`ldd`) | %s | %s | %s |"
            % (
                len(libs[SONDE]) if libs[SONDE] is not None else "not yet",
                len(libs[BPFTRACE]) if libs[BPFTRACE] is not None else "not yet",
                stats.fmt_ratio(
                    stats.ratio(len(libs[SONDE] or []) or None, len(libs[BPFTRACE] or []) or None)
                ),
            ),
        )
        rows = [("begin", "begin", scripts.BEGIN_EXIT)]
        rows += [("attach", s.key, s.title) for s in scripts.STARTUP]
        rows += [("overhead", s.key, "overhead: " + s.title) for s in scripts.OVERHEAD]
        rows += [("output", "printf", "output: printf")]
        for figure, row, title in rows:
            self.emit(self.pair_row("peak RSS, %s" % title, figure, row, "rss_kb", stats.fmt_kib))
        self.emit("")
        for tool in (SONDE, BPFTRACE):
            info = self.tools[tool]
            self.emit("`ldd %s`:" % (info.path or tool), "", "```")
            self.emit(*(info.libraries if info.libraries is not None else ["not yet"]))
            self.emit("```", "")

    def commands(self):
        env = " ".join("%s=%s" % kv for kv in NOTIFY_ENV.items())
        self.emit(
            "## Commands",
            "",
            "Each tool run has `%s` in its environment; the generator runs while the tool is" % env,
            "attached, then the tool gets SIGINT (except `BEGIN { exit(); }`, which exits by itself).",
            "",
        )
        seen = set()
        for (figure, row, tool), argv in sorted(self.results.commands.items()):
            text = shlex.join(argv)
            if (figure, row, text) in seen:
                continue
            seen.add((figure, row, text))
            self.emit("- %s/%s, %s: `%s`" % (figure, row, tool, text))
        self.emit("")

    def raw(self):
        self.emit("## Raw samples", "")
        for figure, rows in self.results.samples.items():
            for row, by_tool in rows.items():
                for tool, samples in by_tool.items():
                    parts = []
                    for s in samples:
                        if s.error:
                            parts.append("error")
                            continue
                        parts.append(", ".join("%s=%s" % (k, _short(v)) for k, v in s.values.items()))
                    self.emit("- %s/%s, %s: %s" % (figure, row, tool, "; ".join(parts)))
        self.emit("")

    def notes_section(self):
        if not self.notes.items:
            return
        self.emit("## Notes", "")
        for index, text in enumerate(self.notes.items, 1):
            self.emit("%d. %s" % (index, text.replace("\n", " ")))
        self.emit("")

    def render(self):
        self.header()
        self.startup()
        self.overhead()
        self.output()
        self.footprint()
        self.commands()
        self.raw()
        self.notes_section()
        return "\n".join(self.lines)


def _short(value):
    if isinstance(value, float):
        return "%.3f" % value
    return str(value)
