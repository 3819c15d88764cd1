"""Benchmark the pipeline runtime: per-step overhead and log-line throughput.

    .venv/bin/python bench/runtime.py [--lines N] [--steps N] [--repeat N]

Prints, next to each other, the wall time of `circle exec --backend local` and of the same shell
commands run directly, for a 1-step `echo hello` pipeline and for a step printing N lines; then the
runtime's own per-step overhead (Runtime + local backend, no CLI start-up, no compile; without and
with the bubblewrap sandbox) and the lines per second through the output path (split, decode, mask
with secrets set, number, tracer).
Goals: < 50 ms overhead per step, >= 200 000 lines/s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from circle.pipeline.backends import get_backend
from circle.pipeline.runtime import Runtime
from circle.pipeline.types import Config, LogLine, Secret, Stage, Step, StepState

SECRETS = [Secret("token", "tok-0123456789"), Secret("key", "-----BEGIN KEY-----\nabcdef0123\n-----END KEY-----")]


class CountingTracer:
    """Count lines; keep nothing."""

    def __init__(self) -> None:
        self.lines = 0

    def state(self, step: Step, state: StepState) -> None:
        """Ignore states."""

    def line(self, step: Step, line: LogLine) -> None:
        """Count one line."""
        self.lines += 1


def median_time(action: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of `action` over `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def project(root: Path, name: str, commands: list[str]) -> Path:
    """Return a git checkout holding a one-step pipeline without a clone step."""
    path = root / name
    path.mkdir()
    lines = "\n".join(f"      - {c}" for c in commands)
    (path / ".circle.yml").write_text(f"clone:\n  disable: true\npipeline:\n  step:\n    image: none\n"
                                      f"    commands:\n{lines}\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@b"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run(["git", *args], cwd=path, env=env, check=True)
    return path


def circle_exec(path: Path) -> None:
    """Run `circle exec --backend local` in `path`, output discarded."""
    subprocess.run([sys.executable, "-c", "from circle.cli import run; run()", "exec", "--backend", "local"],
                   cwd=path, stdout=subprocess.DEVNULL, check=True)


def shell(commands: list[str]) -> None:
    """Run the same commands directly with sh, output discarded."""
    subprocess.run(["sh", "-e", "-c", "\n".join(commands)], stdout=subprocess.DEVNULL, check=True)


def python_start() -> None:
    """Start the interpreter and import the CLI, nothing else."""
    subprocess.run([sys.executable, "-c", "import circle.cli"], check=True)


def runtime_steps(steps: int, sandbox: bool) -> float:
    """Return the wall time of a pipeline of `steps` sequential `true` steps on the local backend."""
    config = Config(stages=[Stage(f"s{i}", [Step(f"step{i}", commands=["true"])]) for i in range(steps)],
                    secrets=SECRETS, trusted=True)
    start = time.perf_counter()
    Runtime(config, get_backend("local", sandbox=sandbox), CountingTracer()).run()
    return time.perf_counter() - start


def line_throughput(lines: int, backend: str) -> tuple[float, int]:
    """Return (seconds, lines seen) for one step printing `lines` lines, masking on."""
    body = "\n".join(f"line {i} of the benchmark with token tok-0123456789 inside" for i in range(lines))
    step = Step("chatty", commands=[f"seq 1 {lines} | sed 's/$/ of the benchmark with tok-0123456789 inside/'"],
                environment={"DUMMY_OUTPUT": body} if backend == "dummy" else {})
    tracer = CountingTracer()
    start = time.perf_counter()
    Runtime(Config(stages=[Stage("s", [step])], secrets=SECRETS), get_backend(backend), tracer,
            max_output=1 << 30).run()
    return time.perf_counter() - start, tracer.lines


def main() -> None:
    """Run every measurement and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, median of {args.repeat} runs\n")
    hello = ["echo hello"]
    many = [f"seq 1 {args.lines} | sed 's/$/ of the benchmark/'"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = [("1 step `echo hello`", project(root, "hello", hello), hello),
                (f"1 step printing {args.lines} lines", project(root, "lines", many), many)]
        start_up = median_time(python_start, args.repeat)
        print(f"{'':34} {'circle exec':>12} {'sh directly':>12} {'difference':>12}")
        for label, path, commands in rows:
            through = median_time(lambda p=path: circle_exec(p), args.repeat)
            direct = median_time(lambda c=commands: shell(c), args.repeat)
            print(f"{label:34} {through * 1000:10.1f}ms {direct * 1000:10.1f}ms {(through - direct) * 1000:10.1f}ms")
        print(f"{'(python start + import circle.cli)':34} {start_up * 1000:10.1f}ms\n")

    direct = median_time(lambda: [shell(["true"]) for _ in range(args.steps)], args.repeat)
    for sandbox in (False, True):
        pipeline = median_time(lambda s=sandbox: runtime_steps(args.steps, s), args.repeat)
        overhead = (pipeline - direct) / args.steps
        print(f"runtime, {args.steps} sequential `true` steps, {'bubblewrap' if sandbox else 'no sandbox':10}: "
              f"{pipeline * 1000:.1f}ms; sh directly: {direct * 1000:.1f}ms; "
              f"overhead {overhead * 1000:.2f}ms per step (goal < 50 ms)")
    for backend in ("dummy", "local"):
        seconds, seen = min((line_throughput(args.lines, backend) for _ in range(args.repeat)), key=lambda r: r[0])
        print(f"lines through the runtime ({backend:5} backend, masking on): {seen} lines in {seconds * 1000:.1f}ms "
              f"= {seen / seconds:,.0f} lines/s (goal >= 200,000)")


if __name__ == "__main__":
    main()
