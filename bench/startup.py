"""Server start, in CPU seconds as well as wall time: spawn of `circle server` → first 200 on /healthz.

    .venv/bin/python -m bench.startup [--cycles 6] [--code DIR]

The first start migrates a fresh SQLite database and is reported apart; the others start on it as it is.
CPU (utime+stime of the server process when it first answered) is what to compare on a loaded machine.
`--code DIR` runs the server from another checkout (PYTHONPATH=DIR, and DIR as its working directory, which
`python -m` puts first on sys.path), e.g. to compare a branch with main.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from bench.circle_side import Circle, phase_startup


def main() -> int:
    """Start and stop the server `--cycles` times; print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=6, help="starts, the first on a fresh database (default 6)")
    parser.add_argument("--code", help="the checkout the server runs from (default: this one)")
    args = parser.parse_args()
    if args.code:
        os.environ["PYTHONPATH"] = os.path.abspath(args.code)
        os.chdir(args.code)
    circle = Circle(None, time.monotonic() + 600)
    try:
        figures = phase_startup(circle, max(2, args.cycles))
    finally:
        circle.close()
    wall, cpu = figures["server_http_ready_s"], figures["server_cpu_at_ready_s"]
    print(f"first start (fresh database): {figures['first_start_fresh_db_s'] * 1000:.0f} ms; then median "
          f"{wall['median'] * 1000:.0f} ms wall, {cpu['median'] * 1000:.0f} ms CPU "
          f"(CPU s of each start: {figures['raw']['cpu_at_ready_s']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
