"""Finished logs kept in an S3 bucket (CIRCLE_LOG_STORE=s3://BUCKET/PREFIX): objects PREFIX/<proc_id>.logz.

An object holds the same framed form as a log file (circle.logfiles). A read asks for byte ranges: the
footer, the index, then one streamed range from the first batch it needs, read a frame at a time, so
neither a page nor a whole-log read holds more than one batch of the object in memory.
"""
from __future__ import annotations

import tempfile
from typing import Iterable, Iterator

import requests
import urllib3

from circle.errors import LogStoreError
from circle.logfiles import FOOTER, FRAME, entries_after, write_framed
from circle.s3 import S3Client
from circle.store.logbatch import Batch


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

    def batches(self, proc_id: int, after: int = -1) -> Iterator[Batch]:
        """Yield the stored batches of a proc holding positions past `after`, in order (none without an object)."""
        key = self.key(proc_id)
        found = self._read(key, -FOOTER.size)
        if found is None:
            return
        footer, total = found
        (where,) = FOOTER.unpack(footer)
        index = self._read(key, where, total - FOOTER.size - 1) if total - FOOTER.size > where else None
        entries = entries_after(index[0], after) if index else []
        if not entries:
            return
        answer = self.client.get(key, entries[0][2] - FRAME.size, where - 1)
        if answer is None:
            return
        with answer:
            for pos, last, _, size in entries:
                self._take(answer, FRAME.size)
                yield Batch(pos, last, self._take(answer, size))

    def delete(self, proc_id: int) -> None:
        """Delete a proc's log object, if there is one."""
        self.client.delete(self.key(proc_id))
