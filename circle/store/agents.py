"""Registered agents."""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy import update as sql_update

from circle import crypto
from circle.errors import NotFound
from circle.extensions import db
from circle.models import Agent
from circle.store.base import Crud, Page, flush

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
    """Return the oldest agent with this name, or raise NotFound."""
    agent = db.session.scalars(select(Agent).where(Agent.name == name).order_by(Agent.id).limit(1)).first()
    if agent is None:
        raise NotFound(f"agent {name!r} not found")
    return agent


def list_all(page: Page | None = None) -> list[Agent]:
    """Return one page of agents ordered by name."""
    return _crud.list(order_by=(Agent.name, Agent.id), page=page)


def count_by_state(since: int) -> dict[str, int]:
    """Return how many agents are paused, and of the others how many made contact at or after `since` (online)
    and how many did not (offline)."""
    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        """Count the agents that meet `condition`."""
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    paused, online, total = db.session.execute(select(
        count(Agent.paused.is_(True)), count(and_(Agent.paused.is_(False), Agent.last_contact >= since)), func.count(),
    ).select_from(Agent)).one()
    return {"paused": int(paused), "online": int(online), "offline": int(total) - int(paused) - int(online)}


def touch_many(agent_ids: list[int], moment: int) -> None:
    """Record that these agents made contact at `moment` (never moving a contact back in time)."""
    db.session.execute(sql_update(Agent).where(Agent.id.in_(agent_ids), Agent.last_contact < moment)
                       .values(last_contact=moment))
    flush("agent")


def reissue_token(agent: Agent, **values: Any) -> tuple[Agent, str]:
    """Give an agent a new token (the old one stops working) and update it with `values`; return it and the token."""
    token = crypto.new_token()
    return _crud.update(agent, token_hash=crypto.hash_token(token), **values), token


def create_with_token(name: str, **values: Any) -> tuple[Agent, str]:
    """Create an agent that authenticates with its own token; return it and the token (stored only hashed)."""
    token = crypto.new_token()
    return _crud.create(name=name, token_hash=crypto.hash_token(token), **values), token
