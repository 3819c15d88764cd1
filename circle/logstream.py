"""Per-proc log lines: persisted in batches before anyone is told, read in pages, tailed by position.

A write publishes only `{"pos": N}` ("the proc's log reaches position N") on `logs:<proc_id>`; a
tailer that hears anything reads what follows its last position from the store. So a lost pubsub
message delays lines until the next message or recheck, and never leaves a gap. With a log store
(CIRCLE_LOG_STORE=file or s3://…) a finished proc's batches move from the database to a file or an
object, and reads look there transparently; a store that fails to take a log leaves it in the database.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Callable, Iterable, Iterator, Sequence

from circle.errors import LogStoreError
from circle.logstore import LogStore
from circle.metrics import LOG_BYTES, LOG_LINES
from circle.pubsub import OVERFLOW, PubSub
from circle.store import logs as log_store
from circle.store.base import after_commit, commit, release
from circle.store.logbatch import UNBOUNDED, Batch, Line, Piece, parse, pieces

log = logging.getLogger(__name__)

EOF = {"eof": True}
MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * MIB
# Lines one read of the store returns (the paged API's default) and at most (larger limits are clamped).
PAGE = 5_000
MAX_PAGE = 50_000
# One tail message carries at most this many lines and about this many bytes of JSON.
MESSAGE_LINES = 1_000
MESSAGE_BYTES = 256 * 1024


def _topic(proc_id: int) -> str:
    """Return the pubsub topic of a proc's log."""
    return f"logs:{proc_id}"


def limit_marker(max_bytes: int) -> str:
    """Return the line stored in place of a proc's output past `max_bytes`."""
    size = f"{max_bytes // MIB} MiB" if max_bytes % MIB == 0 else f"{max_bytes} bytes"
    return f"circle: log limit of {size} reached; further output dropped (CIRCLE_LOG_MAX_BYTES)"


