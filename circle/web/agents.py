"""The agents page `/agents` (administrators): agents online, offline or paused, with last contact, labels and
running tasks; queue counts. Agents can be paused, resumed and deleted there, and static/js/agents.js keeps
the page current from the events feed."""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template

from circle.hub import hub
from circle.models import Agent, Build, Proc, Repo
from circle.service import agents as agent_service
from circle.store import agents, builds, repos, tasks
from circle.web.guard import admin_only


@dataclass(frozen=True)
class Running:
    """A task an agent holds, with the build and workflow it runs."""

    repo: Repo
    build: Build
    proc: Proc


def _running() -> dict[int, list[Running]]:
    """Return the running tasks grouped by the id of the agent holding them."""
    held: dict[int, list[Running]] = {}
    for task in tasks.list_running():
        build = builds.get(task.build_id)
        entry = Running(repos.get(build.repo_id), build, builds.get_proc(task.proc_id))
        held.setdefault(task.agent_id or 0, []).append(entry)
    return held


@admin_only
def agents_page() -> str:
    """List the agents and what they run, and count the queue."""
    held = _running()
    rows: list[tuple[Agent, list[Running], str]] = [
        (agent, held.get(agent.id, []), _state(agent)) for agent in agents.list_all()]
    return render_template("agents/index.html", rows=rows, queue=hub().queue.info())


def _state(agent: Agent) -> str:
    """Return what the page says of an agent: paused, online or offline."""
    return "paused" if agent.paused else "online" if agent_service.is_online(agent) else "offline"
