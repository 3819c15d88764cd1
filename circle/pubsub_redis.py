"""The Redis bus: PUBLISH on one channel, one SUBSCRIBE connection per process (redis-py, the `redis` extra).

Redis channels ignore the database number, so two installations sharing one Redis need their own
`?channel=` in CIRCLE_PUBSUB_URL. redis-py's own retries are off: the listener loop of
circle.pubsub_bus decides when to reconnect, and a publish on a dead bus fails at once.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Iterator

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from circle.errors import SettingsError
from circle.pubsub_bus import BusPubSub

log = logging.getLogger(__name__)

# How long a (re)connecting listener waits for Redis to confirm the subscription.
SUBSCRIBE_TIMEOUT = 5.0


class RedisPubSub(BusPubSub):
    """PubSub shared through a Redis server."""

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

    def _connect_listener(self) -> None:
        """Subscribe to the channel on a fresh connection and wait for Redis to confirm it."""
        self._listener = self._listen_client.pubsub()
        self._listener.subscribe(self.channel)
        deadline = time.monotonic() + SUBSCRIBE_TIMEOUT
        while time.monotonic() < deadline:
            message = self._listener.get_message(timeout=max(0.0, deadline - time.monotonic()))
            if message is not None and message["type"] == "subscribe":
                return
        raise redis.TimeoutError(f"Redis did not confirm the subscription to {self.channel} "
                                 f"within {SUBSCRIBE_TIMEOUT:.0f} s")

    def _receive(self, timeout: float) -> Iterator[str]:
        """Yield the next message of the channel, if one comes within `timeout` seconds."""
        message = self._listener.get_message(timeout=timeout)
        if message is not None and message["type"] == "message":
            yield message["data"]

    def _close_listener(self) -> None:
        """Close the subscribed connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.close()
            except self.bus_errors as err:
                log.debug("pubsub: closing the Redis listener: %s", err)

    def _send(self, text: str) -> None:
        """PUBLISH the message on the channel."""
        self._sender.publish(self.channel, text)

    def _close_clients(self) -> None:
        """Close both clients' connection pools."""
        self._sender.close()
        self._listen_client.close()
