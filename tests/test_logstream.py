"""The log stream: capped writes with one marker, pages, tails by position (gaps healed), finished logs in files."""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Iterator

import pytest
from flask import Flask

from circle import pubsub as pubsub_module
from circle.hub import hub
from circle.logfiles import LogFiles
from circle.logstream import MESSAGE_LINES, PAGE, LogStream, limit_marker
from circle.pubsub import PubSub
from circle.store import builds
from circle.store import logs as log_store
from circle.store.base import transaction
from circle.store.logbatch import Batch, Line, pack, parse
from dbtools import make_workflow


@pytest.fixture
def step(app) -> int:
    """The proc id of a step of a fresh build."""
    build_id, _ = make_workflow()
    return builds.get_proc_by_pid(build_id, 2).id


def _lines(start: int, stop: int, text: str = "line") -> list[tuple[int, int, str]]:
    """Return (pos, 0, "text pos") for pos in start…stop-1."""
    return [(pos, 0, f"{text} {pos}") for pos in range(start, stop)]


def _positions(messages: list[str]) -> list[int]:
    """Return the positions of the lines in tail messages (JSON text)."""
    return [line["pos"] for message in messages for line in json.loads(message).get("lines", ())]


def _page(stream: LogStream, proc_id: int, after: int = -1, limit: int = PAGE) -> list[Line]:
    """Return the lines of one read of the stream."""
    return [line for piece in stream.pieces(proc_id, after=after, limit=limit) for line in parse(piece)]


def test_the_marker_names_the_limit_and_the_setting():
    """The marker says the limit in MiB (or bytes) and which setting raises it."""
    assert limit_marker(50 * 1024 * 1024) == ("circle: log limit of 50 MiB reached; further output dropped "
                                              "(CIRCLE_LOG_MAX_BYTES)")
    assert "of 1000 bytes" in limit_marker(1000)


def test_a_step_past_the_cap_stores_one_marker_then_nothing(step):
    """Writes past max_bytes store exactly one marker line and drop every later line, across batches."""
    stream = LogStream(PubSub(), max_bytes=100)
    assert stream.write(step, _lines(0, 5, "x" * 10)) == 5
    assert stream.write(step, _lines(5, 10, "x" * 10)) == 4
    assert stream.write(step, _lines(10, 20)) == 0
    outs = [line[2] for line in _page(stream, step)]
    assert outs.count(stream.marker) == 1 and outs[-1] == stream.marker and len(outs) == 9


def test_writes_publish_only_the_new_position(step):
    """A write tells subscribers the position the log reached, not its lines."""
    pubsub = PubSub()
    stream = LogStream(pubsub)
    with pubsub.subscribe([f"logs:{step}"]) as subscription:
        stream.write(step, _lines(0, 3))
        stream.write(step, _lines(0, 3))  # nothing new: nothing published
        stream.write(step, _lines(3, 4))
        assert [subscription.get(0), subscription.get(0), subscription.get(0)] == [{"pos": 2}, {"pos": 3}, None]


def test_a_write_is_part_of_its_unit_of_work(step):
    """Lines written in a transaction that rolls back are not stored, and nobody hears of them; committed, both."""
    pubsub = PubSub()
    stream = LogStream(pubsub)
    with pubsub.subscribe([f"logs:{step}"]) as subscription:
        with pytest.raises(LookupError), transaction():
            stream.write(step, _lines(0, 3))
            raise LookupError
        assert subscription.get(0) is None and _page(stream, step) == []
        with transaction():
            stream.write(step, _lines(0, 2))
            assert subscription.get(0) is None
        assert subscription.get(0) == {"pos": 1} and len(_page(stream, step)) == 2


def _read(stream: LogStream, proc_id: int, after: int = -1) -> list[Line]:
    """Return every line pages() yields."""
    return [line for page in stream.pages(proc_id, after=after) for line in page]


def test_pages_read_a_log_longer_than_a_page(step):
    """pages() goes through the whole log in order, a page at a time."""
    stream = LogStream(PubSub())
    for start in range(0, PAGE * 2 + 10, 1000):
        stream.write(step, _lines(start, min(start + 1000, PAGE * 2 + 10)))
    assert [line[0] for line in _read(stream, step)] == list(range(PAGE * 2 + 10))
    assert [line[0] for line in _read(stream, step, after=PAGE * 2)] == list(range(PAGE * 2 + 1, PAGE * 2 + 10))


def test_tail_messages_are_bounded_batches(step):
    """A long history comes as messages of at most MESSAGE_LINES lines, each valid JSON, then eof."""
    stream = LogStream(PubSub())
    stream.write(step, _lines(0, MESSAGE_LINES * 2 + 5))
    messages = list(stream.tail(step, lambda: True))
    assert [len(json.loads(m).get("lines", ())) for m in messages] == [MESSAGE_LINES, MESSAGE_LINES, 5, 0]
    assert json.loads(messages[-1]) == {"eof": True}
    assert json.loads(messages[0])["lines"][1] == {"pos": 1, "time": 0, "out": "line 1"}


