"""Which step the build page shows first, and how procs group into workflows."""
from __future__ import annotations

from circle.models import Proc
from circle.web.builds import default_pid, parallel_groups, process_tree, selected_pid, workflow_rows


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


def test_workflows_form_rows_by_depends_on():
    """A workflow sits one row below its latest dependency; independent ones share the first row, whatever
    the pid order."""
    deploy = Proc(pid=1, ppid=0, name="deploy", depends_on=[3, 4])
    build = Proc(pid=2, ppid=0, name="build")
    test = Proc(pid=3, ppid=0, name="test", depends_on=[2])
    lint = Proc(pid=4, ppid=0, name="lint")
    rows = workflow_rows(process_tree([deploy, build, test, lint]))
    assert [[wf.name for wf in row] for row in rows] == [["build", "lint"], ["test"], ["deploy"]]


def test_a_dependency_cycle_or_unknown_pid_still_gives_rows():
    """Rows are drawn even from inconsistent data (a cycle, a dependency that is not in the build)."""
    first = Proc(pid=1, ppid=0, name="a", depends_on=[2, 9])
    second = Proc(pid=2, ppid=0, name="b", depends_on=[1])
    rows = workflow_rows(process_tree([first, second]))
    assert sorted(wf.name for row in rows for wf in row) == ["a", "b"]


def test_steps_of_one_stage_group_together():
    """Consecutive steps of one stage form a group; steps without a stage, or of other stages, stand alone."""
    steps = [Proc(pid=pid, ppid=1, name=f"s{pid}", stage=stage)
             for pid, stage in enumerate(["clone", "build", "build", "build", "test", "", ""], start=2)]
    assert [[step.pid for step in group] for group in parallel_groups(steps)] == [[2], [3, 4, 5], [6], [7], [8]]
