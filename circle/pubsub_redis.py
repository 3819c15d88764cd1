"""The Redis bus: PUBLISH on a channel per topic, one SUBSCRIBE connection per process (redis-py, the `redis` extra).

The listener SUBSCRIBEs to "<channel>:<topic>" while the process has a subscriber of the topic and
UNSUBSCRIBEs after the last one; a change made from another thread waits until the listener thread
read Redis's confirmation. Redis channels ignore the database number, so two installations sharing one
Redis need their own `?channel=` in CIRCLE_PUBSUB_URL. redis-py's own retries are off: the listener loop of
circle.pubsub_bus decides when to reconnect, and a publish on a dead bus fails at once.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Iterator

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from circle.errors import SettingsError
from circle.pubsub_bus import BusPubSub

log = logging.getLogger(__name__)

# How long a change of channels waits for Redis to confirm it.
SUBSCRIBE_TIMEOUT = 5.0


class RedisPubSub(BusPubSub):
    """PubSub shared through a Redis server."""

    kind = "redis"
    bus_errors = (redis.RedisError, OSError)

    def __init__(self, url: str) -> None:
        super().__init__(url)
        options: dict[str, Any] = {"socket_connect_timeout": 3, "socket_timeout": 5, "socket_keepalive": True,
                                   "retry": Retry(NoBackoff(), 0), "decode_responses": True}
        try:
            self._sender = redis.Redis.from_url(self.url, client_name=f"circle-publish-{self.origin}", **options)
            self._listen_client = redis.Redis.from_url(self.url, client_name=f"circle-listen-{self.origin}",
                                                       health_check_interval=30, **options)
        except ValueError as err:
            raise SettingsError(f"CIRCLE_PUBSUB_URL {self.described} is not a usable Redis URL: {err}") from None
        self._listener: Any = None
        # Changes of channels not confirmed yet: ("subscribe" or "unsubscribe", channel) → set on confirmation.
        self._pending: dict[tuple[str, str], threading.Event] = {}

    def _connect_listener(self) -> None:
        """Open a fresh subscribing connection (it connects on its first command)."""
        self._listener = self._listen_client.pubsub()
        self._pending.clear()

    def _connected(self) -> bool:
        """Tell whether the subscribing connection is open."""
        return self._listener is not None

    def _listen(self, names: set[str]) -> None:
        """SUBSCRIBE to the channels and wait for Redis to confirm them."""
        self._change("subscribe", names)

    def _unlisten(self, names: set[str]) -> None:
        """UNSUBSCRIBE from the channels and wait for Redis to confirm it."""
        self._change("unsubscribe", names)

    def _change(self, kind: str, names: set[str]) -> None:
        """Send SUBSCRIBE or UNSUBSCRIBE for `names`; return once every confirmation was read."""
        if not names:
            return
        events = {name: threading.Event() for name in names}
        self._pending.update({(kind, name): event for name, event in events.items()})
        getattr(self._listener, kind)(*names)
        reads_itself = self._thread is None or threading.current_thread() is self._thread
        deadline = time.monotonic() + SUBSCRIBE_TIMEOUT
        for event in events.values():
            while not event.is_set() and (remaining := deadline - time.monotonic()) > 0:
                if reads_itself:
                    for text in self._receive(remaining):
                        self._accept(text)
                else:
                    event.wait(remaining)
            if not event.is_set():
                raise redis.TimeoutError(f"Redis did not confirm the {kind} within {SUBSCRIBE_TIMEOUT:.0f} s")

    def _receive(self, timeout: float) -> Iterator[str]:
        """Yield the next message, if one comes within `timeout` seconds; note confirmations of channel changes."""
        message = self._listener.get_message(timeout=timeout)
        if message is None:
            return
        if message["type"] == "message":
            yield message["data"]
        else:
            event = self._pending.pop((message["type"], message["channel"]), None)
            if event is not None:
                event.set()

    def _close_listener(self) -> None:
        """Close the subscribed connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.close()
            except self.bus_errors as err:
                log.debug("pubsub: closing the Redis listener: %s", err)

    def _send(self, name: str, text: str) -> None:
        """PUBLISH the message on the channel `name`."""
        self._sender.publish(name, text)

    def _close_clients(self) -> None:
        """Close both clients' connection pools."""
        self._sender.close()
        self._listen_client.close()
