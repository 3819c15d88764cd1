"""Log batches on every database: compressed at rest, read in pages by position, capped per proc."""
from __future__ import annotations

import zlib

from sqlalchemy import select

from circle.extensions import db
from circle.models import LogEntry
from circle.store import builds
from circle.store import logs as log_store
from dbtools import make_workflow

UNCAPPED = 1 << 40
MARKER = "circle: log limit reached"


def _step() -> int:
    """Create a build with a workflow and one step; return the step's proc id."""
    build_id, _ = make_workflow()
    return builds.get_proc_by_pid(build_id, 2).id


def _write(proc_id: int, lines: list[tuple[int, int, str]], cap: int = UNCAPPED) -> list[tuple[int, int, str]]:
    """Append lines with a cap and the test marker."""
    return log_store.append(proc_id, lines, cap=cap, marker=MARKER)


def test_batches_are_compressed_and_read_back_intact(app):
    """A batch is zlib-compressed in the database and reads back line for line, non-ASCII included."""
    proc_id = _step()
    lines = [(0, 0, "héllo wörld ✓\n"), (1, 2, "x" * 10_000), (2, 3, "")]
    assert _write(proc_id, lines) == lines
    data = db.session.scalar(select(LogEntry.data).where(LogEntry.proc_id == proc_id))
    assert isinstance(data, bytes) and len(data) < 10_000
    assert b"h\\u00e9llo" in zlib.decompress(data)
    assert log_store.list_page(proc_id, limit=10) == lines


def test_pages_follow_positions_across_batches(app):
    """list_page answers the lines after a position, at most `limit`, whatever the batch boundaries."""
    proc_id = _step()
    for start in range(0, 300, 7):
        _write(proc_id, [(pos, 0, f"line {pos}") for pos in range(start, min(start + 7, 300))])
    assert [x[0] for x in log_store.list_page(proc_id, limit=5)] == [0, 1, 2, 3, 4]
    assert [x[0] for x in log_store.list_page(proc_id, after=10, limit=4)] == [11, 12, 13, 14]
    assert [x[0] for x in log_store.list_page(proc_id, after=-1, limit=1000)] == list(range(300))
    assert [x[0] for x in log_store.list_page(proc_id, after=295, limit=1000)] == [296, 297, 298, 299]
    assert log_store.list_page(proc_id, after=299, limit=10) == []
    assert log_store.stored_extent(proc_id)[1] == 299


def test_a_resent_batch_stores_nothing_twice(app):
    """Lines at or below the highest stored position are skipped."""
    proc_id = _step()
    _write(proc_id, [(0, 0, "a"), (1, 0, "b")])
    assert _write(proc_id, [(1, 0, "b"), (2, 0, "c")]) == [(2, 0, "c")]
    assert _write(proc_id, [(0, 0, "a")]) == []
    assert [x[2] for x in log_store.list_page(proc_id, limit=10)] == ["a", "b", "c"]


def test_stored_bytes_are_kept_per_proc(app):
    """The proc's byte count grows with each batch, in UTF-8 bytes."""
    proc_id = _step()
    _write(proc_id, [(0, 0, "abc"), (1, 0, "é")])
    _write(proc_id, [(2, 0, "12345")])
    assert log_store.stored_extent(proc_id) == (3 + 2 + 5, 2)


def test_the_cap_stores_exactly_one_marker_and_nothing_past_it(app):
    """Once the stored bytes would pass the cap, the first line over becomes the marker; later lines are dropped."""
    proc_id = _step()
    assert len(_write(proc_id, [(pos, 0, "0123456789") for pos in range(3)], cap=25)) == 3
    assert [x[2] for x in log_store.list_page(proc_id, limit=10)] == ["0123456789", "0123456789", MARKER]
    assert _write(proc_id, [(3, 0, "more"), (4, 0, "x")], cap=25) == []
    assert _write(proc_id, [(5, 0, "")], cap=25) == []
    stored = log_store.list_page(proc_id, limit=10)
    assert [x[2] for x in stored].count(MARKER) == 1 and stored[-1][2] == MARKER and stored[-1][0] == 2
    assert log_store.stored_extent(proc_id)[0] > 25


def test_a_batch_over_the_cap_at_once_is_only_the_marker(app):
    """A first batch whose first line is already over the cap stores just the marker."""
    proc_id = _step()
    assert _write(proc_id, [(0, 0, "x" * 100), (1, 0, "y")], cap=50) == [(0, 0, MARKER)]
    assert [x[2] for x in log_store.list_page(proc_id, limit=10)] == [MARKER]


def test_pages_skip_gaps_in_positions(app):
    """Positions need not be dense: a page after a gap, or before the first stored line, finds the next lines."""
    proc_id = _step()
    _write(proc_id, [(pos, 0, f"l{pos}") for pos in range(5, 10)])
    _write(proc_id, [(pos, 0, f"l{pos}") for pos in range(100, 103)])
    _write(proc_id, [(pos, 0, f"l{pos}") for pos in range(5000, 5002)])
    assert [x[0] for x in log_store.list_page(proc_id, limit=3)] == [5, 6, 7]
    assert [x[0] for x in log_store.list_page(proc_id, after=7, limit=10)] == [8, 9, 100, 101, 102, 5000, 5001]
    assert [x[0] for x in log_store.list_page(proc_id, after=50, limit=2)] == [100, 101]
    assert [x[0] for x in log_store.list_page(proc_id, after=102, limit=2)] == [5000, 5001]
