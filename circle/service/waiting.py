"""Why a task waits: one sentence per pending task, from the agents, their load and the repo's limit.

Read from the database when asked (GET /api/queue, a pending or running build's page and API answer, `circle
build info`), so every server process answers the same; the order of the checks is the order in which they
would keep the task waiting. A workflow waiting for others (`depends_on`) says which.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from circle import states
from circle.dispatch import labels_match
from circle.models import Agent, Build, Proc, Task
from circle.service import agents as agent_service
from circle.store import agents as agent_store
from circle.store import builds as build_store
from circle.store import repos as repo_store
from circle.store import tasks as task_store

# GET /api/queue explains at most this many pending tasks (the oldest).
MAX_EXPLAINED = 100


@dataclass(frozen=True)
class AgentLoad:
    """What an agent offers and how it stands: online, paused, how many tasks it holds of how many."""

    offered: dict[str, str]
    online: bool
    paused: bool
    running: int
    capacity: int

    @classmethod
    def of(cls, agent: Agent, running: int, since: int) -> AgentLoad:
        """Return the load of an agent row holding `running` tasks."""
        return cls({**(agent.labels or {}), "platform": agent.platform or ""}, agent.last_contact >= since,
                   bool(agent.paused), running, max(1, agent.capacity))


def _agents(count: int) -> str:
    """Return "1 matching agent" or "3 matching agents"."""
    return f"{count} matching agent" + ("" if count == 1 else "s")


def reason(labels: dict[str, str], agents: list[AgentLoad], *, repo_running: int = 0, repo_limit: int = 0) -> str:
    """Return the sentence that says why a task with `labels` waits."""
    if 0 < repo_limit <= repo_running:
        return f"repo concurrency limit {repo_limit} reached"
    matching = [agent for agent in agents if labels_match(labels, agent.offered)]
    if not matching:
        if not agents:
            return "no agent is registered"
        missing = [f"{key}={value}" for key, value in sorted(labels.items())
                   if not any(labels_match({key: value}, agent.offered) for agent in agents)]
        if missing:
            return f"no agent offers {', '.join(missing)}"
        return "no agent offers all of " + ", ".join(f"{key}={value}" for key, value in sorted(labels.items()))
    online = [agent for agent in matching if agent.online]
    if not online:
        return f"the {_agents(len(matching))} {'is' if len(matching) == 1 else 'are'} offline"
    active = [agent for agent in online if not agent.paused]
    if not active:
        return "agent paused" if len(online) == 1 else f"all {_agents(len(online))} paused"
    if all(agent.running >= agent.capacity for agent in active):
        return "agent busy" if len(active) == 1 else f"all {_agents(len(active))} busy"
    return "waiting for a free matching agent to ask for work"


def dependencies_reason(workflow: Proc, workflows: list[Proc]) -> str:
    """Return the sentence that says which workflows a waiting `workflow` waits for (its unfinished dependencies)."""
    deps = [proc for proc in workflows if proc.pid in (workflow.depends_on or [])]
    names = [proc.name for proc in deps if proc.state not in states.FINAL] or [proc.name for proc in deps]
    return f"waiting for workflow{'' if len(names) == 1 else 's'} {', '.join(names)}"


def pending_tasks(build_id: int | None = None, limit: int = MAX_EXPLAINED) -> list[dict[str, Any]]:
    """Return the oldest pending and waiting tasks (of one build, or all) with the reason each waits."""
    rows = task_store.list_pending_with_builds(limit, build_id)
    if not rows:
        return []
    since = agent_service.online_since()
    held = task_store.running_by_agent()
    agents = [AgentLoad.of(agent, held.get(agent.id, 0), since) for agent in agent_store.list_all()]
    running = task_store.running_by_repo()
    limits = repo_store.concurrency_limits({task.repo_id for task, _, _ in rows})
    workflows = {task.build_id: build_store.list_workflows(task.build_id)
                 for task, _, _ in rows if task.state == task_store.WAITING}

    def why(task: Task) -> str:
        """Say why one task waits."""
        if task.state == task_store.WAITING:
            mine = workflows[task.build_id]
            return dependencies_reason(next(proc for proc in mine if proc.id == task.proc_id), mine)
        return reason(task.labels or {}, agents, repo_running=running.get(task.repo_id, 0),
                      repo_limit=limits.get(task.repo_id, 0))

    return [{"build": task.build_id, "repo": repo, "number": number, "proc_id": task.proc_id,
             "labels": dict(task.labels or {}), "reason": why(task)}
            for task, number, repo in rows]


def of_build(build: Build, procs: list[Proc]) -> list[dict[str, Any]]:
    """Return why each workflow of a pending or running build waits: [{"proc", "labels", "reason"}] (none for
    other builds)."""
    if build.status not in (states.PENDING, states.RUNNING):
        return []
    names = {proc.id: proc.name for proc in procs}
    return [{"proc": names.get(task["proc_id"], ""), "labels": task["labels"], "reason": task["reason"]}
            for task in pending_tasks(build.id)]
