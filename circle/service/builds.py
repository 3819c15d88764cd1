"""The build lifecycle: create, start (compile → procs → tasks), restart (the build, or some of its workflows), fork,
cancel, approve, decline."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from circle import states as status  # `status.X` names the states in the bodies below
from circle.errors import CircleError, CompileError, Conflict, InvalidInput
from circle.hub import hub
from circle.models import Build, Config, Proc, Repo, User
from circle.models.types import now
from circle.origin import Origin
from circle.pipeline.types import Workflow
from circle.service import events, progress, uploads
from circle.service.names import build_name
from circle.service.pipelines import compile_build, inline, pipeline_files
from circle.store import builds as build_store
from circle.store import configs as config_store
from circle.store import files as file_store
from circle.store import repos as repo_store
from circle.store import tasks as task_store
from circle.store.base import commit, transaction

if TYPE_CHECKING:
    from circle.compiler.files import PipelineFile

log = logging.getLogger(__name__)

DEFAULT_PLATFORM = "linux/amd64"
# The workflow states `restart?failed=true` runs again.
FAILED_WORKFLOW = (status.FAILURE, status.ERROR, status.KILLED)


def create(repo: Repo, config: Config, origin: Origin, *, parent: int = 0, gated: bool = False,
           files: list[PipelineFile] | None = None) -> Build:
    """Create one build of `config` and start it (or leave it blocked when gated).

    `files` is the pipeline when the caller read it ahead (`read_ahead`). A small one (compiled on the
    loop) is compiled and queued in the transaction that creates the build row: one commit, and a crash
    leaves nothing. Otherwise the build row is committed first, pending, so that the slow part (reading
    and compiling the pipeline) holds no write lock; its procs and tasks are then written in one
    transaction. A crash in between leaves a pending build without tasks, which the sweeper
    (service.reaper.sweep) ends in error.
    """
    at_once = not gated and files is not None and inline(files)
    with transaction("build"):
        number = repo_store.next_number(repo)
        # Queued in this transaction: enqueued now, so that _start's status write finds nothing to change.
        build = build_store.create(repo_id=repo.id, config_id=config.id, number=number, parent=parent,
                                   status=status.BLOCKED if gated else status.PENDING,
                                   enqueued=now() if at_once else 0, **origin.columns())
        if at_once:
            _start(repo, config, build, files)
        events.build_changed(build)
    commit("build")
    log.info("%s#%s created (%s %s)", repo.full_name, number, origin.event, origin.ref)
    if not gated and not at_once:
        start(repo, config, build, files)
    return build


def read_ahead(repo: Repo, config: Config, origin: Origin) -> list[PipelineFile] | None:
    """Read a config's pipeline files for a build of `origin`; None when that fails (`_start` reads and reports).

    Only while the caller's unit of work has written nothing: the read waits on the SCM, and under gevent
    SQLite's write lock held across that wait stalls every other writer (they block in SQLite, not in gevent).
    """
    try:
        return pipeline_files(repo, config, origin.commit or origin.ref)
    except Exception:  # read again in _start, whose error (or traceback, for a bug) ends the build
        return None


def start(repo: Repo, config: Config, build: Build, files: list[PipelineFile] | None = None) -> None:
    """Compile the build (its `files`, when already read) and queue one task per workflow, in one transaction;
    compile problems end it in error."""
    with transaction("build"):
        _start(repo, config, build, files)
        events.build_changed(build)
    commit("build")


def _start(repo: Repo, config: Config, build: Build, files: list[PipelineFile] | None = None) -> None:
    """Compile, then write the procs, the tasks and the build's status (or end the build in error)."""
    try:
        workflows, several = compile_build(repo, config, build, files)
    except CompileError as err:
        _end(build, status.ERROR, f"the pipeline is invalid:\n{err}")
        return
    except CircleError as err:
        _end(build, status.ERROR, str(err))
        return
    except Exception as err:  # boundary: a compiler bug must end the build, never leave it pending
        log.exception("build %s: compiling failed", build.id)
        _end(build, status.ERROR, f"internal error while compiling the pipeline: {err}")
        return
    if not workflows:
        _end(build, status.SKIPPED, "no workflow matches this event")
        return
    procs = _create_procs(build, config, workflows, several)
    build_store.update(build, status=status.PENDING, enqueued=now(), error="")
    for workflow, proc in zip(workflows, procs):
        _queue(repo, build, workflow, proc)


def _queue(repo: Repo, build: Build, workflow: Workflow, proc: Proc) -> None:
    """Push the task that runs one workflow (waiting, when it depends on other workflows of the build)."""
    labels = {"platform": DEFAULT_PLATFORM, **workflow.labels}
    hub().queue.push(build_id=build.id, repo_id=repo.id, proc_id=proc.id, labels=labels, timeout=repo.timeout,
                     waiting=bool(proc.depends_on), payload={"config": workflow.config.to_json(), "pid": proc.pid})


