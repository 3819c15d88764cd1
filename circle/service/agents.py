"""Agents as administrators run them: online or offline from their last contact, paused, deleted.

Every change is published, once committed, to the events feed (`{"type": "agent"}`, administrators
only) so the agents page follows it live, and to every server process's cache of agent identities.
"""
from __future__ import annotations

import time
from typing import Any

from circle.hub import hub
from circle.models import Agent
from circle.service.events import ALL_EVENTS
from circle.store import agents as agent_store
from circle.store.base import after_commit

# An agent is offline once it has missed this many long-polls (and then a margin for a slow network).
MISSED_POLLS = 2
CONTACT_MARGIN = 10


def online_since() -> int:
    """Return the oldest last contact (UNIX seconds) of an agent still counted online."""
    return int(time.time()) - MISSED_POLLS * hub().settings.agent_poll_seconds - CONTACT_MARGIN


def is_online(agent: Agent) -> bool:
    """Tell whether the agent made contact within its last two long-polls."""
    return agent.last_contact >= online_since()


def create(name: str) -> tuple[Agent, str]:
    """Create an agent that authenticates with its own token; return it and the token (shown once)."""
    agent, token = agent_store.create_with_token(name)
    changed(agent)
    return agent, token


def set_paused(agent_id: int, paused: bool) -> Agent:
    """Pause an agent (it finishes what it runs and takes nothing new) or resume it, in every server process."""
    agent = agent_store.update(agent_store.get(agent_id), paused=paused)
    hub().identities.forget(agent.id)
    changed(agent)
    return agent


def delete(agent_id: int) -> None:
    """Delete an agent; its token stops working and its leased tasks go back to the queue when their lease ends."""
    agent_store.delete(agent_store.get(agent_id))
    hub().identities.forget(agent_id)
    _publish({"type": "agent", "repo_id": None, "agent": {"id": agent_id}, "deleted": True})


def changed(agent: Agent) -> None:
    """Publish an agent's new state to the events feed once it is committed."""
    _publish({"type": "agent", "repo_id": None, "agent": agent_json(agent)})


def agent_json(agent: Agent) -> dict[str, Any]:
    """Return what the agents page shows of an agent."""
    return {"id": agent.id, "name": agent.name, "platform": agent.platform, "backend": agent.backend,
            "capacity": agent.capacity, "labels": dict(agent.labels or {}), "version": agent.version,
            "last_contact": agent.last_contact, "paused": agent.paused, "online": is_online(agent)}


def _publish(message: dict[str, Any]) -> None:
    """Send a message to the all-events topic after the commit."""
    pubsub = hub().pubsub
    after_commit(lambda: pubsub.publish(ALL_EVENTS, message))
