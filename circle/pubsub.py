"""Events and log fan-out: in-process by default, Redis or PostgreSQL when several server processes share work.

`publish(topic, message)` hands a JSON-able dict to every subscriber of the topic, in this process
and (with a bus, see circle.pubsub_bus) in every other process on the same CIRCLE_PUBSUB_URL;
`subscribe(topics)` returns a Subscription to read them from, `watch(topics, callback)` calls a
function instead. Delivery is best effort: the database stays the truth, subscribers only learn
sooner. Stdlib queues and locks serve greenlets (gevent-patched server) and threads (tests) alike.
See docs/pubsub.md.

Topics: "events" and "build:<repo_id>" (build and proc changes), "logs:<proc_id>" (the position a proc's log reached),
"task:<task_id>" (cancel/done of a queued workflow), "queue" (a task can be taken: wake a poller).
A process hears a topic from the bus only while it has a local subscriber or watcher for it.

A subscriber that does not read keeps at most BACKLOG messages and MAX_BYTES of their JSON; what
comes beyond is dropped, and `Subscription.get` then returns OVERFLOW (once per gap, in the place of
the lost messages; compare with `is`): the reader must resync from the database.
"""
from __future__ import annotations

import importlib
import json
import logging
import threading
from collections import deque
from typing import Any, Callable, Iterable

from circle.errors import SettingsError

log = logging.getLogger(__name__)

# A subscriber that does not read keeps at most this many messages, and this many bytes of their JSON.
BACKLOG = 10_000
MAX_BYTES = 8 * 1024 * 1024

Message = dict[str, Any]

# What `Subscription.get` returns where messages were dropped: resync from the database.
OVERFLOW: Message = {"overflow": True}


def encode(message: Message) -> str:
    """Return the compact, ASCII-only JSON of a message (so its length is its size in bytes)."""
    return json.dumps(message, separators=(",", ":"))


class Subscription:
    """The receiving end of one subscriber: a buffer bounded in messages and bytes."""

    def __init__(self, broker: PubSub, topics: tuple[str, ...]) -> None:
        self.topics = topics
        self._broker = broker
        self._ready = threading.Condition(threading.Lock())
        self._buffer: deque[tuple[Message, int]] = deque()
        self._bytes = 0
        self.dropped = 0

    def deliver(self, message: Message, size: int) -> None:
        """Buffer a message of `size` bytes; past the bounds drop it and leave OVERFLOW in its place."""
        with self._ready:
            if len(self._buffer) < BACKLOG and self._bytes + size <= MAX_BYTES:
                self._buffer.append((message, size))
                self._bytes += size
            else:
                self.dropped += 1
                if not self._buffer or self._buffer[-1][0] is not OVERFLOW:
                    self._buffer.append((OVERFLOW, 0))
                    log.warning("pubsub: a subscriber of %s fell behind (%d messages, %d bytes unread); "
                                "dropping messages, it resyncs from the database", ", ".join(self.topics),
                                len(self._buffer) - 1, self._bytes)
            self._ready.notify()

    def get(self, timeout: float | None = None) -> Message | None:
        """Return the next message (OVERFLOW where some were dropped), or None after `timeout` seconds."""
        with self._ready:
            if not self._ready.wait_for(lambda: self._buffer, timeout):
                return None
            message, size = self._buffer.popleft()
            self._bytes -= size
            return message

    def close(self) -> None:
        """Stop receiving messages."""
        self._broker.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Watch(Subscription):
    """A subscriber that is a function, called in the publishing (or bus listener) thread."""

    def __init__(self, broker: PubSub, topics: tuple[str, ...], callback: Callable[[Message], None]) -> None:
        super().__init__(broker, topics)
        self._callback = callback

    def deliver(self, message: Message, size: int) -> None:
        """Call the callback; its failure is logged and never reaches the publisher."""
        try:
            self._callback(message)
        except Exception:  # a pubsub callback is a boundary: one failing watcher must not break publishing
            log.exception("pubsub callback for %s failed", ", ".join(self.topics))


