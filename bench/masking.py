"""Benchmark the step output path with masking: a 10 MiB log through `StepOutput` in 64 KiB reads.

    .venv/bin/python bench/masking.py [--mib N] [--repeat N]

Prints the median time with no secrets and with six realistic ones (a token, a password with URL
metacharacters, a 27-line PEM key, a GitHub token, an upload URL, a password), for a log where one
line in 1 000 holds a secret and one where every line does. Goal: no slower than the line-by-line
masker of before issue 16's encodings (the README's Benchmarks give both).
"""
from __future__ import annotations

import argparse
import base64
import random
import statistics
import time

from circle.pipeline.masking import Masker
from circle.pipeline.output import StepOutput
from circle.pipeline.types import LogLine

KEY_BODY = base64.b64encode(random.Random(16).randbytes(1190)).decode()  # a 2048-bit RSA key's size
PEM = ("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(KEY_BODY[i:i + 64] for i in range(0, len(KEY_BODY), 64))
       + "\n-----END RSA PRIVATE KEY-----\n")
SECRETS = ["tok-0123456789abcdef", "p@ss w0rd/+=&%", PEM, "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
           "http://ci.example/api/upload/3.2.0123abcd", "hunter2!"]


def log(size: int, every: int) -> bytes:
    """Return about `size` bytes of compiler-like lines, one in `every` holding the token."""
    lines, total, i = [], 0, 0
    while total < size:
        line = f"[{i:07d}] compiling src/module_{i % 97}/file_{i % 13}.c -O2 -Wall -DNDEBUG ... ok ({i % 1000} ms)"
        if i % every == 0:
            line += " token tok-0123456789abcdef"
        lines.append(line)
        total += len(line) + 1
        i += 1
    return ("\n".join(lines) + "\n").encode()


def through(data: bytes, masker: Masker) -> float:
    """Return the seconds `StepOutput` takes over `data` fed in 64 KiB reads."""
    def emit(line: LogLine) -> None:
        """Drop the line."""
    start = time.perf_counter()
    output = StepOutput("step", masker, emit, max_output=1 << 40)
    for offset in range(0, len(data), 65536):
        output.feed(data[offset:offset + 65536])
    output.close()
    return time.perf_counter() - start


def main() -> None:
    """Print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    for every in (1000, 1):
        data = log(args.mib << 20, every)
        for label, secrets in (("no secrets", []), ("6 secrets", SECRETS)):
            masker = Masker(secrets)
            median = statistics.median(through(data, masker) for _ in range(args.repeat))
            print(f"{args.mib} MiB, a secret in 1 line of {every:<5} {label:10}: {median * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
