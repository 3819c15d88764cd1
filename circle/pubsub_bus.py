"""The shared-bus PubSub: several server processes see each other's messages through Redis or PostgreSQL.

Each topic has a bus channel of its own, "<channel>:<topic>" (see `bus_name`), and a process listens
on exactly the channels of the topics it has local subscribers or watchers for: it never receives, let
alone decodes, the others. `subscribe` returns once the bus confirmed the channel, so what another process
publishes after that arrives; the last subscriber's `close` leaves the channel. The listener also
listens on the bare channel, on which nothing is published, so that a dead connection is noticed.

`publish` first hands the message to this process's subscribers (so they get it exactly once,
and even while the bus is down), then sends it to the topic's channel as JSON `{"o": origin,
"t": topic, "m": message}`. One listener thread per process reads the bus and hands every message
whose origin is another process to the local subscribers. When the bus goes away the listener logs it
and reconnects with a growing pause, listening again on every topic then wanted; what was published
meanwhile is lost to the other processes, whose subscribers catch up from the database on their own re-checks.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from circle.errors import SettingsError
from circle.pubsub import PubSub

log = logging.getLogger(__name__)

DEFAULT_CHANNEL = "circle"
# The listener waits this long for bus traffic before it looks whether it should stop.
TICK = 0.2
# Pauses between reconnection attempts: the first, then doubled up to the last.
BACKOFF_FIRST = 0.25
BACKOFF_MAX = 15.0
# After a failed publish, messages stay local for this long before the bus is tried again.
SEND_PAUSE = 2.0


def describe(url: str) -> str:
    """Return `url` with its password masked, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def split_channel(url: str) -> tuple[str, str]:
    """Return the URL without its `channel` query parameter, and that channel (default "circle")."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    channel = next((value for key, value in query if key == "channel"), "") or DEFAULT_CHANNEL
    rest = urlencode([(key, value) for key, value in query if key != "channel"])
    return urlunsplit(parts._replace(query=rest)), channel


class BusLost(Exception):
    """The bus did not confirm a change of channels: the listener must reconnect."""


def reason(err: BaseException) -> str:
    """Return the first line of an error's text, or its class name."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


