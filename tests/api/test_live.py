"""The websocket routes served for real on loopback (werkzeug's threaded server), as a browser uses them."""
from __future__ import annotations

import json
import time
from typing import Iterator

import pytest
import websocket
from flask import Flask
from werkzeug.serving import make_server

from api.helpers import Caller
from circle import pubsub as pubsub_module
from circle.hub import hub
from circle.service.events import ALL_EVENTS
from loopback import serving

# A generous bound for what takes milliseconds; it only matters when something is broken.
WAIT = 10.0


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    """The app served on a loopback port."""
    with serving(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        yield url


def _subscribed(topic: str) -> bool:
    """Wait up to WAIT seconds for a subscriber of `topic`; return whether one came."""
    deadline = time.monotonic() + WAIT
    while hub().pubsub.subscriber_count(topic) == 0:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_events_feed_closes_when_it_dropped_events(base_url: str, admin: Caller,
                                                       monkeypatch: pytest.MonkeyPatch):
    """A feed that lost events says so by closing (1013), so the client reconnects and catches up."""
    conn = websocket.create_connection(base_url.replace("http", "ws") + "/ws/events", timeout=WAIT,
                                       header=[f"Authorization: Bearer {admin.token}"])
    try:
        assert _subscribed(ALL_EVENTS)
        hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": 1})
        assert json.loads(conn.recv()) == {"type": "build", "repo_id": 1}
        monkeypatch.setattr(pubsub_module, "BACKLOG", 0)  # no room: the next event is dropped
        hub().pubsub.publish(ALL_EVENTS, {"type": "build", "repo_id": 2})
        opcode, frame = conn.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(frame[:2], "big") == 1013
    finally:
        conn.close()
