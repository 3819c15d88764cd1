"""Agents and the queue, as administrators see them."""
from __future__ import annotations

from typing import Any

from marshmallow import fields, pre_dump, validate

from circle.models import Agent, Task
from circle.schemas import Strict, unix_time
from circle.service import agents as agent_service


class LeaseSchema(Strict):
    """A task an agent holds."""

    id = fields.Integer(dump_only=True)
    build_id = fields.Integer(dump_only=True)
    proc_id = fields.Integer(dump_only=True)
    lease_deadline = fields.Float(dump_only=True, metadata={"description": "UNIX seconds the lease ends"})


class AgentSchema(Strict):
    """An agent with its last contact, labels and running tasks; dumps an `(agent, tasks)` pair."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    platform = fields.String(dump_only=True)
    backend = fields.String(dump_only=True)
    capacity = fields.Integer(dump_only=True)
    labels = fields.Dict(dump_only=True, keys=fields.String(), values=fields.String())
    version = fields.String(dump_only=True)
    last_contact = unix_time()
    created = unix_time()
    paused = fields.Boolean(dump_only=True, metadata={"description": "finishes what it runs, takes nothing new"})
    online = fields.Boolean(dump_only=True, metadata={"description": "made contact within its last two long-polls"})
    tasks = fields.List(fields.Nested(LeaseSchema), dump_only=True)

    @pre_dump
    def _pair(self, pair: tuple[Agent, list[Task]], **_: Any) -> dict[str, Any]:
        """Merge the agent's attributes with whether it is online and the tasks it holds."""
        agent, tasks = pair
        own = {name: getattr(agent, name) for name in self.fields if name not in ("tasks", "online")}
        return {**own, "online": agent_service.is_online(agent), "tasks": tasks}


class AgentPatchSchema(Strict):
    """Pause or resume an agent."""

    paused = fields.Boolean(required=True)


class PendingTaskSchema(Strict):
    """A pending task and why it waits."""

    build = fields.Integer(dump_only=True, metadata={"description": "build id"})
    repo = fields.String(dump_only=True, metadata={"description": "owner/name"})
    number = fields.Integer(dump_only=True)
    labels = fields.Dict(dump_only=True, keys=fields.String(), values=fields.String())
    reason = fields.String(dump_only=True, metadata={"description": "why no agent runs it yet, a sentence"})


class QueueSchema(Strict):
    """How many tasks wait and run, how many agents are waiting for work, and why the oldest pending tasks wait."""

    pending = fields.Integer(dump_only=True)
    running = fields.Integer(dump_only=True)
    waiting_agents = fields.Integer(dump_only=True)
    tasks = fields.List(fields.Nested(PendingTaskSchema), dump_only=True)


class AgentCreateSchema(Strict):
    """A new agent that will authenticate with its own token."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=255))


class AgentTokenSchema(Strict):
    """A new agent and its token, which is shown only in this answer."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    token = fields.String(dump_only=True, metadata={"description": "Bearer token for POST /rpc; shown once"})
