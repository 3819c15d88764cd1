"""GET /api/agents and GET /api/queue (administrators): who runs what, and what waits."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from circle.api.routing import api_route
from circle.hub import hub
from circle.models import Agent, Task
from circle.schemas.agents import AgentSchema, QueueSchema
from circle.store import agents, tasks
from circle.store.base import Page

bp = Blueprint("agents", __name__)


@api_route(bp, "GET", "/api/agents", auth="admin", paginated=True, answer=AgentSchema)
def list_agents(page: Page) -> tuple[list[tuple[Agent, list[Task]]], int]:
    """List the agents with their last contact, labels and the tasks they hold."""
    held: dict[int, list[Task]] = {}
    for task in tasks.list_running():
        held.setdefault(task.agent_id or 0, []).append(task)
    return [(agent, held.get(agent.id, [])) for agent in agents.list_all(page)], agents.count()


@api_route(bp, "GET", "/api/queue", auth="admin", answer=QueueSchema)
def queue_info() -> dict[str, Any]:
    """Count pending and running tasks and the agents waiting for one."""
    return hub().queue.info()
