"""Which step the build page shows first, and how procs group into workflows."""
from __future__ import annotations

from circle.models import Proc
from circle.web.builds import default_pid, parallel_groups, process_tree, selected_pid


def procs(*states: str, workflows: int = 1) -> list[Proc]:
    """Return workflow procs (pid 1…) each with one step per state, in pid order."""
    rows, pid = [], 0
    for _ in range(workflows):
        pid += 1
        parent = pid
        rows.append(Proc(pid=parent, ppid=0, name=f"wf{parent}", state="running"))
        for state in states:
            pid += 1
            rows.append(Proc(pid=pid, ppid=parent, name=f"step{pid}", state=state))
    return rows


def test_first_failed_or_running_step_is_shown():
    """The first step that failed (or was killed, or errored) or is running comes first."""
    assert default_pid(procs("success", "failure", "failure")) == 3
    assert default_pid(procs("success", "running", "pending")) == 3
    assert default_pid(procs("success", "killed", "skipped")) == 3
    assert default_pid(procs("success", "success", "error")) == 4


def test_otherwise_the_last_step():
    """A build that passed, or has not started, shows its last step."""
    assert default_pid(procs("success", "success")) == 3
    assert default_pid(procs("pending", "pending", workflows=2)) == 6


def test_without_steps_the_workflow_or_nothing():
    """A workflow with no steps is shown itself; a build without procs shows nothing (0)."""
    assert default_pid([Proc(pid=1, ppid=0, name="wf", state="error")]) == 1
    assert default_pid([]) == 0


def test_pid_asked_for_is_kept_only_when_it_exists():
    """`?pid=` selects an existing proc; anything else falls back to the default."""
    rows = procs("success", "failure")
    assert selected_pid(rows, "2") == 2
    assert selected_pid(rows, "9") == 3 and selected_pid(rows, "x") == 3 and selected_pid(rows, None) == 3


def test_procs_group_under_their_workflow():
    """Each workflow comes with its steps, in pid order."""
    tree = process_tree(procs("success", "failure", workflows=2))
    assert [(wf.pid, [step.pid for step in steps]) for wf, steps in tree] == [(1, [2, 3]), (4, [5, 6])]


def test_steps_of_one_stage_group_together():
    """Consecutive steps of one stage form a group; steps without a stage, or of other stages, stand alone."""
    steps = [Proc(pid=pid, ppid=1, name=f"s{pid}", stage=stage)
             for pid, stage in enumerate(["clone", "build", "build", "build", "test", "", ""], start=2)]
    assert [[step.pid for step in group] for group in parallel_groups(steps)] == [[2], [3, 4, 5], [6], [7], [8]]
