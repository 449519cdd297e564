#!/usr/bin/env python3
"""Sonde against bpftrace, side by side: the one command that runs it all.

    python3 bench/run.py            # build, install, measure, write bench/RESULTS.md

See bench/README.md for what each figure measures.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from benchlib import figures, report, setup  # noqa: E402

REPO = os.path.dirname(HERE)


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=5, help="runs per figure and tool (default 5)")
    parser.add_argument(
        "--wildcard-reps", type=int, default=3, help="runs of the sys_enter_* wildcard (default 3)"
    )
    parser.add_argument("--events", type=int, default=2_000_000, help="getppid() calls per overhead run")
    parser.add_argument(
        "--print-events", type=int, default=200_000, help="events printed by the output figure"
    )
    parser.add_argument(
        "--figures",
        default="startup,overhead,output",
        help="comma-separated subset of startup,overhead,output",
    )
    parser.add_argument("--tools", default="sonde,bpftrace", help="comma-separated subset of sonde,bpftrace")
    parser.add_argument("--no-build", action="store_true", help="use the sonde binary already built")
    parser.add_argument("--sonde", help="sonde binary to measure (implies --no-build)")
    parser.add_argument(
        "--target-dir",
        default=os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target"),
        help="cargo target directory for the release build (default $CARGO_TARGET_DIR or target/)",
    )
    parser.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"), help="where to write the results")
    args = parser.parse_args()
    if args.reps < 1 or args.wildcard_reps < 1 or args.events < 1 or args.print_events < 1:
        parser.error("counts must be positive")
    return args


def prepare_sonde(args, wanted):
    info = setup.ToolInfo("sonde")
    if not wanted:
        info.unavailable = "not selected (--tools)"
        return info
    if args.sonde:
        info.path = os.path.abspath(args.sonde)
    elif args.no_build:
        info.path = os.path.join(args.target_dir, "release", "sonde")
    else:
        info.path, info.unavailable = setup.build_sonde(REPO, args.target_dir)
    if info.unavailable is None and not os.access(info.path or "", os.X_OK):
        info.unavailable = "no executable at %s" % info.path
    return info


def prepare_bpftrace(wanted):
    info = setup.ToolInfo("bpftrace")
    if not wanted:
        info.unavailable = "not selected (--tools)"
        return info
    info.path, info.unavailable = setup.ensure_installed("bpftrace", "bpftrace")
    return info


def main():
    args = parse_args()
    wanted = set(args.tools.split(","))
    chosen = set(args.figures.split(","))
    infos = {
        "sonde": prepare_sonde(args, "sonde" in wanted),
        "bpftrace": prepare_bpftrace("bpftrace" in wanted),
    }
    tools = []
    for name in ("sonde", "bpftrace"):
        info = infos[name]
        if info.unavailable is None:
            tool = figures.Tool(name, info.path)
            info.unavailable = setup.smoke_test(tool)
            if info.unavailable is None:
                setup.describe_tool(info)
                tools.append(tool)
        if info.unavailable:
            print("[bench] %s will not be measured: %s" % (name, info.unavailable), file=sys.stderr)

    meta = setup.machine()
    generator = setup.compile_generator(os.path.join(HERE, "gen.c"), os.path.join(HERE, ".build"))
    limits = figures.Limits(args.reps, args.wildcard_reps, args.events, args.print_events)
    results = figures.Results()
    if "startup" in chosen:
        figures.startup(tools, limits, results)
    if "overhead" in chosen:
        figures.overhead(tools, generator, limits, results)
    if "output" in chosen:
        figures.output(tools, generator, limits, results)

    meta["load_end"] = setup.load_average()
    meta["commit"], meta["dirty"] = setup.git_commit(REPO)
    meta["generator"] = os.path.relpath(generator, REPO)
    text = report.Report(meta, infos, results, limits).render()
    with open(args.out, "w") as handle:
        handle.write(text)
    print("[bench] wrote %s" % args.out, file=sys.stderr)


if __name__ == "__main__":
    main()
