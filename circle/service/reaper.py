"""Taking back leases that expired: re-queue once, then end the workflow in error ("agent lost").

The same periodic job builds the cron jobs that are due (service.crons.run_due), ends builds no task carries
(sweep) and forgets webhook delivery ids older than CIRCLE_HOOK_DELIVERY_RETENTION (prune_deliveries),
in small batches of their own transactions, and applies the build and artifact retention
(circle.service.retention) every RETENTION_EVERY rounds.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from circle import states
from circle.extensions import db
from circle.hub import hub
from circle.models import Task
from circle.models.types import now
from circle.service import crons, events, progress, retention
from circle.service.names import build_name
from circle.store import builds as build_store
from circle.store import hook_deliveries as delivery_store
from circle.store import tasks as task_store
from circle.store.base import transaction

log = logging.getLogger(__name__)

# A workflow whose agent vanished is handed to another agent this many times before it errors.
MAX_ATTEMPTS = 2
INTERVAL = 1.0
# What a re-queued workflow (and so its build) says while it waits for another agent.
REQUEUED = "{agent} stopped answering; waiting for another agent to run it again"
# An active build without tasks is left alone this long (seconds): it may be compiling right now.
ORPHAN_GRACE = 300
# The sweep for such builds runs every this many reaper rounds.
SWEEP_EVERY = 30
# Old hook delivery ids are pruned every this many rounds, this many rows per transaction, at most
# PRUNE_BATCHES transactions a round (a backlog goes in later rounds).
PRUNE_EVERY = 60
PRUNE_BATCH = 500
PRUNE_BATCHES = 20
# Retention runs every this many rounds (about five minutes).
RETENTION_EVERY = 300


def reap(now_: float | None = None) -> int:
    """Handle every expired lease once; return how many were handled."""
    handled = 0
    moment = now_ if now_ is not None else time.time()
    for task in task_store.list_expired(moment):
        with transaction("task"):
            if task.attempts < MAX_ATTEMPTS and task.state == task_store.RUNNING:
                _requeue(task, moment)
            else:
                _lost(task, moment)
        handled += 1
    return handled


def _requeue(task: Task, moment: float) -> None:
    """Give a task back to the queue: its workflow and steps read pending again, and so does the build.

    A task whose agent never confirmed the hand-over (its workflow never started) just goes back quietly.
    """
    if not task_store.requeue(task.id, moment):
        return
    hub().queue.wake()
    build, workflow = build_store.get(task.build_id), build_store.get_proc(task.proc_id)
    if workflow.state == states.PENDING:
        log.info("task %s (%s): agent %s never confirmed the hand-over; queued again",
                 task.id, build_name(build), task.agent_id)
        return
    why = REQUEUED.format(agent=workflow.machine or "its agent")
    progress.reset_workflow(build, [workflow, *build_store.list_steps(build.id, workflow.pid)], why)
    progress.settle_build(build)
    log.warning("task %s (%s): lease expired; queued again (attempt %d)", task.id, build_name(build), task.attempts)


def _lost(task: Task, moment: float) -> None:
    """End a task's workflow in error: its agent is gone for good (or it was canceled and never answered)."""
    if not task_store.remove_expired(task.id, moment):
        return  # another server's reaper, or the agent, got there first
    hub().queue.announce_done(task.id)
    hub().queue.wake()
    build, workflow = build_store.get(task.build_id), build_store.get_proc(task.proc_id)
    final = states.KILLED if task.state == task_store.CANCELED else states.ERROR
    progress.finish_workflow(build, workflow, final, exit_code=1, error="agent lost", finished=now())
    progress.settle_build(build)
    log.warning("task %s (%s): agent lost; workflow %s", task.id, build_name(build), final)


def sweep(now_: float | None = None) -> int:
    """End every active build that no task carries (a crash between its creation and its queueing); return how many."""
    moment = int(now_ if now_ is not None else time.time())
    swept = 0
    for build in build_store.list_orphans(moment - ORPHAN_GRACE):
        with transaction("build"):
            for workflow in build_store.list_workflows(build.id):
                if workflow.state not in states.FINAL:
                    progress.finish_workflow(build, workflow, states.ERROR, exit_code=1, finished=moment,
                                             error="no agent task was left for this workflow")
            if not build_store.list_workflows(build.id):
                build_store.update(build, status=states.ERROR, finished=moment,
                                   error="the server stopped before this build was queued; restart it")
                events.build_changed(build)
            else:
                progress.settle_build(build)
        log.warning("%s: active without a task; ended in error", build_name(build))
        swept += 1
    return swept


def prune_deliveries(now_: float | None = None) -> int:
    """Delete the hook delivery ids older than the retention, one small batch per transaction; return how many."""
    moment = int(now_ if now_ is not None else time.time()) - hub().settings.hook_delivery_retention
    pruned = 0
    for _ in range(PRUNE_BATCHES):
        with transaction("hook delivery"):
            deleted = delivery_store.delete_older_than(moment, PRUNE_BATCH)
        pruned += deleted
        if deleted < PRUNE_BATCH:
            break
    if pruned:
        log.info("forgot %d hook delivery ids received before %d", pruned, moment)
    return pruned


def grant_start_grace() -> int:
    """Give leased tasks one lease of grace when this server was the only one (no agent could extend meanwhile).

    With a shared bus (CIRCLE_PUBSUB_URL) other servers kept serving while this one was down, so agents could
    extend through them: no grace, or rolling restarts would keep dead agents' leases alive forever.
    """
    if hub().settings.pubsub_url:
        return 0
    granted = task_store.extend_all(time.time() + hub().queue.lease_seconds)
    if granted:
        log.info("gave %d leased tasks a lease of grace after the start", granted)
    return granted


class Reaper:
    """A background thread (greenlet under gevent) calling `reap` every second."""

    def __init__(self, app: Flask, interval: float = INTERVAL) -> None:
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="circle-reaper", daemon=True)

    def start(self) -> None:
        """Grant the start's lease of grace, then reap."""
        with self.app.app_context():
            grant_start_grace()
            db.session.remove()
        self._thread.start()

    def stop(self) -> None:
        """Stop reaping."""
        self._stop.set()

    def _run(self) -> None:
        """Reap until stopped; a failing round is logged and the next one tried."""
        rounds = 0
        while not self._stop.wait(self.interval):
            rounds += 1
            with self.app.app_context():
                try:
                    hub().contacts.flush()
                    reap()
                    crons.run_due()
                    if rounds % SWEEP_EVERY == 0:
                        sweep()
                    if rounds % PRUNE_EVERY == 0:
                        prune_deliveries()
                    if rounds % RETENTION_EVERY == 0:
                        retention.apply_policies()
                except Exception:  # process boundary: the reaper must outlive one bad round
                    log.exception("reaper round failed")
                    db.session.rollback()
                finally:
                    db.session.remove()