class LogStream:
    """Write, read, tail, close and forget the output of procs."""

    def __init__(self, pubsub: PubSub, *, max_bytes: int = DEFAULT_MAX_BYTES, files: LogStore | None = None) -> None:
        self.pubsub = pubsub
        self.max_bytes = max_bytes
        self.marker = limit_marker(max_bytes)
        self.files = files

    def write(self, proc_id: int, lines: Sequence[Line]) -> int:
        """Store (pos, time, out) lines (capped per proc), publish the new position once committed; return how many
        were new."""
        stored = log_store.append(proc_id, lines, cap=self.max_bytes, marker=self.marker)
        if stored:
            after_commit(lambda: self._written(proc_id, stored))
        return len(stored)

    def _written(self, proc_id: int, stored: list[Line]) -> None:
        """Count the lines a committed write stored and publish the position they reach."""
        LOG_LINES.inc(len(stored))
        LOG_BYTES.inc(len("".join([out for _, _, out in stored]).encode()))
        self.pubsub.publish(_topic(proc_id), {"pos": stored[-1][0]})

    def pieces(self, proc_id: int, *, after: int = -1, limit: int = PAGE, max_lines: int = PAGE,
               max_bytes: int = UNBOUNDED) -> list[Piece]:
        """Return at most `limit` lines of a proc with pos > `after` as pieces, from its file and then the database.

        A short read looks at the file once more: the log may have moved there between the two looks.
        """
        found: list[Piece] = []
        for source in (self._filed, self._stored, self._filed):
            count = sum(piece.length for piece in found)
            if count >= limit:
                break
            found += source(proc_id, found[-1].last if found else after, limit - count, max_lines, max_bytes)
        return found

    def _filed(self, proc_id: int, after: int, limit: int, max_lines: int, max_bytes: int) -> list[Piece]:
        """Return the pieces past `after` from the proc's log file (none without one)."""
        if self.files is None:
            return []
        batches = self.files.batches(proc_id, after, limit)
        return list(pieces(batches, after, limit, max_lines=max_lines, max_bytes=max_bytes))

    @staticmethod
    def _stored(proc_id: int, after: int, limit: int, max_lines: int, max_bytes: int) -> list[Piece]:
        """Return the pieces past `after` from the database."""
        return log_store.list_pieces(proc_id, after=after, limit=limit, max_lines=max_lines, max_bytes=max_bytes)

    def page_json(self, proc_id: int, *, after: int = -1, limit: int = PAGE) -> bytes:
        """Return the JSON array of at most `limit` lines of a proc with pos > `after`: [{"pos","time","out"}, …]."""
        return b"[" + b",".join(piece.json for piece in self.pieces(proc_id, after=after, limit=limit)) + b"]"

    def _all_pieces(self, proc_id: int, after: int, max_lines: int, max_bytes: int) -> Iterator[Piece]:
        """Yield every line of a proc past `after` as pieces, PAGE lines per read, releasing the connection between."""
        while True:
            found = self.pieces(proc_id, after=after, max_lines=max_lines, max_bytes=max_bytes)
            release()
            yield from found
            if sum(piece.length for piece in found) < PAGE:
                return
            after = found[-1].last

    def pages(self, proc_id: int, *, after: int = -1) -> Iterator[list[Line]]:
        """Yield every line of a proc past `after` as (pos, time, out), a batch piece at a time."""
        for piece in self._all_pieces(proc_id, after, PAGE, UNBOUNDED):
            yield parse(piece)

    def find(self, proc_id: int, text: str) -> Iterator[Line]:
        """Yield the lines of a proc whose text contains `text`, case ignored, in order.

        A batch piece whose stored JSON cannot hold an ASCII `text` is skipped unparsed; between pieces
        other greenlets run, so a search through a long log does not stall the server.
        """
        needle = text.lower()
        screen = json.dumps(needle)[1:-1].encode() if needle.isascii() else b""  # how stored JSON spells it
        for piece in self._all_pieces(proc_id, -1, PAGE, UNBOUNDED):
            if not screen or screen in piece.json.lower():
                yield from (line for line in parse(piece) if needle in line[2].lower())
            time.sleep(0)  # gevent's sleep under the server: let the other requests run

    def close(self, proc_id: int) -> None:
        """Once the proc's end is committed: move its log to the log store (if any), then tell tailers."""
        after_commit(lambda: self._finish(proc_id))

    def _finish(self, proc_id: int) -> None:
        """File the proc's log away if configured, then publish eof."""
        if self.files is not None:
            try:
                self._file_away(proc_id, self.files)
            except LogStoreError as err:
                log.warning("proc %s: log stays in the database: %s", proc_id, err)
        self.pubsub.publish(_topic(proc_id), EOF)

    def _file_away(self, proc_id: int, files: LogStore) -> None:
        """Copy a proc's stored batches to the log store, then delete them from the database."""
        if not files.write(proc_id, self._stored_batches(proc_id)):
            return
        log_store.delete_by_proc(proc_id)
        commit("log")
        log.info("proc %s: log moved to %s", proc_id, files.where(proc_id))

    @staticmethod
    def _stored_batches(proc_id: int) -> Iterator[Batch]:
        """Yield every batch of a proc from the database, a query at a time."""
        after = -1
        while True:
            batches = log_store.list_batches(proc_id, after=after)
            yield from batches
            if len(batches) < log_store.ROWS_PER_QUERY:
                return
            after = batches[-1].last

    def reset(self, proc_ids: Iterable[int]) -> None:
        """Drop the stored lines of procs that run again (their log files once that is committed)."""
        doomed = list(proc_ids)
        for proc_id in doomed:
            log_store.delete_by_proc(proc_id)
        self.forget(doomed)

    def forget(self, proc_ids: Iterable[int]) -> None:
        """Delete the kept logs of procs once their deletion is committed (their rows go with the procs)."""
        if self.files is None:
            return
        files, doomed = self.files, list(proc_ids)

        def delete() -> None:
            """Delete the kept logs; one the store fails to delete is left behind, with a warning."""
            for proc_id in doomed:
                try:
                    files.delete(proc_id)
                except LogStoreError as err:
                    log.warning("proc %s: its kept log was not deleted: %s", proc_id, err)

        after_commit(delete)

    def tail(self, proc_id: int, finished: Callable[[], bool], *, poll: float = 5.0) -> Iterator[str]:
        """Yield JSON messages `{"lines": [{"pos","time","out"}, …]}`: the history, then live lines; then eof.

        Any message on the proc's topic triggers a read of the store after the last line sent, so a
        dropped message leaves no gap. `finished()` is asked at the start and whenever nothing came for
        `poll` seconds (a proc that ended in another process); after the end one last read follows.
        No connection is held while waiting.
        """
        with self.pubsub.subscribe([_topic(proc_id)]) as subscription:
            last, ended, check = -1, False, True
            while True:
                for piece in self._all_pieces(proc_id, last, MESSAGE_LINES, MESSAGE_BYTES):
                    yield f'{{"lines":[{piece.json.decode("ascii")}]}}'
                    last = piece.last
                if ended:
                    yield json.dumps(EOF)
                    return
                ended = check and finished()
                release()
                if ended:
                    continue
                first = message = subscription.get(timeout=poll)
                overflowed = False
                while message is not None and not message.get("eof"):
                    overflowed = overflowed or message is OVERFLOW  # the eof may be among what was dropped
                    message = subscription.get(timeout=0)  # one read serves every advance queued so far
                check, ended = first is None or overflowed, message is not None
