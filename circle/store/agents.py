"""Registered agents."""
from __future__ import annotations

from typing import Any

from circle import crypto
from circle.models import Agent
from circle.models.types import now
from circle.store.base import Crud, Page

_crud = Crud(Agent, "agent")

get = _crud.get
create = _crud.create
update = _crud.update
delete = _crud.delete
count = _crud.count


def get_by_token(token: str) -> Agent:
    """Return the agent owning this per-agent token, or raise NotFound."""
    return _crud.find("token", Agent.token_hash == crypto.hash_token(token))


def get_by_name(name: str) -> Agent:
    """Return the agent with this name, or raise NotFound."""
    return _crud.find(repr(name), Agent.name == name)


def list_all(page: Page | None = None) -> list[Agent]:
    """Return one page of agents ordered by name."""
    return _crud.list(order_by=(Agent.name, Agent.id), page=page)


def touch(agent: Agent) -> Agent:
    """Record that the agent made contact now."""
    return _crud.update(agent, last_contact=now())


def create_with_token(name: str, **values: Any) -> tuple[Agent, str]:
    """Create an agent that authenticates with its own token; return it and the token (stored only hashed)."""
    token = crypto.new_token()
    return _crud.create(name=name, token_hash=crypto.hash_token(token), **values), token