class BusPubSub(PubSub):
    """PubSub over a shared bus; subclasses connect, listen and send."""

    # The driver's errors that mean "the bus did not answer".
    bus_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.channel = split_channel(url)
        self.described = describe(url)
        self.origin = uuid.uuid4().hex
        self.connections = 0
        # Bus messages this process received and decoded.
        self.received = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._paused_until = 0.0
        # Serializes every change of the listener's channels; `_listened` is what its connection listens on.
        self._bus_lock = threading.RLock()
        self._listened: set[str] = set()
        self._broken = False
        self._failures: tuple[type[BaseException], ...] = (*self.bus_errors, BusLost)

    def bus_name(self, topic: str) -> str:
        """Return the bus channel of `topic`."""
        return f"{self.channel}:{topic}"

    def start(self) -> None:
        """Connect the listener (raising SettingsError when the bus does not answer) and start its thread."""
        if self._thread is not None:
            return
        try:
            self._reconnect()
        except self.bus_errors as err:
            self._disconnect()
            raise SettingsError(f"cannot reach the pubsub bus {self.described} (CIRCLE_PUBSUB_URL): "
                                f"{reason(err)}") from None
        self.connections = 1
        self._thread = threading.Thread(target=self._run, name="circle-pubsub-listener", daemon=True)
        self._thread.start()
        log.info("pubsub: listening on %s, channel %s", self.described, self.channel)

    def close(self) -> None:
        """Stop the listener and drop the bus connections."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=4 * TICK)
        else:
            self._disconnect()
        self._close_clients()

    def forward(self, topic: str, text: str) -> None:
        """Send the JSON of a message to the topic's channel, unless the bus failed moments ago."""
        if time.monotonic() < self._paused_until:
            return
        envelope = f'{{"o":"{self.origin}","t":{json.dumps(topic)},"m":{text}}}'
        try:
            self._send(self.bus_name(topic), envelope)
        except self.bus_errors as err:
            self._paused_until = time.monotonic() + SEND_PAUSE
            log.warning("pubsub: cannot publish on %s (%s); other processes catch up from the database",
                        self.described, reason(err))

    def topics_changed(self) -> None:
        """Listen on the channels of the topics now wanted, and on no others; a bus that fails is reconnected."""
        with self._bus_lock:
            if self._thread is None or self._broken or not self._connected():
                return  # the listener (re)connects to every wanted channel
            wanted = self._wanted()
            try:
                self._listen(wanted - self._listened)
                self._unlisten(self._listened - wanted)
            except self._failures as err:
                log.warning("pubsub: cannot change the channels on %s (%s); reconnecting", self.described,
                            reason(err))
                self._broken = True
                return
            self._listened = wanted

    def _wanted(self) -> set[str]:
        """Return the bus channels the listener should listen on: the bare one and every local topic's."""
        return {self.channel} | {self.bus_name(topic) for topic in self.topics()}

    def _reconnect(self) -> None:
        """Open a fresh listening connection on every wanted channel."""
        with self._bus_lock:
            self._disconnect()
            self._connect_listener()
            wanted = self._wanted()
            self._listen(wanted)
            self._listened, self._broken = wanted, False

    def _disconnect(self) -> None:
        """Close the listening connection (safe twice)."""
        with self._bus_lock:
            self._close_listener()
            self._listened = set()

    def _run(self) -> None:
        """Deliver bus messages until closed, reconnecting with a growing pause when the bus goes away."""
        delay, connected = BACKOFF_FIRST, True
        while not self._stop.is_set():
            try:
                if not connected:
                    self._reconnect()
                    connected, delay, self._paused_until = True, BACKOFF_FIRST, 0.0
                    self.connections += 1
                    log.warning("pubsub: listening on %s again", self.described)
                for text in self._receive(TICK):
                    self._accept(text)
                if self._broken:
                    raise BusLost("the bus did not confirm a change of channels")
            except self._failures as err:
                log.warning("pubsub: %s %s (%s); retrying in %.2f s",
                            "lost the bus" if connected else "still cannot reach", self.described, reason(err), delay)
                connected = False
            except Exception:  # the listener thread is a boundary: log, reconnect, keep serving
                connected = False
                log.exception("pubsub: the listener on %s failed; reconnecting in %.2f s", self.described, delay)
            if not connected:
                self._disconnect()
                self._stop.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX)
        self._disconnect()

    def _accept(self, text: str) -> None:
        """Hand one bus message from another process to the local subscribers."""
        try:
            envelope: Any = json.loads(text)
            origin, topic, message = envelope["o"], envelope["t"], envelope["m"]
        except (ValueError, KeyError, TypeError):
            log.warning("pubsub: ignoring a message on channel %s that is not circle's: %.80r", self.channel, text)
            return
        self.received += 1
        if origin != self.origin and isinstance(topic, str) and isinstance(message, dict):
            self.fan_out(topic, message, len(text))

    def _connect_listener(self) -> None:
        """Open the listening connection."""
        raise NotImplementedError

    def _connected(self) -> bool:
        """Tell whether the listening connection is open."""
        raise NotImplementedError

    def _listen(self, names: set[str]) -> None:
        """Listen on the channels `names`; return once the bus confirmed them."""
        raise NotImplementedError

    def _unlisten(self, names: set[str]) -> None:
        """Stop listening on the channels `names`."""
        raise NotImplementedError

    def _receive(self, timeout: float) -> Iterator[str]:
        """Yield the bus messages that arrive within about `timeout` seconds."""
        raise NotImplementedError

    def _close_listener(self) -> None:
        """Close the listening connection, if open (safe twice)."""
        raise NotImplementedError

    def _send(self, name: str, text: str) -> None:
        """Put one encoded message on the bus channel `name`."""
        raise NotImplementedError

    def _close_clients(self) -> None:
        """Close the publishing connection and any client the bus holds (safe twice)."""
        raise NotImplementedError
