"""Benchmark the pipeline compiler on the corpus of bench/corpus.py (shared + corpus_extra); prints figures.

    .venv/bin/python bench/compile.py [--runs N]

For the largest corpus file it prints the median time of compile_pipeline (every matrix axis),
of lint, and of parsing alone; then the median over every corpus file and the slowest file
that compiles to a single workflow.
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from bench.corpus import corpus_files
from circle.compiler import Metadata, compile_pipeline, lint
from circle.compiler.metadata import BuildInfo, CommitInfo, RepoInfo
from circle.compiler.yamlnodes import load
from circle.errors import CompileError

META = Metadata(repo=RepoInfo(full_name="octo/hello", owner="octo", name="hello",
                              clone_url="https://git.example.com/octo/hello.git"),
                commit=CommitInfo(sha="a" * 40, ref="refs/heads/master", branch="master"),
                build=BuildInfo(number=1, event="push"))


def median_ms(action: Callable[[], object], runs: int) -> float:
    """Return the median wall time of `action` in milliseconds."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    files = corpus_files()
    largest_name, largest = max(files, key=lambda item: item[1].stat().st_size)
    text = largest.read_text()
    workflows = compile_pipeline(text, META, trusted=True)
    steps = sum(len(w.config.steps()) for w in workflows)
    full = median_ms(lambda: compile_pipeline(text, META, trusted=True), runs)
    print(f"largest file: {largest_name} ({largest.stat().st_size} bytes, "
          f"{text.count(chr(10))} lines) -> {len(workflows)} workflows, {steps} steps")
    per_workflow = full / max(len(workflows), 1)
    print(f"  compile_pipeline (all axes):   {full:8.2f} ms median ({per_workflow:.2f} ms per workflow)")
    print(f"  lint:                          {median_ms(lambda: lint(text, filename='f'), runs):8.2f} ms median")
    print(f"  YAML parse with positions:     {median_ms(lambda: load(text), runs):8.2f} ms median")
    per_file, single = [], []
    for name, path in files:
        source = path.read_text()
        try:
            count = len(compile_pipeline(source, META, trusted=True))
        except CompileError:
            continue
        elapsed = median_ms(lambda: compile_pipeline(source, META, trusted=True), max(runs // 5, 3))
        per_file.append(elapsed)
        if count == 1:
            single.append((elapsed, name))
    slowest, slowest_name = max(single)
    print(f"corpus: {len(per_file)} files compile, median {statistics.median(per_file):.2f} ms, "
          f"max {max(per_file):.2f} ms")
    print(f"slowest single-workflow file: {slowest_name} {slowest:.2f} ms")


if __name__ == "__main__":
    main()