def test_a_tail_across_dropped_messages_shows_every_line_once_in_order(step, monkeypatch):
    """Lost position messages delay lines until the next message or recheck; none is missed or repeated."""
    pubsub = PubSub()
    stream = LogStream(pubsub)
    ended = [False]
    stream.write(step, _lines(0, 10))
    tail = stream.tail(step, lambda: ended[0], poll=0.05)
    seen = [next(tail)]
    with monkeypatch.context() as patch:
        patch.setattr(pubsub, "publish", lambda topic, message: None)  # the bus loses this message
        stream.write(step, _lines(10, 20))
    stream.write(step, _lines(20, 30))
    seen.append(next(tail))
    with monkeypatch.context() as patch:
        patch.setattr(pubsub, "publish", lambda topic, message: None)  # and the last one: only the recheck helps
        stream.write(step, _lines(30, 40))
        ended[0] = True
        seen.extend(tail)
    assert json.loads(seen[-1]) == {"eof": True}
    assert _positions(seen) == list(range(40))


def test_a_tail_reads_lines_stored_just_before_the_end(step):
    """Lines stored before eof are all sent, even when eof arrives before the tail read them."""
    stream = LogStream(PubSub())
    tail = stream.tail(step, lambda: False, poll=5)
    stream.write(step, _lines(0, 3))
    first = next(tail)
    stream.write(step, _lines(3, 6))
    stream.close(step)
    assert _positions([first, *tail]) == list(range(6))


def test_logfiles_round_trip_by_position(tmp_path: Path):
    """A written file gives back its batches from any position; no batches make no file; delete removes it."""
    files = LogFiles(tmp_path / "logs")
    batches = [Batch(pos, pos + 9, pack(_lines(pos, pos + 10))) for pos in range(0, 50, 10)]
    assert files.write(7, batches) is True
    assert list(files.batches(7)) == batches
    assert [b.pos for b in files.batches(7, after=25)] == [20, 30, 40]
    assert [b.pos for b in files.batches(7, after=29)] == [30, 40]
    assert list(files.batches(7, after=49)) == [] and list(files.batches(8)) == []
    assert files.write(9, []) is False and not files.path(9).exists()
    files.delete(7)
    files.delete(7)
    assert not files.path(7).exists()


def test_a_finished_log_moves_to_its_file_and_reads_the_same(step, tmp_path: Path):
    """close() moves the batches to a file; pages, lines and tails read it as before; forget deletes it."""
    files = LogFiles(tmp_path / "logs")
    stream = LogStream(PubSub(), files=files)
    for start in range(0, 120, 25):
        stream.write(step, _lines(start, min(start + 25, 120)))
    stream.close(step)
    assert files.path(step).exists() and log_store.list_page(step, limit=10) == []
    assert [line[0] for line in _page(stream, step, after=30, limit=7)] == list(range(31, 38))
    assert [line[2] for line in _read(stream, step)] == [f"line {pos}" for pos in range(120)]
    assert _positions(list(stream.tail(step, lambda: True))) == list(range(120))
    stream.write(step, _lines(120, 122))  # a late batch after the end is read after the file's lines
    assert [line[0] for line in _page(stream, step, after=115)] == list(range(116, 122))
    stream.forget([step])
    assert not files.path(step).exists()


def test_a_read_during_the_move_to_a_file_misses_nothing(step, tmp_path: Path, monkeypatch):
    """When the log moves to its file while a read is between the database and the file, the read still gets it all."""
    files = LogFiles(tmp_path / "logs")
    stream = LogStream(PubSub(), files=files)
    stream.write(step, _lines(0, 4))
    stream.write(step, _lines(4, 10))
    stored = LogStream._stored

    def first_batch_then_move(proc_id, after, limit, max_lines, max_bytes):
        """Read the database's first batch, then let the log move to its file."""
        found = stored(proc_id, after, 4, max_lines, max_bytes)
        stream._file_away(proc_id, files)
        return found

    monkeypatch.setattr(stream, "_stored", first_batch_then_move)
    assert [line[0] for line in _page(stream, step)] == list(range(10))


def test_a_tail_whose_subscription_overflowed_resyncs_and_sees_the_end_at_once(
        app: Flask, step: int, monkeypatch: pytest.MonkeyPatch):
    """A tail whose buffer dropped the advances and the eof reads every line in order and ends, without a poll."""
    monkeypatch.setattr(pubsub_module, "BACKLOG", 3)
    logs, ended = hub().logs, threading.Event()
    logs.write(step, _lines(0, 1))
    tail = logs.tail(step, ended.is_set, poll=3600)
    assert _positions([next(tail)]) == [0]  # subscribed; what follows waits unread and overflows
    for pos in range(1, 10):
        logs.write(step, _lines(pos, pos + 1))
    ended.set()
    logs.close(step)
    rest = _rest(app, tail)
    assert _positions(rest) == list(range(1, 10)) and json.loads(rest[-1]) == {"eof": True}


def _rest(app: Flask, tail: Iterator[str]) -> list[str]:
    """Read what is left of a tail in a thread of its own, giving up after 10 seconds (only when broken)."""
    rest: list[str] = []

    def read() -> None:
        with app.app_context():
            rest.extend(tail)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    return rest
