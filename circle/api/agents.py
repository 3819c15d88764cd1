"""GET, POST /api/agents · PATCH, DELETE /api/agents/{agent_id} · GET /api/queue (administrators).

Who runs what, and what waits; an agent created here authenticates on /rpc with its own token
instead of the shared CIRCLE_AGENT_SECRET, and deleting it revokes that token.
"""
from __future__ import annotations

from typing import Any

from circle.hub import hub
from circle.models import Agent, Task
from circle.service import agents as agent_service
from circle.service import waiting
from circle.store import agents, tasks
from circle.store.base import Page


def list_agents(page: Page) -> tuple[list[tuple[Agent, list[Task]]], int]:
    """List the agents with their last contact, labels and the tasks they hold."""
    held: dict[int, list[Task]] = {}
    for task in tasks.list_running():
        held.setdefault(task.agent_id or 0, []).append(task)
    return [(agent, held.get(agent.id, [])) for agent in agents.list_all(page)], agents.count()


def create_agent(body: dict[str, Any]) -> dict[str, Any]:
    """Create an agent with its own token (shown once)."""
    agent, token = agent_service.create(body["name"])
    return {"id": agent.id, "name": agent.name, "token": token}


def patch_agent(agent_id: int, body: dict[str, Any]) -> tuple[Agent, list[Task]]:
    """Pause an agent (it finishes what it runs and takes nothing new) or resume it."""
    return agent_service.set_paused(agent_id, body["paused"]), tasks.list_by_agent(agent_id)


def delete_agent(agent_id: int) -> None:
    """Delete an agent; its token stops working and its leased tasks go back to the queue when their lease ends."""
    agent_service.delete(agent_id)


def queue_info() -> dict[str, Any]:
    """Count pending and running tasks and the agents waiting for one; say why each pending task waits."""
    return {**hub().queue.info(), "tasks": waiting.pending_tasks()}
