"""Retention: the finished builds and the artifacts past a repo's retention, deleting them, the database's size."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, func, select, text
from sqlalchemy import delete as sql_delete
from sqlalchemy.engine import CursorResult

from circle import states
from circle.errors import NotFound
from circle.extensions import db
from circle.models import Build, File, LogEntry, Proc, Repo
from circle.store.base import flush


@dataclass
class Freed:
    """Rows deleted (or that would be): builds with their procs, stored log batches and artifacts."""

    builds: int = 0
    procs: int = 0
    log_batches: int = 0
    artifacts: int = 0

    def add(self, other: Freed) -> None:
        """Count `other` in as well."""
        self.builds += other.builds
        self.procs += other.procs
        self.log_batches += other.log_batches
        self.artifacts += other.artifacts


@dataclass(frozen=True)
class RepoRetention:
    """A repo's name and its retention overrides (None: the global setting)."""

    id: int
    full_name: str
    days: int | None
    keep_min: int | None
    artifact_days: int | None


def list_repos(full_name: str | None = None) -> list[RepoRetention]:
    """Return every repo's retention overrides (only the repos called `full_name` when given), by id."""
    stmt = select(Repo.id, Repo.full_name, Repo.retention_days, Repo.retention_keep_min,
                  Repo.artifact_retention_days).order_by(Repo.id)
    if full_name is not None:
        stmt = stmt.where(Repo.full_name == full_name)
    rows = [RepoRetention(*row) for row in db.session.execute(stmt)]
    if full_name is not None and not rows:
        raise NotFound(f"repo {full_name!r} not found")
    return rows


def _expired(repo_id: int, before: int, keep_min: int) -> Select:
    """Select the ids of a repo's finished builds created before `before`, past the newest `keep_min` per branch."""
    rank = func.row_number().over(partition_by=Build.branch, order_by=Build.number.desc()).label("rank")
    ranked = select(Build.id, Build.created, Build.status, rank).where(Build.repo_id == repo_id).subquery()
    return select(ranked.c.id).where(ranked.c.rank > keep_min, ranked.c.created < before,
                                     ranked.c.status.not_in(states.ACTIVE))


def list_expired_builds(repo_id: int, before: int, keep_min: int, limit: int) -> list[int]:
    """Return at most `limit` ids of builds past the retention, oldest first."""
    stmt = _expired(repo_id, before, keep_min)
    return list(db.session.scalars(stmt.order_by(stmt.selected_columns[0]).limit(limit)))


def _measure(build_ids: Select) -> Freed:
    """Count the builds `build_ids` selects, their procs, their stored log batches and their artifacts."""
    ids, count = build_ids, db.session.scalar
    return Freed(
        builds=count(select(func.count()).select_from(ids.subquery())) or 0,
        procs=count(select(func.count(Proc.id)).where(Proc.build_id.in_(ids))) or 0,
        log_batches=count(select(func.count(LogEntry.id)).join(Proc, Proc.id == LogEntry.proc_id)
                          .where(Proc.build_id.in_(ids))) or 0,
        artifacts=count(select(func.count(File.id)).where(File.build_id.in_(ids))) or 0)


def count_expired_builds(repo_id: int, before: int, keep_min: int) -> Freed:
    """Return what deleting every build past the retention would free."""
    return _measure(_expired(repo_id, before, keep_min))


def delete_builds(build_ids: list[int]) -> tuple[Freed, list[int]]:
    """Delete those of the builds that are finished, with everything they own; return the counts and the proc ids.

    The builds are read for update first (PostgreSQL, MySQL), so a restart that made one active meanwhile keeps it.
    """
    live = list(db.session.scalars(select(Build.id).where(Build.id.in_(build_ids),
                                                           Build.status.not_in(states.ACTIVE)).with_for_update()))
    if not live:
        return Freed(), []
    chosen = select(Build.id).where(Build.id.in_(live))
    freed = _measure(chosen)
    proc_ids = list(db.session.scalars(select(Proc.id).where(Proc.build_id.in_(live))))
    db.session.execute(sql_delete(Build).where(Build.id.in_(live)))  # procs, logs, tasks, files cascade
    flush("build")
    return freed, proc_ids


def list_expired_artifacts(repo_id: int, before: int, limit: int) -> list[int]:
    """Return at most `limit` ids of a repo's artifacts stored before `before` by finished builds, oldest first."""
    stmt = (select(File.id).join(Build, Build.id == File.build_id)
            .where(Build.repo_id == repo_id, File.created < before, Build.status.not_in(states.ACTIVE))
            .order_by(File.id).limit(limit))
    return list(db.session.scalars(stmt))


def count_expired_artifacts(repo_id: int, before: int) -> int:
    """Return how many of a repo's artifacts are past the retention."""
    return db.session.scalar(select(func.count(File.id)).join(Build, Build.id == File.build_id)
                             .where(Build.repo_id == repo_id, File.created < before,
                                    Build.status.not_in(states.ACTIVE))) or 0


def delete_artifacts(file_ids: list[int]) -> int:
    """Delete the artifacts; return how many."""
    if not file_ids:
        return 0
    result = cast(CursorResult[Any], db.session.execute(sql_delete(File).where(File.id.in_(file_ids))))
    flush("artifact")
    return int(result.rowcount or 0)


def database_size() -> int | None:
    """Return the database's size in bytes (SQLite pages, pg_database_size, MySQL's table sizes), or None."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        pages = db.session.execute(text("PRAGMA page_count")).scalar_one()
        return int(pages) * int(db.session.execute(text("PRAGMA page_size")).scalar_one())
    if dialect == "postgresql":
        return int(db.session.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    if dialect in ("mysql", "mariadb"):
        size = db.session.execute(text("SELECT SUM(data_length + index_length) FROM information_schema.tables "
                                       "WHERE table_schema = DATABASE()")).scalar_one()
        return int(size or 0)
    return None
