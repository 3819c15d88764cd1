"""Login throttling: after `limit` failures within a minute, a client address or a login must wait (429).

An attempt counts as a failure from the moment it starts (before its password is hashed), so
concurrent tries cannot slip past the limit while the first ones are being checked; a success takes its
count back. The counts live in memory, per server process: several processes each count on their own,
and a restart forgets them. That bounds a password-guessing flood (and the hashing it costs) without a table.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque

from flask import current_app

WINDOW = 60.0
# Where an app keeps its login throttle (shared by /login and POST /api/user/password).
APP_KEY = "circle.login_throttle"
# Keys remembered at most; the least recently failed are forgotten first.
MAX_KEYS = 10_000


class Throttle:
    """Failures per key (e.g. "ip:10.0.0.1", "login:ann") within the last WINDOW seconds."""

    def __init__(self, limit: int, window: float = WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, moment: float) -> deque[float]:
        """Return the failure times of `key` still inside the window (dropping older ones)."""
        times = self._failures.get(key, deque())
        while times and times[0] <= moment - self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def retry_after(self, *keys: str) -> int:
        """Return the seconds to wait before any of `keys` may try again (0 = may try now)."""
        if self.limit <= 0:
            return 0
        moment = time.monotonic()
        waits = [times[-self.limit] + self.window - moment
                 for times in (self._recent(key, moment) for key in keys) if len(times) >= self.limit]
        return max((math.ceil(wait) for wait in waits), default=0)

    def attempt(self, *keys: str) -> int:
        """Count an attempt (as a failure) for each key unless one must wait; return the wait (0 = counted, go on)."""
        with self._lock:
            wait = self.retry_after(*keys)
            if wait or self.limit <= 0:
                return wait
            moment = time.monotonic()
            for key in keys:
                times = self._recent(key, moment)
                times.append(moment)
                self._failures[key] = times
                self._failures.move_to_end(key)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)
            return 0

    def succeeded(self, address: str, login: str) -> None:
        """Take back the address's count of a successful attempt and forget the login's failures."""
        with self._lock:
            times = self._failures.get(address)
            if times:
                times.pop()
            self._failures.pop(login, None)


def login_throttle() -> Throttle:
    """Return this app's throttle of failed password checks (CIRCLE_LOGIN_FAILURES a minute)."""
    limit = current_app.config["CIRCLE_SETTINGS"].login_failures
    return current_app.extensions.setdefault(APP_KEY, Throttle(limit))


def password_keys(address: str | None, login: str) -> tuple[str, str]:
    """Return the throttle keys of a password check: the client address's and the login's."""
    return f"ip:{address}", f"login:{login.lower()[:255]}"
