#!/usr/bin/env python3
"""Turn the JSON written by shared/conformance/run_suite.py into the tables of
CONFORMANCE.md: totals, one row per suite, failure categories, and the most
common first error lines (what to work on next).

Usage: conformance_report.py RESULTS.json [COMMIT]. COMMIT names the commit the
tested binary was built from; by default the work tree's HEAD, which is wrong
when main moved on while the suite ran."""
import collections
import json
import re
import subprocess
import sys
import datetime


def main(path, commit=None):
    data = json.load(open(path))
    totals = data["totals"]
    if commit is None:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    out = []
    out.append(f"Run {datetime.date.today().isoformat()} at commit `{commit}`, kernel {data.get('kernel', '?')}: "
               f"**{totals['PASS']} passed**, {totals['FAIL']} failed, {totals['TIMEOUT']} timed out, "
               f"{totals['SKIP']} skipped of {totals['total']}.\n")
    out.append("| suite | pass | fail | timeout | skip |")
    out.append("|---|---:|---:|---:|---:|")
    for suite, t in sorted(data["per_suite"].items()):
        out.append(f"| {suite} | {t['PASS']} | {t['FAIL']} | {t['TIMEOUT']} | {t['SKIP']} |")
    out.append("")
    out.append("Failure categories (the runner's): " + ", ".join(
        f"{k} {v}" for k, v in sorted(data["failure_categories"].items(), key=lambda kv: -kv[1])) + ".\n")
    causes = collections.Counter()
    for t in data["tests"]:
        if t["status"] not in ("FAIL", "TIMEOUT"):
            continue
        m = re.search(r"ERROR: ([^\n]*)", t.get("output") or "")
        cause = m.group(1) if m else (t.get("reason") or "")[:70]
        cause = re.sub(r"'[^']*'", "'…'", cause)
        cause = re.sub(r"\d+", "N", cause)
        causes[cause] += 1
    out.append("| failing tests | first error (or mismatch) |")
    out.append("|---:|---|")
    for cause, n in causes.most_common(40):
        out.append(f"| {n} | {cause.replace('|', '/')} |")
    print("\n".join(out))


if __name__ == "__main__":
    main(*sys.argv[1:3])
