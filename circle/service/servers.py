"""Server processes that share one database: a heartbeat row each, and the warning when they share no bus.

Every `circle server` process keeps a row in `servers` (host, pid, start, bus kind) and refreshes its
`last_seen` every INTERVAL seconds; rows not refreshed for STALE seconds are ignored and deleted by the
next heartbeat of any server. Several live servers of which one has no CIRCLE_PUBSUB_URL cannot tell
each other of queue wake-ups, log lines, events and cancels: the start, the heartbeat (when that becomes
true) and `/healthz` say so in one sentence.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from flask import Flask

from circle.errors import NotFound
from circle.extensions import db
from circle.hub import hub
from circle.models import Server
from circle.models.types import now
from circle.store import servers as server_store
from circle.store.base import transaction

log = logging.getLogger(__name__)

# Seconds between two heartbeats of a server.
INTERVAL = 10.0
# A server whose heartbeat is this many seconds old is gone.
STALE = int(4 * INTERVAL)
SHARED_WITHOUT_BUS = ("{count} server processes share this database without CIRCLE_PUBSUB_URL: wake-ups, live logs, "
                      "events and cancels will be missed; set CIRCLE_PUBSUB_URL (docs/pubsub.md)")


def register() -> Server:
    """Add the heartbeat row of this process."""
    with transaction("server"):
        return server_store.create(host=socket.gethostname(), pid=os.getpid(), bus=hub().pubsub.kind)


def beat(server_id: int) -> int:
    """Refresh this process's row (again if another server deleted it), delete stale rows; return its id."""
    moment = now()
    with transaction("server"):
        try:
            server_store.update(server_store.get(server_id), last_seen=moment)
        except NotFound:
            server_id = register().id
        server_store.delete_stale(moment - STALE)
    return server_id


def warnings() -> list[str]:
    """Return the sentences that say what is wrong with the live servers of this database (none: [])."""
    live = server_store.list_live(now() - STALE)
    if len(live) > 1 and any(not server.bus for server in live):
        return [SHARED_WITHOUT_BUS.format(count=len(live))]
    return []


def health() -> dict[str, Any]:
    """Return what /healthz tells of the server processes: how many are live, this one's bus, the warnings."""
    return {"servers": len(server_store.list_live(now() - STALE)), "pubsub": hub().pubsub.kind or "in-process",
            "warnings": warnings()}


class Heartbeat:
    """A background thread (greenlet under gevent) that keeps this process's row fresh and warns of a missing bus."""

    def __init__(self, app: Flask, interval: float = INTERVAL) -> None:
        self.app = app
        self.interval = interval
        self.server_id = 0
        self._said: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="circle-heartbeat", daemon=True)

    def start(self) -> None:
        """Add this process's row, say at once what is wrong, then beat."""
        with self.app.app_context():
            self.server_id = register().id
            self._check()
            db.session.remove()
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and remove this process's row."""
        self._stop.set()
        self._thread.join(timeout=5)
        with self.app.app_context():
            with transaction("server"):
                try:
                    server_store.delete(server_store.get(self.server_id))
                except NotFound:
                    pass  # deleted as stale meanwhile
            db.session.remove()

    def _run(self) -> None:
        """Beat until stopped; a failing beat is logged and the next one tried."""
        while not self._stop.wait(self.interval):
            with self.app.app_context():
                try:
                    self.server_id = beat(self.server_id)
                    self._check()
                except Exception:  # process boundary: the heartbeat must outlive one bad round
                    log.exception("server %s: heartbeat failed", self.server_id)
                    db.session.rollback()
                finally:
                    db.session.remove()

    def _check(self) -> None:
        """Log each warning when it appears, and once more when it changes."""
        said = warnings()
        if said != self._said:
            for sentence in said:
                log.error("server %s: %s", self.server_id, sentence)
        self._said = said
