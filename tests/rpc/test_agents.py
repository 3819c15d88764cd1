"""Agents that come and go: one row per name, online or offline, paused (drained) and resumed, deleted."""
from __future__ import annotations

import threading

import pytest

from api.helpers import Caller, make_caller
from circle.extensions import db
from circle.store import agents as agent_store
from rpc.conftest import Rpc


@pytest.fixture
def admin(app) -> Caller:
    """An administrator."""
    return make_caller("root", admin=True)


def _patch(client, admin: Caller, agent_id: int, body: dict):
    """PATCH /api/agents/{id} as an administrator."""
    return client.patch(f"/api/agents/{agent_id}", json=body, headers=admin.headers)


def test_re_registering_a_name_reuses_its_row(app):
    """A restarted agent (same name, shared secret) keeps its row; the token of its previous run stops working."""
    first = Rpc(app.test_client()).register("embedded-1", platform="linux/amd64")
    second = Rpc(app.test_client()).register("embedded-1", platform="linux/arm64")
    other = Rpc(app.test_client()).register("embedded-2")
    assert second.agent_id == first.agent_id != other.agent_id
    db.session.expire_all()
    assert agent_store.count() == 2 and agent_store.get(first.agent_id).platform == "linux/arm64"
    assert first.raw({"jsonrpc": "2.0", "method": "next", "params": {"poll": 1}, "id": 1}).status_code == 401
    assert second.ok("next", poll=1) is None


def test_agents_are_online_until_two_long_polls_pass_without_contact(app, admin):
    """An agent just registered is online; one whose last contact is older than two long-polls is offline."""
    Rpc(app.test_client()).register("fresh")
    agent_store.create(name="gone", last_contact=1_700_000_000)
    db.session.commit()
    listed = app.test_client().get("/api/agents", headers=admin.headers).get_json()
    assert {a["name"]: (a["online"], a["paused"]) for a in listed} == {"fresh": (True, False),
                                                                      "gone": (False, False)}


def test_a_paused_agent_finishes_its_task_and_takes_nothing_new(app, make_build, rpc, admin):
    """PATCH paused: the held task still runs to the end; `next` answers nothing until the agent is resumed."""
    make_build()
    task = rpc.ok("next", labels={})
    client = app.test_client()
    paused = _patch(client, admin, rpc.agent_id, {"paused": True})
    assert paused.status_code == 200, paused.get_json()
    assert paused.get_json()["paused"] is True and [t["id"] for t in paused.get_json()["tasks"]] != []
    make_build()
    rpc.ok("init", id=task["id"], state={"started": 1})
    rpc.ok("extend", id=task["id"])
    rpc.ok("done", id=task["id"], state={"finished": 2, "exit_code": 0})
    assert rpc.ok("next", labels={}, poll=1) is None
    assert _patch(client, admin, rpc.agent_id, {"paused": False}).get_json()["paused"] is False
    assert rpc.ok("next", labels={}, poll=1) is not None


def test_a_pause_ends_a_waiting_long_poll_without_a_task(app, make_build, rpc, admin):
    """An agent long-polling when it is paused is answered nothing, and a build queued after gets no agent."""
    answers: list = []
    poller = threading.Thread(target=lambda: answers.append(rpc.ok("next", labels={}, poll=60)))
    poller.start()
    while not app.extensions["circle"].queue.dispatcher.waiting():
        threading.Event().wait(0.01)
    assert _patch(app.test_client(), admin, rpc.agent_id, {"paused": True}).status_code == 200
    poller.join()
    make_build()
    assert answers == [None]
    assert rpc.ok("next", labels={}, poll=1) is None


def test_pausing_is_validated_and_for_administrators(app, rpc, admin):
    """A missing or non-boolean `paused` is a 400 naming the field; unknown ids 404; non-admins 403."""
    client = app.test_client()
    assert "paused" in _patch(client, admin, rpc.agent_id, {}).get_json()["fields"]
    assert "paused" in _patch(client, admin, rpc.agent_id, {"paused": "maybe"}).get_json()["fields"]
    assert _patch(client, admin, 4242, {"paused": True}).status_code == 404
    alice = make_caller("alice")
    assert client.patch(f"/api/agents/{rpc.agent_id}", json={"paused": True},
                        headers=alice.headers).status_code == 403
