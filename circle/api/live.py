"""Websockets: a proc's log (history, live lines, eof) and the event feed of the caller's repos.

The log socket sends `{"lines": [{"pos", "time", "out"}, …]}` messages (at most 1 000 lines or about
256 KiB each: see circle.logstream), the history first, then live lines, then one `{"eof": true}`.

The event feed has no history: a client catches up from the API each time it connects. So when the
feed's subscription overflowed (events were dropped), the server closes the socket, and the
reconnecting client catches up again.

Browsers cannot set headers on a websocket, so besides the session cookie and the Bearer header a
token may come as `?access_token=`. A refused socket gets one `{"error", "message"}` message and is closed.
The Origin is checked when a socket opens and the caller's access as messages go out, asked anew at most once
a second (circle.api.live_access).
"""
from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint

from circle import states
from circle.api import websockets
from circle.api.live_access import Access
from circle.errors import CircleError, Unauthorized
from circle.extensions import db
from circle.hub import hub
from circle.pubsub import OVERFLOW
from circle.service import permissions
from circle.service.events import ALL_EVENTS
from circle.store import builds as build_store

log = logging.getLogger(__name__)

bp = Blueprint("live", __name__)

# How often an idle events socket checks that its client is still there (seconds).
IDLE_CHECK = 5.0
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
# A socket asks its caller's access anew at most this often (seconds): a log's history comes in many
# messages, and the events feed carries every change of every build.
RECHECK = 1.0


class _WholeFrames:
    """The websocket's socket, with `send` writing everything.

    simple-websocket 1.1 calls `sock.send`, which under gevent may write part of a frame to a slow reader
    and corrupt the stream (simple-websocket issue #45); `sendall` never does. A client that went away
    without a close frame (a closed tab: reset, broken pipe) ends the socket as a closed one, quietly.
    """

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def send(self, data: bytes) -> int:
        """Write all of `data`."""
        try:
            self._sock.sendall(data)
        except (ConnectionError, TimeoutError) as err:
            from simple_websocket import ConnectionClosed  # loaded with the socket's server

            raise ConnectionClosed(message=f"the client went away ({err.strerror or err})") from None
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _whole_frames(ws: Any) -> Any:
    """Make the websocket write whole frames."""
    ws.sock = _WholeFrames(ws.sock)
    return ws


def _refuse(ws: Any, err: CircleError) -> None:
    """Tell the client why and close the socket."""
    ws.send(json.dumps({"error": type(err).__name__, "message": str(err)}))
    ws.close(reason=POLICY_VIOLATION, message=str(err)[:120])


@websockets.route(bp, "/ws/logs/<int:repo_id>/<int:number>/<int:pid>")
def logs(ws: Any, repo_id: int, number: int, pid: int) -> None:
    """Stream one proc's log in batches of lines: the whole history, then live lines, then {"eof": true}."""
    _whole_frames(ws)
    try:
        access = Access.of_request(recheck=RECHECK)
        permissions.repo_for(access.user(), repo_id)
        build = build_store.get_by_number(repo_id, number)
        proc_id = build_store.get_proc_by_pid(build.id, pid).id
    except CircleError as err:
        _refuse(ws, err)
        return

    def finished() -> bool:
        """Tell whether the proc has ended."""
        proc = db.session.get(build_store.Proc, proc_id, populate_existing=True)
        assert proc is not None  # a proc goes only with its build, after its log ended
        return proc.state in states.FINAL

    try:
        for message in hub().logs.tail(proc_id, finished):  # a log store that fails is refused like access
            access.require(repo_id)
            ws.send(message)
    except CircleError as err:
        _refuse(ws, err)
        return
    ws.close()


@websockets.route(bp, "/ws/events")
def events(ws: Any) -> None:
    """Send every build and proc change of the repos the caller may read (and agent changes to administrators)."""
    _whole_frames(ws)
    try:
        access = Access.of_request(recheck=RECHECK)
        user_id = access.user().id
    except CircleError as err:
        _refuse(ws, err)
        return
    with hub().pubsub.subscribe([ALL_EVENTS]) as subscription:
        while ws.connected:
            message = subscription.get(timeout=IDLE_CHECK)
            if message is None:
                continue
            if message is OVERFLOW:
                log.warning("events feed of user %s fell behind; closing it so the client catches up", user_id)
                ws.close(reason=TRY_AGAIN_LATER, message="events were dropped: reconnect and catch up")
                return
            try:
                readable = access.may_read(message.get("repo_id"))
            except Unauthorized as err:
                _refuse(ws, err)
                return
            if readable:
                ws.send(json.dumps(message))
