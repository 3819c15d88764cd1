"""Benchmark the pipeline compiler on the corpus of bench/corpus.py (shared + corpus_extra); prints figures.

    .venv/bin/python -m bench.compile [--runs N] [--cli-runs N] [--checkout DIR]

In-process: the median time of compile_pipeline for every corpus file that compiles, summarised as
p50/p90/max over the files (goal: a real file < 50 ms), and the largest file's compile, lint and parse.
Command line: the median wall time of `circle compile`, `circle lint` and `circle schema` on the median-sized
corpus file (and of `circle compile` on the largest), each a fresh `python -m circle`, with and without a
bytecode cache (goal: compile < 300 ms), and its CPU time (user + system), which depends less on what else
the machine runs.
`--checkout DIR` times the command line of another checkout (e.g. /work/main, for a before/after figure).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.corpus import ROOT, corpus_files
from bench.summary import percentile
from circle.compiler import Metadata, compile_pipeline, lint
from circle.compiler.metadata import BuildInfo, CommitInfo, RepoInfo
from circle.compiler.yamlnodes import load
from circle.errors import CompileError

META = Metadata(repo=RepoInfo(full_name="octo/hello", owner="octo", name="hello",
                              clone_url="https://git.example.com/octo/hello.git"),
                commit=CommitInfo(sha="a" * 40, ref="refs/heads/master", branch="master"),
                build=BuildInfo(number=1, event="push"))


def median_ms(action: Callable[[], object], runs: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Return the median time of `action` by `clock` (wall by default) in milliseconds, after one warm-up call."""
    action()
    times = []
    for _ in range(runs):
        start = clock()
        action()
        times.append(clock() - start)
    return statistics.median(times) * 1000


def compiles(path: Path) -> bool:
    """Tell whether a corpus file compiles for the bench's build."""
    try:
        compile_pipeline(path.read_text(), META, trusted=True)
    except CompileError:
        return False
    return True


def in_process(files: list[tuple[str, Path]], runs: int) -> None:
    """Print the compile time per file over the corpus, and the largest file's figures."""
    per_file = [(median_ms(lambda: compile_pipeline(p.read_text(), META, trusted=True), runs), name)
                for name, p in files]
    times = [ms for ms, _ in per_file]
    slowest, slowest_name = max(per_file)
    print(f"in-process, {len(files)} corpus files that compile (median of {runs} runs each):")
    print(f"  compile_pipeline p50 {percentile(times, 0.5):.2f} ms, p90 {percentile(times, 0.9):.2f} ms, "
          f"max {slowest:.2f} ms ({slowest_name})")
    largest_name, largest = max(files, key=lambda item: item[1].stat().st_size)
    text = largest.read_text()
    workflows = compile_pipeline(text, META, trusted=True)
    steps = sum(len(w.config.steps()) for w in workflows)
    cpu = median_ms(lambda: compile_pipeline(text, META, trusted=True), runs, time.process_time)
    print(f"  largest file {largest_name} ({largest.stat().st_size} bytes) -> "
          f"{len(workflows)} workflows, {steps} steps: compile {cpu:.2f} ms CPU,")
    print(f"    lint {median_ms(lambda: lint(text, filename='f'), runs):.2f} ms, "
          f"YAML parse with positions {median_ms(lambda: load(text), runs):.2f} ms")


def command_line(files: list[tuple[str, Path]], runs: int, checkout: Path) -> None:
    """Print the median wall time of the pipeline commands of `checkout` on the median-sized file, with
    bytecode cached (as an installed circle runs) and without (PYTHONDONTWRITEBYTECODE, as on this machine)."""
    by_size = sorted(files, key=lambda item: item[1].stat().st_size)
    median_name, median_file = by_size[len(by_size) // 2]
    largest = by_size[-1][1]
    print(f"command line of {checkout}, median of {runs} runs, on the median-sized file "
          f"{median_name} ({median_file.stat().st_size} bytes) unless named:")
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="circle-bench-pyc-") as cache:
        modes = {"bytecode cached": {**base, "PYTHONPYCACHEPREFIX": cache},
                 "no bytecode cache": {**base, "PYTHONDONTWRITEBYTECODE": "1"}}
        build = ["--branch", META.commit.branch, "--event", META.build.event]  # the build the in-process figures use
        commands = {"compile": ["compile", *build, str(median_file)], "lint": ["lint", str(median_file)],
                    "schema": ["schema"], f"compile {largest.name}": ["compile", *build, str(largest)]}
        for label, argv in commands.items():
            figures = []
            for mode, env in modes.items():
                samples = [_run([sys.executable, "-m", "circle", *argv], {**env, "PYTHONPATH": str(checkout)},
                                checkout) for _ in range(runs + 1)][1:]  # the first run fills the bytecode cache
                if None in samples:
                    figures = ["not a command of this checkout"]
                    break
                wall, cpu = zip(*(s for s in samples if s is not None))
                figures.append(f"{mode} {statistics.median(wall) * 1000:6.1f} ms wall "
                               f"(p90 {percentile(wall, 0.9) * 1000:.1f}), {statistics.median(cpu) * 1000:.1f} ms CPU")
            print(f"  circle {label}: " + ", ".join(figures))


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float] | None:
    """Return the wall and CPU (user + system) seconds of one run of a command (None when it fails)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return (wall, cpu) if done.returncode == 0 else None


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="in-process runs per file")
    parser.add_argument("--cli-runs", type=int, default=15, help="command-line runs per command")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the circle checkout whose CLI is timed")
    args = parser.parse_args()
    files = [(name, path) for name, path in corpus_files() if compiles(path)]
    in_process(files, args.runs)
    command_line(files, args.cli_runs, args.checkout.resolve())


if __name__ == "__main__":
    main()
