"""circle and Buildbot side by side, in one command: `python -m bench [--quick]` (or `make bench`).

Measures circle (SQLite; also PostgreSQL with --postgres URL or CIRCLE_TEST_POSTGRES_URL, whose database it
empties first) with the same scenarios and client-side method as ../shared/bench/buildbot/bench.py, then runs
that harness for Buildbot, and writes bench/results/<UTC timestamp>.json (every raw sample of both), .md (the
ratio table, also printed) and .png. Every process it starts is stopped by PID. See docs/performance.md.
"""
from __future__ import annotations

import argparse
import atexit
import datetime
import json
import os
import platform
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

from bench import buildbot_side, circle_side, plot, procs, report
from bench.wire import BenchError

T0 = time.monotonic()
RESULTS = Path(__file__).resolve().parent / "results"
QUICK = {"starts": 1, "latency_n": 3, "log_n": 1, "tp_n": 10}
FULL = {"starts": 5, "latency_n": 20, "log_n": 5, "tp_n": 100}


def progress(message: str) -> None:
    """Print a progress line on stderr."""
    print(f"[{time.monotonic() - T0:7.1f}s] {message}", file=sys.stderr, flush=True)


def _exit_on_signal(signum: int, _frame: Any) -> None:
    """Turn SIGTERM/SIGINT into SystemExit, so that the finally blocks stop what was started."""
    raise SystemExit(128 + signum)


def parse(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts (about 2 minutes), to check the harness")
    parser.add_argument("--max-seconds", type=float, default=870, help="limit for the whole run (default 870)")
    parser.add_argument("--postgres", default=os.environ.get("CIRCLE_TEST_POSTGRES_URL", ""),
                        help="also measure circle on this PostgreSQL database, emptied first "
                             "(default CIRCLE_TEST_POSTGRES_URL)")
    parser.add_argument("--no-buildbot", action="store_true", help="measure circle only")
    parser.add_argument("--buildbot-run-sh", type=Path, default=buildbot_side.RUN_SH, help="Buildbot's run.sh")
    parser.add_argument("--out-dir", type=Path, default=RESULTS, help="where the results go (default bench/results)")
    for name in FULL:
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, help=f"default {FULL[name]} ({QUICK[name]} quick)")
    return parser.parse_args(argv)


def measure(args: argparse.Namespace, counts: dict[str, int], deadline: float) -> dict[str, Any]:
    """Run every side; a side that fails is recorded under `errors` and the others still run."""
    results: dict[str, Any] = {"circle": {}, "buildbot": None, "errors": {}}
    databases = [("sqlite", None)] + ([("postgres", args.postgres)] if args.postgres else [])
    for database, url in databases:
        if url:
            circle_side.empty_database(url)
        results["circle"][database] = circle_side.run(database, url, counts, deadline, progress)
        if "error" in results["circle"][database]:
            progress(f"circle/{database} stopped: {results['circle'][database]['error']}")
            results["errors"][f"circle/{database}"] = results["circle"][database]["error"]
    if not args.no_buildbot:
        progress("buildbot: ../shared/bench/buildbot/run.sh")
        # Buildbot's three throughput repeats take ~10 min alone here; one repeat, like circle, fits the limit.
        extra = [arg for name, value in counts.items() for arg in (f"--{name.replace('_', '-')}", str(value))]
        try:
            results["buildbot"] = buildbot_side.run(args.buildbot_run_sh, args.quick, deadline,
                                                    extra + ["--tp-repeats", "1"])
        except BenchError as err:
            progress(f"buildbot failed: {err}")
            results["errors"]["buildbot"] = str(err)
    return results


def write(results: dict[str, Any], out_dir: Path, stamp: str) -> str:
    """Add the tables, write the JSON, markdown and PNG; return the markdown."""
    tables = {db: report.rows(circle, results["buildbot"]) for db, circle in results["circle"].items()}
    results["tables"] = tables
    bb_db = (results["buildbot"] or {}).get("db_url", "not run")
    text = f"## circle vs Buildbot, {results['started_at']}\n\n" + "\n".join(
        report.markdown(table, f"circle on {db} vs Buildbot ({bb_db})") for db, table in tables.items())
    if results["errors"]:
        text += "\nErrors: " + "; ".join(f"{k}: {v}" for k, v in results["errors"].items()) + "\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{stamp}.json").write_text(json.dumps(results, indent=1) + "\n")
    (out_dir / f"{stamp}.md").write_text(text)
    plot.draw(results, tables, out_dir / f"{stamp}.png")
    return text


def main(argv: list[str]) -> int:
    """Measure both systems, write the results, print the table."""
    args = parse(argv)
    counts = {k: getattr(args, k) or (QUICK if args.quick else FULL)[k] for k in FULL}
    deadline = T0 + args.max_seconds
    atexit.register(procs.stop_all)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    now = datetime.datetime.now(datetime.timezone.utc)
    results: dict[str, Any] = {
        "started_at": now.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
                    "loadavg_at_start": os.getloadavg(), "machine_busy_cpu_s_at_start": procs.machine_busy_seconds()},
        "params": {**counts, "quick": args.quick, "max_seconds": args.max_seconds,
                   "postgres": re.sub(r"//[^@/]*@", "//***@", args.postgres)},
    }
    results.update(measure(args, counts, deadline))
    results["machine"]["loadavg_at_end"] = os.getloadavg()
    results["wall_s"] = round(time.monotonic() - T0, 1)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    print(write(results, args.out_dir, stamp))
    progress(f"wrote {args.out_dir}/{stamp}.json, .md and .png")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
