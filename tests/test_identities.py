"""Agents' identities: a token is looked up once, then answered from memory until the agent changes anywhere."""
from __future__ import annotations

import threading
import time
import uuid
from typing import Callable

import pytest
from sqlalchemy import event

from circle.dispatch import Dispatcher
from circle.errors import NotFound
from circle.extensions import db
from circle.hub import hub
from circle.identities import TOPIC, AgentIdentities
from circle.pubsub import OVERFLOW, PubSub, create_pubsub
from circle.store import agents
from dbtools import REDIS_URL, require_redis
from rpc.conftest import Rpc


def _statements(action: Callable[[], object]) -> list[str]:
    """Run `action` and return the SQL statements it executed."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _until(condition: Callable[[], bool], seconds: float = 10) -> bool:
    """Wait until `condition()` holds; return whether it did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _gone(identities: AgentIdentities, token: str) -> bool:
    """Tell whether `token` no longer names an agent."""
    try:
        identities.resolve(token)
    except NotFound:
        return True
    return False


def test_a_known_token_is_answered_without_the_database(app):
    """The first call of an agent reads its row; the next ones read nothing."""
    agent, token = agents.create_with_token("quiet", platform="linux/amd64", labels={"gpu": "1"})
    db.session.commit()
    first = hub().identities.resolve(token)
    assert (first.id, first.name, first.platform, first.labels) == (agent.id, "quiet", "linux/amd64", {"gpu": "1"})
    assert _statements(lambda: hub().identities.resolve(token)) == []
    with pytest.raises(NotFound):
        hub().identities.resolve("not-a-token")


def test_registering_again_changes_what_the_next_call_sees(app):
    """An agent that registers with new labels is matched by them at once, not after the cache ages."""
    caller = Rpc(app.test_client()).register("relabeled", platform="linux/amd64", backend="dummy", labels={})
    assert hub().identities.resolve(caller.token).labels == {}
    caller.ok("register", name="relabeled", platform="linux/arm64", backend="dummy", labels={"zone": "b"})
    identity = hub().identities.resolve(caller.token)
    assert (identity.platform, identity.labels) == ("linux/arm64", {"zone": "b"})


def test_a_gap_in_the_messages_forgets_every_agent(app):
    """After lost messages (OVERFLOW) nothing cached is trusted: a deleted agent's token stops working."""
    agent, token = agents.create_with_token("gap")
    db.session.commit()
    hub().identities.resolve(token)
    agents.delete(agent)  # deleted without the message, as if it was lost
    db.session.commit()
    assert hub().identities.resolve(token).id == agent.id
    hub().pubsub.fan_out(TOPIC, OVERFLOW, 0)
    assert _gone(hub().identities, token)


def test_an_identity_ages_out_even_when_no_message_comes(app):
    """The ttl bounds how long a token of an agent deleted elsewhere could live without a bus."""
    identities = AgentIdentities(PubSub(), ttl=0.2)
    agent, token = agents.create_with_token("aging")
    db.session.commit()
    identities.resolve(token)
    agents.delete(agent)
    db.session.commit()
    assert identities.resolve(token).id == agent.id
    assert _until(lambda: _gone(identities, token))
    identities.close()


def test_deleting_an_agent_in_one_process_stops_its_token_in_another(app):
    """The forget crosses a shared bus: another server process drops the agent at once."""
    require_redis("the identity bus test")
    url = f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}channel=circle_test_{uuid.uuid4().hex[:12]}"
    here, there = create_pubsub(url), create_pubsub(url)
    this_process, other_process = AgentIdentities(here), AgentIdentities(there)
    try:
        agent, token = agents.create_with_token("elsewhere")
        db.session.commit()
        other_process.resolve(token)
        agents.delete(agent)
        this_process.forget(agent.id)
        db.session.commit()
        assert _until(lambda: _gone(other_process, token))
    finally:
        this_process.close()
        other_process.close()
        here.close()
        there.close()


def test_a_change_in_one_process_ends_the_agents_long_polls_in_another(app):
    """Pausing or resuming (any forget) crosses the bus and answers the agent's waiting long-polls at once there."""
    require_redis("the identity bus test")
    url = f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}channel=circle_test_{uuid.uuid4().hex[:12]}"
    here, there = create_pubsub(url), create_pubsub(url)
    dispatcher = Dispatcher(handover_seconds=10, refresh_seconds=5)
    this_process, other_process = AgentIdentities(here), AgentIdentities(there, on_change=dispatcher.let_go)
    try:
        agent, _ = agents.create_with_token("parked")
        bystander, _ = agents.create_with_token("bystander")
        db.session.commit()
        polls = [threading.Thread(target=dispatcher.park, args=(who.id, 120), daemon=True)
                 for who in (agent, bystander)]
        for poll in polls:
            poll.start()
        assert _until(lambda: len(dispatcher._parked) == 2)
        agents.update(agent, paused=False)
        this_process.forget(agent.id)
        db.session.commit()
        polls[0].join(60)
        assert not polls[0].is_alive() and polls[1].is_alive()
        dispatcher.let_go(bystander.id)
        polls[1].join(60)
    finally:
        this_process.close()
        other_process.close()
        here.close()
        there.close()
