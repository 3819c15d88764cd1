"""Log tails: history, then live lines, and a database catch-up whenever the live feed lost some."""
from __future__ import annotations

import threading
from typing import Any, Iterator

import pytest
from flask import Flask

from circle import pubsub as pubsub_module
from circle.hub import hub
from dbtools import make_workflow

# A generous bound for what takes milliseconds; it only matters when something is broken.
WAIT = 10.0


def _rest(app: Flask, tail: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Read what is left of a tail in a thread of its own, giving up after WAIT seconds."""
    rest: list[dict[str, Any]] = []

    def read() -> None:
        with app.app_context():
            rest.extend(tail)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(WAIT)
    return rest


def test_a_tail_reads_the_lines_stored_before_the_end_it_learns_of(app: Flask):
    """A line stored while the tail reads the history, just before the proc ended, is not lost."""
    _build_id, proc_id = make_workflow()
    logs = hub().logs
    logs.write(proc_id, [(0, 100, "line 0")])

    def finished() -> bool:
        """The proc writes its last line and ends while the tail looks."""
        logs.write(proc_id, [(1, 100, "line 1")])
        return True

    assert list(logs.tail(proc_id, finished, poll=3600)) == [
        {"pos": 0, "time": 100, "out": "line 0"}, {"pos": 1, "time": 100, "out": "line 1"}, {"eof": True}]


def test_a_tail_whose_subscription_overflowed_reads_the_lost_lines_from_the_database(
        app: Flask, monkeypatch: pytest.MonkeyPatch):
    """A tail that fell behind gets every line, in order, without waiting for its next poll."""
    monkeypatch.setattr(pubsub_module, "BACKLOG", 3)
    _build_id, proc_id = make_workflow()
    logs, ended = hub().logs, threading.Event()
    logs.write(proc_id, [(0, 100, "line 0")])
    tail = logs.tail(proc_id, ended.is_set, poll=3600)
    assert next(tail) == {"pos": 0, "time": 100, "out": "line 0"}  # subscribed; the next lines wait unread
    for pos in range(1, 10):
        logs.write(proc_id, [(pos, 100, f"line {pos}")])
    ended.set()
    logs.close(proc_id)
    rest = _rest(app, tail)
    assert [line.get("pos") for line in rest] == [*range(1, 10), None] and rest[-1] == {"eof": True}