def _end(build: Build, state: str, error: str) -> None:
    """Finish a build that never ran."""
    build_store.update(build, status=state, error=error, finished=now())
    log.info("%s ended %s: %s", build_name(build), state, error.splitlines()[0] if error else "")


def _workflow_name(config: Config, workflow: Workflow, count: int, several: bool) -> str:
    """Return the name of a workflow proc: its file's when the config has several, else the config's (with
    the axis when a matrix)."""
    if several:
        return workflow.name
    name = config.name
    if count > 1 and workflow.axis:
        name += " (" + ", ".join(f"{k}={v}" for k, v in workflow.axis.items()) + ")"
    return name


def _create_procs(build: Build, config: Config, workflows: list[Workflow], several: bool) -> list[Proc]:
    """Create the process tree: one workflow proc per file and axis, one child per step; return the workflow procs.

    `several` tells that the workflows come from several files (and so are named after them).
    """
    rows: list[Proc] = []
    workflow_rows: list[Proc] = []
    pids: dict[str, int] = {}
    pid = 0
    for workflow in workflows:  # listed after the workflows they depend on (compiler.workflows)
        pid += 1
        pids[workflow.name] = pid
        parent = Proc(build_id=build.id, pid=pid, ppid=0,
                      name=_workflow_name(config, workflow, len(workflows), several), stage="",
                      state=status.PENDING, environment=dict(workflow.axis),
                      platform=workflow.labels.get("platform", DEFAULT_PLATFORM),
                      depends_on=[pids[name] for name in workflow.depends_on] or None,
                      runs_on=list(workflow.runs_on) if workflow.depends_on else None)
        rows.append(parent)
        workflow_rows.append(parent)
        parent_pid = pid
        for stage in workflow.config.stages:
            for step in stage.steps:
                pid += 1
                # The same columns as a workflow row: all rows then go in one multi-row INSERT.
                rows.append(Proc(build_id=build.id, pid=pid, ppid=parent_pid, name=step.name, stage=stage.name,
                                 state=status.PENDING, platform="", environment={}, depends_on=None, runs_on=None))
                uploads.bind_step(build, step, pid)
    build_store.create_procs(rows)
    return workflow_rows


def _config_of(build: Build) -> Config:
    """Return the config a build ran, or raise Conflict when it was deleted."""
    if build.config_id is None:
        raise Conflict(f"build #{build.number}'s config was deleted; it cannot run again")
    return config_store.get(build.config_id)


def restart(repo: Repo, build: Build) -> Build:
    """Run a finished build again in place: same number; procs, logs and files reset."""
    if build.status in status.ACTIVE:
        raise Conflict(f"build #{build.number} is {build.status}; cancel it before restarting")
    config = _config_of(build)
    task_store.delete_by_build(build.id)
    for artifact in file_store.list_by_build(build.id):
        file_store.delete(artifact)
    hub().logs.forget(proc.id for proc in build_store.list_procs(build.id))
    build_store.delete_procs(build.id)
    build_store.update(build, status=status.PENDING, error="", started=0, finished=0, enqueued=0,
                       reviewer="", created=now())
    commit("build")
    start(repo, config, build)
    return build


def restart_workflow(repo: Repo, build: Build, pid: int) -> Build:
    """Run one workflow of a finished build again; the others keep their results, logs and files."""
    workflow = build_store.get_proc_by_pid(build.id, pid)
    if workflow.ppid:
        raise InvalidInput(f"proc {pid} of build #{build.number} is a step, not a workflow",
                           {"pid": ["name a workflow (a proc with ppid 0)"]})
    return _rerun(repo, build, [workflow])


def restart_failed(repo: Repo, build: Build) -> Build:
    """Run the failed, errored and killed workflows of a finished build again; the passed ones stay as they are."""
    failed = [w for w in build_store.list_workflows(build.id) if w.state in FAILED_WORKFLOW]
    if not failed:
        raise Conflict(f"build #{build.number} has no failed workflow to restart")
    return _rerun(repo, build, failed)


