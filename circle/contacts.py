"""Agents' last contact: noted in memory on every call, written for all of them at once by the reaper.

An idle agent long-polls every ~30 s; writing its row on each call made 5 000 idle agents 166 UPDATEs
and commits a second. Here a call only notes the time, and `flush` (each reaper round, about once a
second) writes everything noted since in one UPDATE per distinct second and CHUNK agents, yielding to
other requests between them (one UPDATE naming 5 000 ids held the event loop for tens of milliseconds).
A crash loses at most that second of contact times.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict

from circle.models.types import now
from circle.store import agents as agent_store

CHUNK = 200


class Contacts:
    """The contact times noted since the last flush, per agent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[int, int] = {}

    def note(self, agent_id: int) -> None:
        """Remember that an agent made contact now."""
        with self._lock:
            self._seen[agent_id] = now()

    def flush(self) -> int:
        """Write the noted contact times; return for how many agents."""
        with self._lock:
            seen, self._seen = self._seen, {}
        by_time: dict[int, list[int]] = defaultdict(list)
        for agent_id, moment in seen.items():
            by_time[moment].append(agent_id)
        for moment, agent_ids in by_time.items():
            for start in range(0, len(agent_ids), CHUNK):
                agent_store.touch_many(agent_ids[start:start + CHUNK], moment)
                time.sleep(0)  # under gevent: let waiting requests run between the UPDATEs
        return len(seen)
