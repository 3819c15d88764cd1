"""The stored form of a batch: packed once, sliced into bounded pieces of ready JSON, parsed back intact."""
from __future__ import annotations

import json

from circle.store.logbatch import Batch, Piece, pack, parse, pieces

BIG = 1 << 40


def _batch(first: int, count: int, out: str = "line") -> Batch:
    """Return a batch of `count` lines from position `first`."""
    lines = [(pos, pos % 7, f"{out} {pos}") for pos in range(first, first + count)]
    return Batch(first, first + count - 1, pack(lines))


def _positions(found: list[Piece]) -> list[int]:
    """Return the positions of the lines in pieces."""
    return [pos for piece in found for pos, _, _ in parse(piece)]


def test_pieces_are_json_objects_and_parse_back():
    """A piece is API-shaped JSON objects; text with quotes, backslashes, newlines and non-ASCII survives."""
    tricky = ['say "hi"\\n', "tab\there\n", "ünïcødé ✓ 🎉", "", '[1,2,"x"]', "\x1b[31mred\x1b[0m"]
    batch = Batch(0, len(tricky) - 1, pack([(pos, 3, out) for pos, out in enumerate(tricky)]))
    (piece,) = pieces([batch], -1, BIG, max_lines=BIG, max_bytes=BIG)
    objects = json.loads(b"[" + piece.json + b"]")
    assert objects == [{"pos": pos, "time": 3, "out": out} for pos, out in enumerate(tricky)]
    assert parse(piece) == [(pos, 3, out) for pos, out in enumerate(tricky)]
    assert (piece.last, piece.length) == (len(tricky) - 1, len(tricky))


def test_pieces_follow_after_and_limit_across_batches():
    """Lines after a position, at most `limit`, in order, never a piece across two batches."""
    batches = [_batch(0, 10), _batch(10, 10), _batch(20, 10)]
    found = list(pieces(batches, 4, 12, max_lines=BIG, max_bytes=BIG))
    assert _positions(found) == list(range(5, 17)) and [p.length for p in found] == [5, 7]
    assert _positions(list(pieces(batches, 29, 5, max_lines=BIG, max_bytes=BIG))) == []
    assert _positions(list(pieces(batches, -1, BIG, max_lines=BIG, max_bytes=BIG))) == list(range(30))


def test_pieces_are_bounded_in_lines_and_bytes():
    """max_lines and max_bytes cut pieces at line boundaries; a line bigger than max_bytes goes alone."""
    found = list(pieces([_batch(0, 25)], -1, BIG, max_lines=10, max_bytes=BIG))
    assert [p.length for p in found] == [10, 10, 5] and _positions(found) == list(range(25))
    wide = Batch(0, 5, pack([(pos, 0, "y" * 100) for pos in range(6)]))
    found = list(pieces([wide], -1, BIG, max_lines=BIG, max_bytes=300))
    assert all(len(p.json) <= 300 for p in found) and [p.length for p in found] == [2, 2, 2]
    huge = Batch(0, 1, pack([(0, 0, "z" * 1000), (1, 0, "a")]))
    assert [p.length for p in pieces([huge], -1, BIG, max_lines=BIG, max_bytes=100)] == [1, 1]
