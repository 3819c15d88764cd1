"""The servers one agent talks to: interchangeable processes on one database, the current one and the next.

Every call goes to the current server; when it does not answer, the call moves on round-robin. Calls run in
several threads at once, so a failure moves on only from the server that failed (the first thread to see a
server die switches, the others follow). A switch is logged once, when the next server answers; no server
answering at all is said once, and once more when one answers again.
"""
from __future__ import annotations

import logging
import threading
from typing import Sequence

from circle.errors import InvalidInput

log = logging.getLogger(__name__)


class ServerList:
    """Base URLs of servers sharing one database, with the one calls go to now."""

    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = [url.rstrip("/") for url in urls]
        if not self.urls:
            raise InvalidInput("an agent needs at least one server URL")
        self._index = 0
        self._answering = self.urls[0]
        self._reason = ""
        self._outage = False
        self._lock = threading.Lock()

    @property
    def current(self) -> str:
        """Return the URL calls go to now."""
        return self.urls[self._index]

    def failed(self, url: str, reason: str) -> None:
        """Move on from `url` after it did not answer, unless another call already did."""
        with self._lock:
            if url == self.urls[self._index]:
                self._index = (self._index + 1) % len(self.urls)
                self._reason = reason

    def all_failed(self, reason: str) -> None:
        """Say once that no server answers (the last one for `reason`), until one does again."""
        with self._lock:
            if self._outage:
                return
            self._outage = True
        log.warning("no server answers (%s; last: %s); retrying with backoff until one does",
                    ", ".join(self.urls), reason)

    def answered(self, url: str) -> None:
        """Note that `url` answered: log a switch to it, or the end of an outage, once."""
        if url == self._answering and not self._outage:
            return
        with self._lock:
            if url != self.urls[self._index] or url == self._answering and not self._outage:
                return
            outage = self._outage
            self._answering, self._outage = url, False
        if outage:
            log.info("server %s answers again; resuming", url)
        else:
            log.warning("%s; switched to %s", self._reason, url)