class PubSub:
    """In-process publish/subscribe; the base of the shared-bus implementations."""

    # The kind of bus: "" in-process, "redis" or "postgres".
    kind = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._topics: dict[str, set[Subscription]] = {}

    def start(self) -> None:
        """Get ready to deliver (nothing to do in-process)."""

    def close(self) -> None:
        """Release what the PubSub holds (nothing in-process)."""

    def publish(self, topic: str, message: Message) -> None:
        """Send `message` to every subscriber of `topic`; a message that is not JSON is logged and dropped."""
        try:
            text = encode(message)
        except (TypeError, ValueError) as err:
            log.error("pubsub: a message on %s is not JSON (%s); dropped", topic, err)
            return
        self.fan_out(topic, message, len(text))
        self.forward(topic, text)

    def forward(self, topic: str, text: str) -> None:
        """Send the JSON of a message to the other processes (there are none in-process)."""

    def fan_out(self, topic: str, message: Message, size: int) -> None:
        """Deliver `message` (`size` bytes of JSON) to this process's subscribers of `topic` only."""
        with self._lock:
            subscribers = list(self._topics.get(topic, ()))
        for subscription in subscribers:
            subscription.deliver(message, size)

    def subscribe(self, topics: Iterable[str]) -> Subscription:
        """Start receiving the messages of `topics`."""
        return self._add(Subscription(self, tuple(topics)))

    def watch(self, topics: Iterable[str], callback: Callable[[Message], None]) -> Subscription:
        """Call `callback(message)` for every message of `topics`; it must return quickly and never block."""
        return self._add(Watch(self, tuple(topics), callback))

    def _add(self, subscription: Subscription) -> Subscription:
        """Register a subscription under each of its topics."""
        with self._lock:
            for topic in subscription.topics:
                self._topics.setdefault(topic, set()).add(subscription)
        self.topics_changed()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop delivering to `subscription`."""
        with self._lock:
            for topic in subscription.topics:
                subscribers = self._topics.get(topic)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self._topics[topic]
        self.topics_changed()

    def topics_changed(self) -> None:
        """Follow the set of topics with a local subscriber (a bus listens to exactly those)."""

    def topics(self) -> set[str]:
        """Return the topics that have a local subscriber or watcher."""
        with self._lock:
            return set(self._topics)

    def subscriber_count(self, topic: str) -> int:
        """Return how many subscribers a topic has."""
        with self._lock:
            return len(self._topics.get(topic, ()))


# URL scheme → (module, class, driver module, extra that installs it)
BUSES = {
    "redis": ("circle.pubsub_redis", "RedisPubSub", "redis", "redis"),
    "rediss": ("circle.pubsub_redis", "RedisPubSub", "redis", "redis"),
    "postgresql": ("circle.pubsub_postgres", "PostgresPubSub", "psycopg", "postgres"),
    "postgres": ("circle.pubsub_postgres", "PostgresPubSub", "psycopg", "postgres"),
    "postgresql+psycopg": ("circle.pubsub_postgres", "PostgresPubSub", "psycopg", "postgres"),
}


def create_pubsub(url: str) -> PubSub:
    """Return a started PubSub for CIRCLE_PUBSUB_URL `url` (empty: in-process); raise SettingsError if unusable."""
    if not url:
        return PubSub()
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in BUSES:
        shown = f"{scheme}://…" if scheme else url
        raise SettingsError(f"CIRCLE_PUBSUB_URL must be empty (one process), redis://… or postgresql://…, "
                            f"not {shown!r}")
    module_name, class_name, driver, extra = BUSES[scheme]
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        if err.name != driver:
            raise
        raise SettingsError(f"CIRCLE_PUBSUB_URL names a {scheme} bus but the {driver} package is not "
                            f"installed: pip install 'circle-ci[{extra}]'") from None
    pubsub: PubSub = getattr(module, class_name)(url)
    pubsub.start()
    return pubsub