def _rerun(repo: Repo, build: Build, chosen: list[Proc]) -> Build:
    """Compile the build again and queue the `chosen` workflows afresh, in one transaction."""
    if build.status in status.ACTIVE:
        raise Conflict(f"build #{build.number} is {build.status}; cancel it before restarting")
    config = _config_of(build)
    try:
        compiled, several = compile_build(repo, config, build)
    except CompileError as err:
        raise Conflict(f"build #{build.number}'s pipeline no longer compiles:\n{err}") from None
    existing = build_store.list_workflows(build.id)
    chosen = _with_skipped_dependents(existing, chosen)
    if [w.name for w in existing] != [_workflow_name(config, w, len(compiled), several) for w in compiled]:
        raise Conflict(f"build #{build.number}'s workflows changed since it ran; restart the whole build")
    by_pid = {proc.pid: workflow for proc, workflow in zip(existing, compiled)}
    steps = {proc.pid: build_store.list_steps(build.id, proc.pid) for proc in chosen}
    for proc in chosen:
        if [s.name for s in steps[proc.pid]] != [s.name for s in by_pid[proc.pid].config.steps()]:
            raise Conflict(f"the steps of workflow {proc.name!r} changed since it ran; restart the whole build")
    for proc in chosen:
        _reset_workflow(build, [proc, *steps[proc.pid]], by_pid[proc.pid])
        _queue(repo, build, by_pid[proc.pid], proc)
    build_store.update(build, status=status.PENDING, error="", finished=0, enqueued=now())
    progress.release_waiting(build)  # a dependent whose dependencies all stay as they were may run at once
    events.build_changed(build)
    commit("build")
    log.info("%s: restarted workflows %s", build_name(build), [proc.pid for proc in chosen])
    return build


def _with_skipped_dependents(workflows: list[Proc], chosen: list[Proc]) -> list[Proc]:
    """Return `chosen` and the skipped workflows that depend on one of them (at any depth), in pid order."""
    picked = {proc.pid for proc in chosen}
    grew = True
    while grew:
        more = {w.pid for w in workflows if w.state == status.SKIPPED and w.pid not in picked
                and picked.intersection(w.depends_on or [])}
        picked |= more
        grew = bool(more)
    return [w for w in workflows if w.pid in picked]


def _reset_workflow(build: Build, procs: list[Proc], compiled: Workflow) -> None:
    """Set a workflow proc and its steps (`procs`) back to pending, dropping their logs and files."""
    ids = {proc.id for proc in procs}
    for artifact in file_store.list_by_build(build.id):
        if artifact.proc_id in ids:
            file_store.delete(artifact)
    progress.reset_workflow(build, procs)
    for step, proc in zip(compiled.config.steps(), procs[1:]):
        uploads.bind_step(build, step, proc.pid)


def fork(repo: Repo, build: Build, *, params: dict[str, Any] | None = None) -> Build:
    """Create a new build of the same commit, ref and config, with `parent` set to this one."""
    config = _config_of(build)
    origin = Origin.from_columns(build)
    origin.params.update(params or {})
    return create(repo, config, origin, parent=build.number)


def cancel(repo: Repo, build: Build) -> Build:
    """Kill a pending, blocked or running build; agents are told to stop through `wait`."""
    if build.status not in status.ACTIVE:
        raise Conflict(f"build #{build.number} is already {build.status}")
    for proc in build_store.list_procs(build.id):
        if proc.state == status.PENDING:
            build_store.update_proc(proc, state=status.SKIPPED if proc.ppid else status.KILLED, finished=now())
            events.proc_changed(build, proc)
    build_store.update(build, status=status.KILLED, finished=now())
    # Agents hear of the cancel only now, so their reports cannot be overwritten by the lines above.
    queue = hub().queue
    for task in task_store.list_by_build(build.id):
        queue.cancel(task)
    events.build_changed(build)
    log.info("%s canceled", build_name(build))
    return build


def approve(repo: Repo, build: Build, user: User) -> Build:
    """Let a blocked build run."""
    if build.status != status.BLOCKED:
        raise Conflict(f"build #{build.number} is {build.status}, not blocked")
    build_store.update(build, status=status.PENDING, reviewer=user.login, enqueued=now())
    commit("build")
    start(repo, _config_of(build), build)
    return build


def decline(repo: Repo, build: Build, user: User) -> Build:
    """Refuse to run a blocked build."""
    if build.status != status.BLOCKED:
        raise Conflict(f"build #{build.number} is {build.status}, not blocked")
    build_store.update(build, status=status.DECLINED, reviewer=user.login, finished=now())
    events.build_changed(build)
    return build


def create_manual(repo: Repo, user: User, *, branch: str | None = None, commit: str | None = None,
                  config_id: int | None = None, params: dict[str, Any] | None = None) -> list[Build]:
    """Build the head of a branch (default: the repo's default branch), one build per matching config."""
    from circle.service.triggers import manual_origin, matching_configs

    branch = branch or repo.default_branch
    configs = matching_configs(repo, branch, config_id=config_id)
    if not configs:
        raise InvalidInput(f"no config of {repo.full_name} builds branch {branch!r}",
                           {"branch": ["no config matches this branch"]})
    origin = manual_origin(repo, user, branch, commit, params or {})
    # Each config is read after the previous one's build committed: no write lock is held while reading.
    return [create(repo, config, origin, files=read_ahead(repo, config, origin)) for config in configs]
