"""Finished logs kept as files (CIRCLE_LOG_STORE=file): <data dir>/logs/<proc_id>.logz.

A file holds the proc's stored batches as they were in the database (zlib-compressed JSON), framed:

    b"CIRCLOG1"  then per batch: pos, last (int64), size (uint32), data
    then the index: per batch pos, last, offset (int64), size (uint32); then the index's offset (int64)

so a page after a position reads the index and the few frames it needs, never the whole file.
"""
from __future__ import annotations

import bisect
import os
import struct
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from circle.store.logbatch import Batch

MAGIC = b"CIRCLOG1"
FRAME = struct.Struct(">qqI")
ENTRY = struct.Struct(">qqqI")
FOOTER = struct.Struct(">q")


Entry = tuple[int, int, int, int]  # pos, last, offset of the data, size


def write_framed(fh: BinaryIO, batches: Iterable[Batch]) -> bool:
    """Write batches (in position order) framed, with their index, to `fh`; return False when there were none."""
    fh.write(MAGIC)
    index = []
    for batch in batches:
        index.append(ENTRY.pack(batch.pos, batch.last, fh.tell() + FRAME.size, len(batch.data)))
        fh.write(FRAME.pack(batch.pos, batch.last, len(batch.data)))
        fh.write(batch.data)
    where = fh.tell()
    fh.write(b"".join(index))
    fh.write(FOOTER.pack(where))
    return bool(index)


def entries_after(index: bytes, after: int) -> list[Entry]:
    """Return the entries of a framed log's index whose batches hold positions past `after`."""
    entries: list[Entry] = list(ENTRY.iter_unpack(index))
    return entries[bisect.bisect_right([last for _, last, _, _ in entries], after):]


def reaching(entries: list[Entry], after: int, lines: int) -> int:
    """Return how many of `entries` (past `after`) it takes to reach position after + lines."""
    return bisect.bisect_left([last for _, last, _, _ in entries], after + lines) + 1


class LogFiles:
    """Write, read by position and delete the log files of finished procs under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, proc_id: int) -> Path:
        """Return where the log of a proc is kept."""
        return self.root / f"{proc_id}.logz"

    def where(self, proc_id: int) -> str:
        """Return where the log of a proc is kept, for messages."""
        return str(self.path(proc_id))

    def write(self, proc_id: int, batches: Iterable[Batch]) -> bool:
        """Write a proc's batches (in position order) to its file, atomically; return False when there were none."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path(proc_id)
        partial = final.with_suffix(".part")
        with open(partial, "wb") as fh:
            written = write_framed(fh, batches)
            fh.flush()
            os.fsync(fh.fileno())
        if not written:
            partial.unlink()
            return False
        partial.replace(final)
        return True

    def batches(self, proc_id: int, after: int = -1, lines: int | None = None) -> Iterator[Batch]:
        """Yield the stored batches of a proc holding positions past `after`, in order (none without a file).

        `lines` (how many positions the caller wants first) changes nothing here: a file is read lazily anyway.
        """
        try:
            fh = open(self.path(proc_id), "rb")
        except FileNotFoundError:
            return
        with fh:
            fh.seek(-FOOTER.size, os.SEEK_END)
            end = fh.tell()
            (where,) = FOOTER.unpack(fh.read(FOOTER.size))
            fh.seek(where)
            for pos, last, offset, size in entries_after(fh.read(end - where), after):
                fh.seek(offset)
                yield Batch(pos, last, fh.read(size))

    def delete(self, proc_id: int) -> None:
        """Delete a proc's log file, if there is one."""
        self.path(proc_id).unlink(missing_ok=True)
