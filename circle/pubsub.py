"""Events and log fan-out between the parts of one server process.

`publish(topic, message)` hands a JSON-able dict to every current subscriber of the topic;
`subscribe(topics)` returns a Subscription to read them from. Delivery is best effort and in
memory: the database stays the truth, subscribers only learn sooner. Stdlib queues and locks are
used so that the same code serves greenlets (gevent-patched server) and threads (tests).

Topics: "build:<repo_id>" (build and proc changes of a repo), "logs:<proc_id>" (lines of a proc),
"task:<task_id>" (cancel/done of a queued workflow), "queue" (a task was pushed).
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Iterable

log = logging.getLogger(__name__)

# A subscriber that does not read keeps at most this many messages; older ones are dropped.
BACKLOG = 10_000


class Subscription:
    """The receiving end of one subscriber."""

    def __init__(self, broker: PubSub, topics: tuple[str, ...]) -> None:
        self.topics = topics
        self._broker = broker
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(BACKLOG)
        self.dropped = 0

    def deliver(self, message: dict[str, Any]) -> None:
        """Queue a message for this subscriber, dropping it when the subscriber has fallen far behind."""
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            self.dropped += 1

    def get(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Return the next message, or None after `timeout` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        """Stop receiving messages."""
        self._broker.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PubSub:
    """In-process publish/subscribe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._topics: dict[str, set[Subscription]] = {}

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        """Send `message` to every subscriber of `topic`."""
        with self._lock:
            subscribers = list(self._topics.get(topic, ()))
        for subscription in subscribers:
            subscription.deliver(message)

    def subscribe(self, topics: Iterable[str]) -> Subscription:
        """Start receiving the messages of `topics`."""
        subscription = Subscription(self, tuple(topics))
        with self._lock:
            for topic in subscription.topics:
                self._topics.setdefault(topic, set()).add(subscription)
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

    def subscriber_count(self, topic: str) -> int:
        """Return how many subscribers a topic has."""
        with self._lock:
            return len(self._topics.get(topic, ()))
