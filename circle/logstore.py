"""Where finished logs go (CIRCLE_LOG_STORE): the interface of a log store, and the one the settings choose.

    ""                      the database keeps every log (no store)
    file                    circle.logfiles.LogFiles under $CIRCLE_DATA_DIR/logs
    s3://BUCKET/PREFIX      circle.logbucket.LogBucket, objects PREFIX/<proc_id>.logz in an S3 bucket
"""
from __future__ import annotations

from typing import Iterable, Iterator, Protocol

from circle.config import Settings
from circle.store.logbatch import Batch


class LogStore(Protocol):
    """Keeps the stored batches of finished procs outside the database; every method may raise LogStoreError."""

    def where(self, proc_id: int) -> str:
        """Return where the log of a proc is kept, for messages."""

    def write(self, proc_id: int, batches: Iterable[Batch]) -> bool:
        """Keep a proc's batches (in position order); return False when there were none."""

    def batches(self, proc_id: int, after: int = -1, lines: int | None = None) -> Iterator[Batch]:
        """Yield the kept batches of a proc holding positions past `after`, in order (none when nothing is kept);
        `lines` says how many positions the caller wants first, so a store may fetch that much at a time."""

    def delete(self, proc_id: int) -> None:
        """Forget a proc's log, if one is kept."""


def open_log_store(settings: Settings) -> LogStore | None:
    """Return the log store the settings choose (None: logs stay in the database)."""
    if settings.log_bucket is not None:
        from circle.logbucket import LogBucket
        from circle.s3 import S3Client

        return LogBucket(S3Client(settings.log_bucket), settings.log_prefix)
    if settings.log_store == "file":
        from circle.logfiles import LogFiles

        return LogFiles(settings.data_dir / "logs")
    return None
