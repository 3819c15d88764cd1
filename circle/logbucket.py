"""Finished logs kept in an S3 bucket (CIRCLE_LOG_STORE=s3://BUCKET/PREFIX): objects PREFIX/<proc_id>.logz.

An object holds the same framed form as a log file (circle.logfiles). A read asks for byte ranges: the
object's last 64 KiB (the footer and, for most logs, the whole index), then one streamed range over the
batches it needs (a page's worth), read a frame at a time, so neither a page nor a whole-log read holds
more than one batch of the object in memory.
"""
from __future__ import annotations

import tempfile
from typing import Iterable, Iterator

import requests
import urllib3

from circle.errors import LogStoreError
from circle.logfiles import FOOTER, FRAME, Entry, entries_after, reaching, write_framed
from circle.s3 import S3Client
from circle.store.logbatch import Batch

TAIL = 64 * 1024  # the bytes at an object's end read first: the footer and, up to ~2 300 batches, the index


def _total_size(answer: requests.Response) -> int:
    """Return the object's size from a ranged answer's Content-Range (`bytes a-b/total`)."""
    return int(answer.headers["content-range"].rpartition("/")[2])


class LogBucket:
    """Write, read by position and delete the logs of finished procs as objects under one prefix of a bucket."""

    def __init__(self, client: S3Client, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def key(self, proc_id: int) -> str:
        """Return the object key of a proc's log."""
        return f"{self.prefix}{proc_id}.logz"

    def where(self, proc_id: int) -> str:
        """Return where the log of a proc is kept, for messages."""
        return f"s3://{self.client.bucket.name}/{self.key(proc_id)}"

    def write(self, proc_id: int, batches: Iterable[Batch]) -> bool:
        """Upload a proc's batches (in position order) as its object; return False when there were none."""
        with tempfile.TemporaryFile() as fh:
            if not write_framed(fh, batches):
                return False
            self.client.put(self.key(proc_id), fh, fh.tell())
        return True

    def _read(self, key: str, first: int, last: int | None = None) -> tuple[bytes, int] | None:
        """Return the bytes first…last of `key` and the object's size (None when there is no such object)."""
        answer = self.client.get(key, first, last)
        if answer is None:
            return None
        with answer:
            return self._take(answer, None), _total_size(answer)

    def _take(self, answer: requests.Response, size: int | None) -> bytes:
        """Read `size` bytes (None: all) of a streamed answer; a cut stream is a LogStoreError."""
        try:
            data = answer.raw.read(size)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as err:
            raise LogStoreError(f"the log bucket {self.client.bucket.name!r} broke off a read "
                                f"({type(err).__name__})") from None
        if size is not None and len(data) != size:
            raise LogStoreError(f"the log bucket {self.client.bucket.name!r} sent {len(data)} bytes of {size}")
        return data

    def batches(self, proc_id: int, after: int = -1, lines: int | None = None) -> Iterator[Batch]:
        """Yield the stored batches of a proc holding positions past `after`, in order (none without an object);
        each range asked for holds the batches of `lines` more positions (all, without `lines`)."""
        key = self.key(proc_id)
        index = self._index(key)
        entries = entries_after(index, after) if index is not None else []
        while entries:
            count = len(entries) if lines is None else reaching(entries, after, lines)
            part, entries = entries[:count], entries[count:]
            yield from self._frames(key, part)
            after = part[-1][1]

    def _index(self, key: str) -> bytes | None:
        """Return the index of object `key` (None when there is no such object): one request for most logs."""
        found = self._read(key, -TAIL)
        if found is None:
            return None
        tail, total = found
        (where,) = FOOTER.unpack(tail[-FOOTER.size:])
        start = total - len(tail)  # where in the object `tail` begins
        if where >= start:
            return tail[where - start:-FOOTER.size]
        before = self._read(key, where, start - 1)
        return None if before is None else before[0] + tail[:-FOOTER.size]

    def _frames(self, key: str, entries: list[Entry]) -> Iterator[Batch]:
        """Yield the batches of consecutive `entries`, read from one streamed range of the object."""
        answer = self.client.get(key, entries[0][2] - FRAME.size, entries[-1][2] + entries[-1][3] - 1)
        if answer is None:
            return
        with answer:
            for pos, last, _, size in entries:
                self._take(answer, FRAME.size)
                yield Batch(pos, last, self._take(answer, size))

    def delete(self, proc_id: int) -> None:
        """Delete a proc's log object, if there is one."""
        self.client.delete(self.key(proc_id))
