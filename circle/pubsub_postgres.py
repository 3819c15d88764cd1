"""The PostgreSQL bus: pg_notify on a channel per topic, one LISTEN connection per process (psycopg 3).

The listener LISTENs on "<channel>:<topic>" while the process has a subscriber of the topic and
UNLISTENs after the last one. A channel name is an identifier of at most 63 bytes: a longer one is
"<channel>:" and a hash of the topic (the envelope names the topic, so a clash only costs decoding).
The listener waits on the connection's socket without holding it, so a subscriber's LISTEN (run in its
own thread, on the same connection) never waits for a quiet bus.

A NOTIFY payload must stay under 8000 bytes, and log line batches are often longer. A message whose
JSON is longer than PART characters is cut into parts, "#<origin> <seq> <index> <count> <part>",
sent in one transaction so that they arrive together, in order, or not at all; each listener puts
them back together. The JSON is written ASCII-only, so its characters are its bytes.
"""
from __future__ import annotations

import hashlib
import itertools
import logging
import select
import threading
import time
from typing import Iterator

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from circle.errors import SettingsError
from circle.pubsub_bus import BusPubSub

log = logging.getLogger(__name__)

NOTIFY = "SELECT pg_notify(%s, %s)"
# Characters of message text per NOTIFY; with its header a part stays well under 8000 bytes.
PART = 7800
# A multi-part message whose parts have not all come within this many seconds is forgotten.
PARTIAL_TTL = 60.0
# PostgreSQL identifiers (channel names) are at most this many bytes.
NAME_MAX = 63
# Hex digits of the hash that names the channel of a long topic.
HASH_DIGITS = 32
# The longest `?channel=`: "<channel>:<hash>" must fit in NAME_MAX.
CHANNEL_MAX = NAME_MAX - 1 - HASH_DIGITS


def conninfo(url: str) -> str:
    """Return the libpq URI of a `postgresql://`, `postgres://` or `postgresql+psycopg://` URL."""
    return "postgresql://" + url.split("://", 1)[1]


def split(text: str, origin: str, seq: int) -> list[str]:
    """Return the NOTIFY payloads that carry `text`: itself when short, else numbered parts."""
    if len(text) <= PART:
        return [text]
    parts = [text[start:start + PART] for start in range(0, len(text), PART)]
    return [f"#{origin} {seq} {index} {len(parts)} {part}" for index, part in enumerate(parts)]


class Reassembler:
    """Put multi-part payloads of other processes back together."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._partial: dict[tuple[str, str], tuple[float, dict[int, str]]] = {}

    def feed(self, payload: str) -> str | None:
        """Return the whole message text once `payload` completes one, else None; own parts are skipped."""
        if not payload.startswith("#"):
            return payload
        try:
            origin, seq, index_text, count_text, part = payload[1:].split(" ", 4)
            index, count = int(index_text), int(count_text)
        except ValueError:
            log.warning("pubsub: ignoring a malformed message part: %.80r", payload)
            return None
        if origin == self.origin:
            return None
        now = time.monotonic()
        self._expire(now)
        parts = self._partial.setdefault((origin, seq), (now, {}))[1]
        parts[index] = part
        if len(parts) < count:
            return None
        del self._partial[(origin, seq)]
        return "".join(parts.get(i, "") for i in range(count))

    def _expire(self, now: float) -> None:
        """Forget messages whose parts stopped coming (their sender lost the bus mid-way)."""
        for key, (first, _parts) in list(self._partial.items()):
            if now - first > PARTIAL_TTL:
                del self._partial[key]

    def clear(self) -> None:
        """Forget every incomplete message."""
        self._partial.clear()


class PostgresPubSub(BusPubSub):
    """PubSub shared through PostgreSQL LISTEN/NOTIFY."""

    kind = "postgres"
    bus_errors = (psycopg.Error,)

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._conninfo = conninfo(self.url)
        try:
            conninfo_to_dict(self._conninfo)
        except psycopg.ProgrammingError as err:
            raise SettingsError(f"CIRCLE_PUBSUB_URL {self.described} is not a usable PostgreSQL URL: "
                                f"{err}") from None
        if len(self.channel.encode()) > CHANNEL_MAX:
            raise SettingsError(f"the pubsub channel {self.channel!r} is longer than {CHANNEL_MAX} bytes")
        self._listener: psycopg.Connection | None = None
        self._sender: psycopg.Connection | None = None
        self._send_lock = threading.Lock()
        self._seq = itertools.count()
        self._parts = Reassembler(self.origin)

    def _connect(self, role: str) -> psycopg.Connection:
        """Open an autocommit connection named after its role and this process, with TCP keepalives."""
        return psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5,
                               application_name=f"circle-{role}-{self.origin}",
                               keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3)

    def bus_name(self, topic: str) -> str:
        """Return the channel of `topic`: "<channel>:<topic>", or "<channel>:<hash>" past 63 bytes."""
        name = super().bus_name(topic)
        if len(name.encode()) <= NAME_MAX:
            return name
        return f"{self.channel}:{hashlib.blake2b(topic.encode(), digest_size=HASH_DIGITS // 2).hexdigest()}"

    def _connect_listener(self) -> None:
        """Open a fresh listening connection."""
        self._listener = self._connect("listen")
        self._parts.clear()

    def _connected(self) -> bool:
        """Tell whether the listening connection is open."""
        return self._listener is not None and not self._listener.closed

    def _listen(self, names: set[str]) -> None:
        """LISTEN on the channels (done when the statement returns)."""
        self._execute("LISTEN", names)

    def _unlisten(self, names: set[str]) -> None:
        """UNLISTEN the channels."""
        self._execute("UNLISTEN", names)

    def _execute(self, verb: str, names: set[str]) -> None:
        """Run LISTEN or UNLISTEN for each of `names` on the listening connection."""
        assert self._listener is not None
        for name in sorted(names):
            self._listener.execute(sql.SQL(verb + " {}").format(sql.Identifier(name)))

    def _receive(self, timeout: float) -> Iterator[str]:
        """Yield the whole messages that arrive within `timeout` seconds (or came during a LISTEN meanwhile)."""
        assert self._listener is not None
        select.select([self._listener.fileno()], [], [], timeout)
        for notify in list(self._listener.notifies(timeout=0)):
            text = self._parts.feed(notify.payload)
            if text is not None:
                yield text

    def _close_listener(self) -> None:
        """Close the LISTEN connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    def _send(self, name: str, text: str) -> None:
        """NOTIFY the message on channel `name`, its parts in one transaction; a broken connection is replaced once."""
        payloads = split(text, self.origin, next(self._seq))
        with self._send_lock:
            while True:
                sender = self._sender
                fresh = sender is None or sender.closed
                if sender is None or fresh:
                    sender = self._sender = self._connect("publish")
                try:
                    if len(payloads) == 1:
                        sender.execute(NOTIFY, (name, payloads[0]))
                    else:
                        with sender.transaction(), sender.cursor() as cursor:
                            cursor.executemany(NOTIFY, [(name, payload) for payload in payloads])
                    return
                except psycopg.Error:
                    sender.close()
                    self._sender = None
                    if fresh:
                        raise

    def _close_clients(self) -> None:
        """Close the publishing connection."""
        with self._send_lock:
            sender, self._sender = self._sender, None
        if sender is not None:
            sender.close()
