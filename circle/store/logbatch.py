"""The stored form of a batch of log lines: zlib of an index line, then the lines as ready JSON objects.

    [[pos, …], [start, …, end + 1]]\\n{"pos":0,"time":0,"out":"…"},{"pos":1,…},…

The body is ASCII (strings escaped as JSON does), so offsets count bytes and characters alike. A page of
the API or a websocket message is made by slicing bodies at element boundaries, never by parsing
and re-encoding each line; only the text form parses.
"""
from __future__ import annotations

import bisect
import json
import zlib
from dataclasses import dataclass
from itertools import accumulate
from json.encoder import encode_basestring_ascii
from typing import Iterable, Iterator, NamedTuple

# One output line: (position from 0, seconds since the proc started, text).
Line = tuple[int, int, str]
# A byte bound no piece reaches: pieces cut by lines only.
UNBOUNDED = 1 << 62


@dataclass(frozen=True)
class Batch:
    """One stored batch as it is kept: positions `pos`…`last`, compressed `data`."""

    pos: int
    last: int
    data: bytes


class Piece(NamedTuple):
    """Consecutive lines of one batch as JSON objects joined by commas, with the last position and how many."""

    json: bytes
    last: int
    length: int


def pack(lines: list[Line]) -> bytes:
    """Return (pos, time, out) lines, in position order, as a compressed batch."""
    elements = [f'{{"pos":{pos},"time":{time},"out":{encode_basestring_ascii(out)}}}' for pos, time, out in lines]
    starts = [0, *accumulate(len(element) + 1 for element in elements)]
    index = json.dumps([[pos for pos, _, _ in lines], starts], separators=(",", ":"))
    return zlib.compress(f"{index}\n{','.join(elements)}".encode("ascii"), 1)


def pieces(batches: Iterable[Batch], after: int, limit: int, *, max_lines: int, max_bytes: int) -> Iterator[Piece]:
    """Yield the lines with pos > `after`, at most `limit`, as pieces of at most `max_lines` lines and about
    `max_bytes` bytes (one line at least), never spanning two batches; batches are opened only when needed."""
    left = limit
    for batch in batches:
        if left <= 0:
            return
        head, _, body = zlib.decompress(batch.data).partition(b"\n")
        positions, starts = json.loads(head)
        first = bisect.bisect_right(positions, after)
        while first < len(positions) and left > 0:
            fit = bisect.bisect_right(starts, starts[first] + max_bytes + 1, lo=first + 1) - 1
            stop = max(first + 1, min(len(positions), first + left, first + max_lines, fit))
            yield Piece(body[starts[first]:starts[stop] - 1], positions[stop - 1], stop - first)
            left -= stop - first
            first = stop


def parse(piece: Piece) -> list[Line]:
    """Return the lines of a piece."""
    return [(line["pos"], line["time"], line["out"]) for line in json.loads(b"[" + piece.json + b"]")]
