"""What agents report, applied to procs and builds: a workflow started, a step changed, a workflow ended."""
from __future__ import annotations

import logging

from circle import states
from circle.compiler.files import SUCCESS, runs_after
from circle.errors import NotFound
from circle.hub import hub
from circle.metrics import BUILD_DURATION
from circle.models import Build, Proc, Task
from circle.models.types import now
from circle.rpc.protocol import DoneState, StepReport
from circle.service import events
from circle.service.names import build_name
from circle.store import builds as build_store
from circle.store import tasks as task_store

log = logging.getLogger(__name__)


def _workflow(task: Task) -> tuple[Build, Proc]:
    """Return the build and workflow proc of a task."""
    return build_store.get(task.build_id), build_store.get_proc(task.proc_id)


def workflow_started(task: Task, agent_id: int, machine: str, started: int) -> None:
    """Confirm the agent received the task, mark the workflow running on it, and the build when it was pending.

    Raise NotFound when the agent no longer holds the task. A repeated init (a lost answer) counts no new start.
    """
    build, workflow = _workflow(task)
    if not hub().queue.confirm(task.id, agent_id, task.lease or "", first=workflow.state == states.PENDING):
        raise NotFound(f"task {task.id} is not leased by agent {agent_id}")
    build_store.update_proc(workflow, state=states.RUNNING, started=started or now(), machine=machine, error="")
    events.proc_changed(build, workflow)
    if build.status == states.PENDING:
        build_store.update(build, status=states.RUNNING, started=build.started or started or now(), error="")
        events.build_changed(build)


def step_changed(task: Task, report: StepReport) -> None:
    """Apply one step's reported state (the `update` RPC); raise NotFound when the workflow has no such step.

    A step in a final state never runs again: a late `started` (one that crossed a cancel) changes nothing,
    while the agent's final word (killed, where the cancel guessed skipped) replaces the server's.
    """
    build, workflow = _workflow(task)
    proc = build_store.get_step(build.id, workflow.pid, report.proc, lock=True)
    new_state = states.step_state(skipped=report.skipped, exited=report.exited, killed=report.killed,
                                  error=report.error, exit_code=report.exit_code)
    if proc.state in states.FINAL and new_state not in states.FINAL:
        log.debug("%s step %s is already %s; a %s report is ignored", build_name(build), proc.pid, proc.state,
                  new_state)
        return
    build_store.update_proc(proc, state=new_state, exit_code=report.exit_code,
                            error=report.error, machine=workflow.machine,
                            started=report.started or proc.started or 0,
                            finished=report.finished if new_state in states.FINAL else 0,
                            attempts=report.attempts or proc.attempts or int(new_state != states.SKIPPED))
    events.proc_changed(build, proc)
    if new_state in states.FINAL:
        hub().logs.close(proc.id)


def workflow_done(task: Task, state: DoneState) -> Build:
    """End a workflow with its reported state, settle its steps, and update the build's states.

    Raises NotFound (and so changes nothing once the transaction rolls back) when the lease was taken back
    between the caller's check and this delete.
    """
    build, workflow = _workflow(task)
    canceled = task.state == task_store.CANCELED or build.status == states.KILLED
    error, exit_code = state.error, state.exit_code
    final = states.KILLED if canceled else states.ERROR if error else \
        states.SUCCESS if exit_code == 0 else states.FAILURE
    finish_workflow(build, workflow, final, exit_code=exit_code, error=error,
                    finished=state.finished or now())
    if not hub().queue.finish(task):
        raise NotFound(f"task {task.id} is not leased by this agent any more")
    return settle_build(build)


def finish_workflow(build: Build, workflow: Proc, final: str, *, exit_code: int, error: str, finished: int) -> None:
    """Set a workflow's final state and close its unfinished steps (skipped, or killed when they ran)."""
    build_store.update_proc(workflow, state=final, exit_code=exit_code, error=error, finished=finished)
    events.proc_changed(build, workflow)
    hub().logs.close(workflow.id)
    for proc in build_store.list_steps(build.id, workflow.pid):
        if proc.state not in states.FINAL:
            leftover = states.KILLED if proc.state == states.RUNNING else states.SKIPPED
            build_store.update_proc(proc, state=leftover, finished=finished,
                                    exit_code=137 if leftover == states.KILLED else 0)
            events.proc_changed(build, proc)
            hub().logs.close(proc.id)


def release_waiting(build: Build) -> None:
    """Queue the waiting workflows whose dependencies have all finished as their `runs_on` asks (see
    compiler.files.runs_after); skip the others. A skipped workflow may in turn settle the ones waiting for
    it, hence the loop.
    """
    waiting = task_store.list_waiting(build.id)
    while waiting:
        workflows = {p.pid: p for p in build_store.list_workflows(build.id)}
        by_id = {p.id: p for p in workflows.values()}
        blocked = []
        for task in waiting:
            workflow = by_id[task.proc_id]
            deps = [workflows[pid].state for pid in workflow.depends_on or []]
            if not all(state in states.FINAL for state in deps):
                blocked.append(task)
            elif runs_after(deps, workflow.runs_on or [SUCCESS]):
                hub().queue.release(task)
                log.info("build %s workflow %s queued: its dependencies finished", build.id, workflow.pid)
            else:
                task_store.delete(task)
                finish_workflow(build, workflow, states.SKIPPED, exit_code=0, error="", finished=now())
                log.info("build %s workflow %s skipped: its dependencies ended %s", build.id, workflow.pid,
                         ", ".join(deps))
        if len(blocked) == len(waiting):
            return
        waiting = blocked


def reset_workflow(build: Build, procs: list[Proc], error: str = "") -> None:
    """Set a workflow proc and its steps (`procs`, the workflow first) back to pending, their logs dropped;
    `error` stays on the workflow to say why."""
    hub().logs.reset(proc.id for proc in procs)
    for proc in procs:
        build_store.update_proc(proc, state=states.PENDING, started=0, finished=0, exit_code=0, machine="",
                                log_bytes=0, attempts=0, error=error if proc is procs[0] else "")
        events.proc_changed(build, proc)


def settle_build(build: Build) -> Build:
    """Release or skip the workflows waiting for finished ones, recompute the build's status from its
    workflows, and stamp `finished` when all have ended."""
    release_waiting(build)
    workflows = build_store.list_workflows(build.id)
    combined = states.combine(p.state for p in workflows)
    if build.status == states.KILLED:
        combined = states.KILLED
    finished = all(p.state in states.FINAL for p in workflows)
    errors = "; ".join(f"{p.name}: {p.error}" for p in workflows if p.error)
    build_store.update(build, status=combined, finished=now() if finished and not build.finished else build.finished,
                       error=errors)
    events.build_changed(build)
    if finished:
        log.info("%s finished %s", build_name(build), combined)
        if build.started:
            BUILD_DURATION.labels(combined).observe(max(0, build.finished - build.started))
    return build
