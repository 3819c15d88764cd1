"""The pure parts of `python -m bench.phases`: step chains read from strace output, one build's phases."""
from __future__ import annotations

from pathlib import Path

from bench.timeline import Stamps, chains, phase_medians, timeline

TRACE = """\
100 10:00:00.100000 execve("/bin/sh", ["sh", "-c", "cd -- \\"$1\\""], 0x7ffd /* 3 vars */) = 0
100 10:00:00.101000 execve("/usr/bin/setpriv", ["setpriv"], 0x7ffd /* 3 vars */) = 0
101 10:00:00.102000 execve("/usr/local/bin/sh", ["sh"], 0x7ffd /* 3 vars */) = -1 ENOENT (No such file)
101 10:00:00.103000 execve("/usr/bin/git", ["git", "clone"], 0x7ffd /* 3 vars */) = 0
101 10:00:00.120000 +++ exited with 0 +++
100 10:00:00.130000 +++ exited with 0 +++
200 10:00:00.140000 execve("/usr/bin/bwrap", ["bwrap"], 0x7ffd /* 3 vars */) = 0
200 10:00:00.150000 +++ killed by SIGKILL +++
"""


def test_a_chain_runs_from_its_first_exec_to_its_exit_and_other_processes_are_not_chains(tmp_path: Path):
    """The `sh -c cd` before setpriv starts the chain; a git inside it, or a failed exec, is no chain of its own."""
    trace = tmp_path / "agent.strace"
    trace.write_text(TRACE)
    found = chains(trace, 1000.0)
    assert [(round(a - 1000 - 36000, 3), round(b - 1000 - 36000, 3)) for a, b in found] == [(0.1, 0.13), (0.14, 0.15)]


def test_one_builds_moments_come_from_its_own_window():
    """The POST's commits split the trigger; `next` is the first answered after the task's commit; steps in order."""
    stamps = Stamps(
        requests=[("rpc next", 0.5, 1.02), ("rpc next", 1.02, 1.045), ("POST /api/repos/1/builds", 1.0, 1.04),
                  ("rpc init", 1.05, 1.06), ("rpc update+log+update", 1.2, 1.21), ("rpc done", 1.25, 1.27)],
        commits=[("POST /api/repos/1/builds", 1.01), ("rpc next", 1.02), ("POST /api/repos/1/builds", 1.03)])
    moments = timeline({"post": 1.0, "seen": 1.3}, stamps, [(0.2, 0.3), (1.07, 1.1), (1.12, 1.2)])
    assert (moments["build_row"], moments["queued"], moments["next_answered"]) == (1.01, 1.03, 1.045)
    assert (moments["step1_start"], moments["step2_end"], moments["last_end"]) == (1.07, 1.2, 1.2)
    table = dict(phase_medians([moments]))
    assert table["whole: POST sent → seen"] == 300.0
    assert table["`done` handled (status, events)"] == 20.0
