"""Retention: delete finished builds past `days` (the newest `keep_min` of each branch stay) and old artifacts.

Each repo's policy is its own columns where set, else the CIRCLE_RETENTION_* settings. Deletion goes in
small batches, one transaction each, yielding between them so the server keeps answering; a build's procs,
log batches (and log files of the file store), tasks and artifacts go with it. Active builds are never deleted.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from circle import metrics
from circle.hub import hub
from circle.store import retention as store
from circle.store.base import transaction
from circle.store.retention import Freed, RepoRetention

log = logging.getLogger(__name__)

DAY = 86400
BATCH = 100
# The background job deletes at most this many batches per repo per round; a backlog goes in later rounds.
ROUND_BATCHES = 20
# After each batch the background job rests this many times as long as the batch took: SQLite's calls block the
# gevent loop while they run, so without a rest requests would wait for the whole purge.
ROUND_REST = 1.0


@dataclass(frozen=True)
class Policy:
    """Keep builds newer than `days` (0 = forever) and the newest `keep_min` per branch; artifacts `artifact_days`."""

    days: int
    keep_min: int
    artifact_days: int


def global_policy() -> Policy:
    """Return the policy of the CIRCLE_RETENTION_* settings."""
    settings = hub().settings
    return Policy(days=settings.retention_days, keep_min=settings.retention_keep_min,
                  artifact_days=settings.artifact_retention_days)


def policy_for(repo: RepoRetention, default: Policy) -> Policy:
    """Return a repo's policy: its overrides over `default`."""
    return Policy(days=default.days if repo.days is None else repo.days,
                  keep_min=default.keep_min if repo.keep_min is None else repo.keep_min,
                  artifact_days=default.artifact_days if repo.artifact_days is None else repo.artifact_days)


def purge_repo(repo: RepoRetention, policy: Policy, now: int, *, dry_run: bool = False,
               max_batches: int | None = None, rest: float = 0.0) -> Freed:
    """Delete (or with `dry_run` only count) what a repo's policy no longer keeps; return the rows freed."""
    freed = Freed()
    if policy.days > 0:
        before = now - policy.days * DAY
        if dry_run:
            freed.add(store.count_expired_builds(repo.id, before, policy.keep_min))
        else:
            freed.add(_in_batches(lambda: _delete_builds(repo.id, before, policy.keep_min), max_batches, rest))
    if policy.artifact_days > 0:
        before = now - policy.artifact_days * DAY
        if dry_run:
            freed.artifacts += store.count_expired_artifacts(repo.id, before)
        else:
            freed.add(_in_batches(lambda: _delete_artifacts(repo.id, before), max_batches, rest))
    return freed


def _in_batches(step, max_batches: int | None, rest: float) -> Freed:
    """Run `step` (one batch, returning its Freed and whether a full batch was found) until done or out of batches,
    resting `rest` times as long as each batch took before the next (gevent's sleep under the server)."""
    freed, batches = Freed(), 0
    while max_batches is None or batches < max_batches:
        started = time.monotonic()
        done, more = step()
        freed.add(done)
        batches += 1
        if not more:
            break
        time.sleep(rest * (time.monotonic() - started))  # the server's other greenlets run meanwhile
    return freed


def _delete_builds(repo_id: int, before: int, keep_min: int) -> tuple[Freed, bool]:
    """Delete one batch of a repo's expired builds in its own transaction."""
    with transaction("build"):
        ids = store.list_expired_builds(repo_id, before, keep_min, BATCH)
        freed, proc_ids = store.delete_builds(ids)
        hub().logs.forget(proc_ids)
    metrics.RETENTION_BUILDS.inc(freed.builds)
    metrics.RETENTION_PROCS.inc(freed.procs)
    metrics.RETENTION_LOG_BATCHES.inc(freed.log_batches)
    metrics.RETENTION_ARTIFACTS.inc(freed.artifacts)
    return freed, len(ids) == BATCH


def _delete_artifacts(repo_id: int, before: int) -> tuple[Freed, bool]:
    """Delete one batch of a repo's expired artifacts in its own transaction."""
    with transaction("artifact"):
        ids = store.list_expired_artifacts(repo_id, before, BATCH)
        deleted = store.delete_artifacts(ids)
    metrics.RETENTION_ARTIFACTS.inc(deleted)
    return Freed(artifacts=deleted), len(ids) == BATCH


def describe(freed: Freed) -> str:
    """Return the rows freed as words."""
    return (f"{freed.builds} builds ({freed.procs} procs, {freed.log_batches} log batches), "
            f"{freed.artifacts} artifacts")


def purge(now: int | None = None, *, full_name: str | None = None, policy: Policy | None = None,
          dry_run: bool = False, max_batches: int | None = None, rest: float = 0.0) -> Freed:
    """Apply retention to every repo (or the one called `full_name`): `policy` for all, else each repo's own."""
    moment = int(time.time()) if now is None else now
    default = global_policy()
    total = Freed()
    for repo in store.list_repos(full_name):
        freed = purge_repo(repo, policy or policy_for(repo, default), moment, dry_run=dry_run,
                           max_batches=max_batches, rest=rest)
        if freed.builds or freed.artifacts:
            log.info("retention: %s %s of repo %s (%s)", "would delete" if dry_run else "deleted",
                     describe(freed), repo.id, repo.full_name)
        total.add(freed)
    if not dry_run and (total.builds or total.artifacts):
        with transaction("retention"):
            size = store.database_size()
        log.info("retention: deleted %s in all; database size now %s bytes", describe(total), size)
    return total


def apply_policies() -> Freed:
    """The background job's round: each repo's policy, at most ROUND_BATCHES batches per repo and kind, resting
    ROUND_REST between them."""
    return purge(max_batches=ROUND_BATCHES, rest=ROUND_REST)
