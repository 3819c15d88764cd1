"""Per-proc log lines: persisted in batches before anyone is told, tailed with history replay."""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterator, Sequence

from circle.pubsub import OVERFLOW, PubSub
from circle.store import logs as log_store
from circle.store.base import after_commit, release

log = logging.getLogger(__name__)

EOF = {"eof": True}


def _topic(proc_id: int) -> str:
    """Return the pubsub topic of a proc's lines."""
    return f"logs:{proc_id}"


class LogStream:
    """Write, tail and close the output of procs."""

    def __init__(self, pubsub: PubSub) -> None:
        self.pubsub = pubsub

    def write(self, proc_id: int, lines: Sequence[tuple[int, int, str]]) -> int:
        """Store (pos, time, out) lines of a proc, then publish them; return how many were new."""
        stored = log_store.append(proc_id, lines)
        if stored:
            self.pubsub.publish(_topic(proc_id), {"lines": [{"pos": p, "time": t, "out": o} for p, t, o in lines]})
        return stored

    def close(self, proc_id: int) -> None:
        """Tell tailers the proc has finished (once that is committed)."""
        after_commit(lambda: self.pubsub.publish(_topic(proc_id), EOF))

    def tail(self, proc_id: int, finished: Callable[[], bool], *, poll: float = 5.0) -> Iterator[dict[str, Any]]:
        """Yield {"pos","time","out"} for the history, then live lines, then {"eof": True}.

        `finished()` tells whether the proc has ended; it is asked before each catch-up from the
        database (so the lines stored before the end are all read), which happens at the start, on eof,
        when the subscription overflowed (lines were dropped) and whenever no line came for `poll` seconds:
        a tail never hangs on a proc that ended in another process, and never skips lines. No connection
        is held while waiting.
        """
        with self.pubsub.subscribe([_topic(proc_id)]) as subscription:
            last = -1
            ended = False
            while True:
                ended = ended or finished()
                for entry in log_store.list_by_proc(proc_id, after=last):
                    last = entry.pos
                    yield {"pos": entry.pos, "time": entry.time, "out": entry.out}
                release()
                if ended:
                    yield EOF
                    return
                message = subscription.get(timeout=poll)
                while message is not None and message is not OVERFLOW and not message.get("eof"):
                    for line in message.get("lines", []):
                        if line["pos"] > last:
                            last = line["pos"]
                            yield line
                    message = subscription.get(timeout=poll)
                ended = message is not None and message is not OVERFLOW
