"""Who holds an agent token: looked up once, then answered from memory until the agent changes.

Every agent call names its caller by token; 5 000 idle agents long-polling every ~30 s made the token's
SELECT a third of the server's idle CPU. Here a token's agent (id, name, platform, labels, paused) is kept
in memory for `ttl` seconds. Deleting, pausing or resuming an agent, re-registering it or changing its
token publishes `{"forget": id}` on the "agents" topic after the commit, and every server process drops
that agent at once (a shared bus carries it to the others); the ttl bounds what a lost message could keep alive.
Then the agent's long-polls waiting in that process are answered "nothing" (`on_change`), so its next
call already sees the change: a paused agent gets no task, a resumed one stops waiting idle.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from circle import crypto
from circle.models import Agent
from circle.pubsub import OVERFLOW, Message, PubSub
from circle.store import agents as agent_store
from circle.store.base import after_commit

TOPIC = "agents"


@dataclass(frozen=True)
class AgentIdentity:
    """What a call needs to know of its agent, detached from any database session."""

    id: int
    name: str
    platform: str
    labels: dict[str, str] = field(default_factory=dict)
    paused: bool = False

    @classmethod
    def of(cls, agent: Agent) -> AgentIdentity:
        """Return the identity of an agent row."""
        return cls(id=agent.id, name=agent.name, platform=agent.platform or "", labels=dict(agent.labels or {}),
                   paused=bool(agent.paused))


class AgentIdentities:
    """Token → agent, remembered for `ttl` seconds (at most `limit` tokens) and forgotten on every change."""

    def __init__(self, pubsub: PubSub, *, ttl: float = 300.0, limit: int = 100_000,
                 on_change: Callable[[int], None] | None = None) -> None:
        self._pubsub = pubsub
        self._on_change = on_change  # told, after the agent is dropped here, the id of every agent that changed
        self._ttl = ttl
        self._limit = limit
        self._lock = threading.Lock()
        self._known: OrderedDict[str, tuple[AgentIdentity, float]] = OrderedDict()
        self._key_of: dict[int, str] = {}  # an agent has one token
        self._watch = pubsub.watch([TOPIC], self._on_message)

    def resolve(self, token: str) -> AgentIdentity:
        """Return the agent holding `token`; raise NotFound when none does."""
        key = crypto.hash_token(token)
        with self._lock:
            known = self._known.get(key)
            if known is not None and known[1] > time.monotonic():
                self._known.move_to_end(key)
                return known[0]
        identity = AgentIdentity.of(agent_store.get_by_token(token))
        with self._lock:
            self._known[key] = (identity, time.monotonic() + self._ttl)
            self._known.move_to_end(key)
            self._key_of[identity.id] = key
            while len(self._known) > self._limit:
                self._key_of.pop(self._known.popitem(last=False)[1][0].id, None)
        return identity

    def forget(self, agent_id: int) -> None:
        """Make every server process look the agent up again once the current unit of work commits."""
        after_commit(lambda: self._pubsub.publish(TOPIC, {"forget": agent_id}))

    def close(self) -> None:
        """Stop following changes."""
        self._watch.close()

    def _on_message(self, message: Message) -> None:
        """Drop the agent a message names (everything after a gap: a forget may have been lost in it)."""
        with self._lock:
            if message is OVERFLOW or not isinstance(message.get("forget"), int):
                self._known.clear()
                self._key_of.clear()
                return
            key = self._key_of.pop(message["forget"], None)
            if key is not None:
                self._known.pop(key, None)
        if self._on_change is not None:
            self._on_change(message["forget"])
