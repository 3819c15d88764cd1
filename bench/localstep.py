"""One local step's wall time through LocalBackend (start_step → output drained → wait_step), checkouts alternating.

    .venv/bin/python -m bench.localstep [--runs 30] [--gevent] [--code DIR ...]

Each `--code DIR` (default: this checkout) gets a worker process importing circle from DIR, with one sandboxed
LocalBackend set up (as the agent's: root → uid nobody). The workers run `true` steps in turn, one step each per
round, so a before/after pair sees the same moment of a busy machine. `--gevent` monkey-patches the workers as
the agent is. Prints per checkout the wall time's median, quartiles and minimum, and the median CPU time of the
step's processes (every process the step's chain ran, reaped), in milliseconds.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

WORKER = """
import resource, sys, time
if sys.argv[1] == "gevent":
    from gevent import monkey; monkey.patch_all()
from circle.pipeline.backends.local import LocalBackend
from circle.pipeline.types import Config, Step
backend = LocalBackend(root=sys.argv[2])
backend.setup(Config())
index = 0
for _ in sys.stdin:
    step = Step(name=f"s{index}", commands=["true"], working_dir="/circle/src")
    index += 1
    t0, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    backend.start_step(step)
    for _chunk in backend.tail_step(step):
        pass
    state = backend.wait_step(step)
    wall, cpu1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    print(f"{wall * 1000:.3f} {cpu * 1000:.3f} {state.exit_code}", flush=True)
backend.destroy(Config())
"""


def main() -> int:
    """Start one worker per checkout, alternate their steps for `--runs` rounds, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="steps per checkout (default 30)")
    parser.add_argument("--gevent", action="store_true", help="monkey-patch the workers, as the agent is")
    parser.add_argument("--code", action="append", help="a checkout to measure (repeatable; default this one)")
    args = parser.parse_args()
    codes = [os.path.abspath(code) for code in args.code or [os.getcwd()]]
    root = tempfile.mkdtemp(prefix="circle-localstep-")
    os.chmod(root, 0o755)  # the step user enters its workspace below it
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, "gevent" if args.gevent else "plain", root],
                                cwd=code, env={**os.environ, "PYTHONPATH": code}, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True) for code in codes]
    samples: list[list[float]] = [[] for _ in codes]
    cpus: list[list[float]] = [[] for _ in codes]
    try:
        for _ in range(args.runs + 1):  # the first round warms up
            for worker, times, cpu in zip(workers, samples, cpus):
                assert worker.stdin is not None and worker.stdout is not None
                worker.stdin.write("go\n")
                worker.stdin.flush()
                millis, cpu_millis, code = worker.stdout.readline().split()
                if code != "0":
                    raise SystemExit(f"a step exited with {code}")
                times.append(float(millis))
                cpu.append(float(cpu_millis))
    finally:
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.close()
            worker.wait(60)
        shutil.rmtree(root, ignore_errors=True)
    for code, times, cpu in zip(codes, samples, cpus):
        runs = times[1:]
        quartiles = statistics.quantiles(runs, n=4)
        print(f"{code}: median {statistics.median(runs):.2f} ms (quartiles {quartiles[0]:.2f}–{quartiles[2]:.2f}, "
              f"min {min(runs):.2f}), children's CPU median {statistics.median(cpu[1:]):.1f} ms; "
              f"{len(runs)} steps{', gevent' if args.gevent else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
