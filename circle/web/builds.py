"""The build page `/repos/{repo_id}/builds/{number}`: proc tree, live log of the selected step, tests, artifacts,
actions."""
from __future__ import annotations

from typing import Sequence

from flask import render_template, request

from circle import states
from circle.errors import NotFound
from circle.models import Proc
from circle.service import permissions, waiting
from circle.store import builds, configs, files
from circle.web.guard import signed_in, viewer
from circle.web.testresults import build_summary

FAILED = frozenset({states.FAILURE, states.ERROR, states.KILLED})


def default_pid(procs: list[Proc]) -> int:
    """Return the step to show first: the first that failed or is running, else the last (0 when none)."""
    steps = [proc for proc in procs if proc.ppid] or list(procs)
    for proc in steps:
        if proc.state in FAILED or proc.state == states.RUNNING:
            return proc.pid
    return steps[-1].pid if steps else 0


def selected_pid(procs: list[Proc], requested: str | None) -> int:
    """Return the `?pid=` asked for when the build has it, else `default_pid`."""
    if requested and requested.isdigit() and any(proc.pid == int(requested) for proc in procs):
        return int(requested)
    return default_pid(procs)


def process_tree(procs: list[Proc]) -> list[tuple[Proc, list[Proc]]]:
    """Group procs into (workflow, its steps) pairs, in pid order."""
    children: dict[int, list[Proc]] = {}
    for proc in procs:
        if proc.ppid:
            children.setdefault(proc.ppid, []).append(proc)
    return [(proc, children.get(proc.pid, [])) for proc in procs if not proc.ppid]


def workflow_rows(tree: Sequence[tuple[Proc, object]]) -> list[list[Proc]]:
    """Group the workflows into rows by `depends_on`: a workflow's row is one below its latest dependency's."""
    workflows = {workflow.pid: workflow for workflow, _ in tree}
    rows: dict[int, int] = {}

    def row(pid: int, seen: frozenset[int]) -> int:
        if pid not in rows:
            deps = [dep for dep in workflows[pid].depends_on or [] if dep in workflows and dep not in seen]
            rows[pid] = 1 + max((row(dep, seen | {pid}) for dep in deps), default=-1)
        return rows[pid]

    grouped: list[list[Proc]] = [[] for _ in range(1 + max((row(pid, frozenset()) for pid in workflows), default=-1))]
    for pid, workflow in workflows.items():
        grouped[rows[pid]].append(workflow)
    return grouped


def parallel_groups(steps: list[Proc]) -> list[list[Proc]]:
    """Split a workflow's steps into runs of consecutive steps of one stage (which run in parallel)."""
    groups: list[list[Proc]] = []
    for step in steps:
        if groups and step.stage and groups[-1][-1].stage == step.stage:
            groups[-1].append(step)
        else:
            groups.append([step])
    return groups


def _config_name(config_id: int | None) -> str:
    """Return the name of the config a build ran ("" when it was deleted)."""
    if config_id is None:
        return ""
    try:
        return configs.get(config_id).name
    except NotFound:
        return ""


@signed_in
def build(repo_id: int, number: int) -> str:
    """Show a build of a repo the caller may read (steps grouped by parallel stage); `?pid=N` selects the step shown."""
    user = viewer()
    repo = permissions.repo_for(user, repo_id)
    found = builds.get_by_number(repo.id, number)
    procs = builds.list_procs(found.id)
    by_pid = {proc.pid: proc for proc in procs}
    tree = [(workflow, parallel_groups(steps)) for workflow, steps in process_tree(procs)]
    return render_template(
        "builds/build.html", repo=repo, build=found, tree=tree, rows=workflow_rows(tree), by_pid=by_pid,
        selected=by_pid.get(selected_pid(procs, request.args.get("pid"))), pinned="pid" in request.args,
        artifacts=files.list_by_build(found.id), config_name=_config_name(found.config_id),
        can_push=permissions.allows(user, repo, permissions.PUSH), waiting=waiting.of_build(found, procs),
        tests=build_summary(found), step_names={proc.pid: proc.name for proc in procs})
