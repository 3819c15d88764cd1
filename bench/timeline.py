"""One build's moments and the phases between them (bench.phases): parsing and arithmetic only, no server."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bench.summary import percentile

# A process that execs one of these is a step's chain (from its first exec, e.g. the `sh -c cd` before it).
CHAIN_STARTS = ("setpriv", "bwrap")
LINE_RE = re.compile(r'^(\d+) +(\d+):(\d+):([\d.]+) (?:execve\("([^"]+)".* = 0$|\+\+\+ (?:exited|killed))')
PHASES = (
    ("trigger: auth, configs, branch head → build row committed", "post", "build_row"),
    ("pipeline read, compiled, procs and task committed", "build_row", "queued"),
    ("POST answered after the task's commit", "queued", "post_answered"),
    ("hand-out: task committed → `next` answered", "queued", "next_answered"),
    ("agent: `next` answered → `init` received", "next_answered", "init"),
    ("agent: `init` → first step's processes start", "init", "step1_start"),
    ("first step (the clone step when on): process chain start → exit", "step1_start", "step1_end"),
    ("between steps", "step1_end", "step2_start"),
    ("second step: process chain start → exit", "step2_start", "step2_end"),
    ("agent: last exit → `done` received", "last_end", "done"),
    ("`done` handled (status, events)", "done", "done_answered"),
    ("client: `done` answered → 10 ms poll sees it", "done_answered", "seen"),
    ("whole: POST sent → seen", "post", "seen"),
)


@dataclass
class Stamps:
    """Requests (label, start, end) and commits (label, time) stamped in the server, in wall-clock seconds."""

    requests: list[tuple[str, float, float]] = field(default_factory=list)
    commits: list[tuple[str, float]] = field(default_factory=list)


def chains(trace: Path, day_start: float) -> list[tuple[float, float]]:
    """Return (start, end) of every step process chain in the agent's strace output, in wall-clock seconds."""
    began: dict[str, float] = {}
    chained: set[str] = set()
    found: list[tuple[float, float]] = []
    for line in trace.read_text(errors="replace").splitlines():
        match = LINE_RE.match(line)
        if not match:
            continue
        pid, stamp = match[1], day_start + int(match[2]) * 3600 + int(match[3]) * 60 + float(match[4])
        if match[5]:
            began.setdefault(pid, stamp)
            if Path(match[5]).name in CHAIN_STARTS:
                chained.add(pid)
        elif pid in began:
            start = began.pop(pid)
            if pid in chained:
                chained.discard(pid)
                found.append((start, stamp))
    return sorted(found)


def timeline(client: dict[str, float], stamps: Stamps, steps: list[tuple[float, float]]) -> dict[str, float]:
    """Return one build's moments, from the client's stamps and the server's and agent's within its window."""
    start, end = client["post"], client["seen"]
    inside = [r for r in stamps.requests if start <= r[1] <= end]
    post = next(r for r in inside if r[0].startswith("POST /api/repos/"))
    commits = [t for who, t in stamps.commits if who == post[0] and post[1] <= t <= post[2]]
    nexts = [r for r in stamps.requests if r[0] == "rpc next" and r[2] >= commits[-1]]
    moments = {**client, "build_row": commits[0], "queued": commits[-1], "post_answered": post[2],
               "next_answered": nexts[0][2]}
    moments["init"] = next(r[1] for r in inside if r[0].startswith("rpc init"))
    done = next(r for r in inside if r[0].startswith("rpc done") or r[0].endswith("+done"))
    moments["done"], moments["done_answered"] = done[1], done[2]
    mine = [s for s in steps if moments["init"] <= s[0] <= done[1]]
    for number, (began, ended) in enumerate(mine[:2], start=1):
        moments[f"step{number}_start"], moments[f"step{number}_end"] = began, ended
    moments["last_end"] = mine[-1][1]
    return moments


def phase_medians(builds: list[dict[str, float]]) -> list[tuple[str, float | None]]:
    """Return each phase's median duration in ms over the builds (None where a build has no such phase)."""
    rows = []
    for name, first, last in PHASES:
        spans = [(b[last] - b[first]) * 1000 for b in builds if first in b and last in b]
        rows.append((name, round(percentile(sorted(spans), 0.5), 1) if spans else None))
    return rows
