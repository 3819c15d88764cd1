"""The processes a traced program spawned, from `strace -f -q -tt -e trace=execve` output (bench.roundtrips)."""
from __future__ import annotations

import os
import re
from pathlib import Path

# The command line that traces every exec of a program and its descendants, with times, and their exits.
STRACE = ["strace", "-f", "-q", "-tt", "--seccomp-bpf", "-e", "trace=execve", "-e", "signal=none"]
# "PID HH:MM:SS.ffffff execve("/usr/bin/git", ["git", ...], ...) = 0" and "PID HH:MM:SS.ffffff +++ exited with 0 +++"
EXEC_RE = re.compile(r'^(\d+) +(\d+):(\d+):([\d.]+) execve\("([^"]+)", \[([^]]*)\].* = 0$')
EXIT_RE = re.compile(r"^(\d+) +(\d+):(\d+):([\d.]+) \+\+\+ (?:exited|killed)")


def execs(trace: Path, offset: int = 0) -> tuple[list[tuple[str, float]], int]:
    """Return the programs exec'd in the strace output after `offset` (name, seconds from exec to exit), and its end."""
    with open(trace, "rb") as fh:
        fh.seek(offset)
        data = fh.read()
    end = offset + data.rfind(b"\n") + 1
    started: dict[str, tuple[str, float]] = {}
    found: list[tuple[str, float]] = []
    for line in data[:end - offset].decode(errors="replace").splitlines():
        if match := EXEC_RE.match(line):
            name = program(match[5], [a.strip('"') for a in match[6].split(", ")])
            if match[1] in started:  # exec without fork (sh's last command): the earlier program ends here
                found.append((started[match[1]][0], _seconds(match) - started[match[1]][1]))
            started[match[1]] = (name, _seconds(match))
        elif (match := EXIT_RE.match(line)) and match[1] in started:
            name, t0 = started.pop(match[1])
            found.append((name, _seconds(match) - t0))
    return found, end


def program(path: str, argv: list[str]) -> str:
    """Return how a process is counted: its program's name, and for git its subcommand ("git fetch")."""
    name = os.path.basename(path)
    if name != "git":
        return name
    args = iter(argv[1:])
    for arg in args:
        if arg in ("-c", "-C"):
            next(args, None)
        elif not arg.startswith("-"):
            return f"git {arg}"
    return name


def _seconds(match: re.Match[str]) -> float:
    """Return the time of day of a strace line in seconds."""
    return int(match[2]) * 3600 + int(match[3]) * 60 + float(match[4])
