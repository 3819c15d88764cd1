"""GET /api/agents and GET /api/queue (administrators)."""
from __future__ import annotations

from flask.testing import FlaskClient

from api.helpers import Caller, add_build
from circle.models import Proc
from circle.store import agents, builds, tasks


def test_agents_with_their_leases(client: FlaskClient, admin: Caller, repo: dict):
    busy = agents.create(name="busy", platform="linux/arm64", backend="docker", capacity=2, labels={"gpu": "1"},
                         last_contact=1_700_000_000)
    agents.create(name="idle")
    build = add_build(repo["id"], 1, status="running")
    [proc] = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default")])
    leased = tasks.create(payload={}, build_id=build.id, proc_id=proc.id, state="running", agent_id=busy.id,
                          lease_deadline=5.0)
    tasks.create(payload={}, build_id=build.id, proc_id=proc.id)
    answer = client.get("/api/agents", headers=admin.headers)
    assert answer.status_code == 200 and answer.headers["X-Total-Count"] == "2"
    first, second = answer.get_json()
    assert {k: first[k] for k in ("name", "platform", "backend", "capacity", "labels", "last_contact")} == {
        "name": "busy", "platform": "linux/arm64", "backend": "docker", "capacity": 2, "labels": {"gpu": "1"},
        "last_contact": 1_700_000_000}
    assert first["tasks"] == [{"id": leased.id, "build_id": build.id, "proc_id": proc.id, "lease_deadline": 5.0}]
    assert (second["name"], second["tasks"]) == ("idle", [])
    queue = client.get("/api/queue", headers=admin.headers)
    assert queue.status_code == 200
    assert (queue.get_json()["pending"], queue.get_json()["running"]) == (1, 1)


def test_agents_and_queue_are_for_administrators(client: FlaskClient, alice: Caller):
    for route in ("/api/agents", "/api/queue"):
        assert client.get(route).status_code == 401
        assert client.get(route, headers=alice.headers).status_code == 403


def _rpc(client: FlaskClient, token: str, method: str, **params):
    """Call /rpc with a Bearer token."""
    return client.post("/rpc", json={"jsonrpc": "2.0", "method": method, "params": params, "id": 1},
                       headers={"Authorization": f"Bearer {token}"})


def test_an_agent_token_works_on_rpc_until_the_agent_is_deleted(client: FlaskClient, admin: Caller):
    """POST /api/agents answers a token once; /rpc accepts it as that agent; DELETE revokes it."""
    created = client.post("/api/agents", json={"name": "builder-7"}, headers=admin.headers)
    assert created.status_code == 201
    body = created.get_json()
    assert set(body) == {"id", "name", "token"} and body["name"] == "builder-7"
    listed = client.get("/api/agents", headers=admin.headers).get_data(as_text=True)
    assert body["token"] not in listed and agents.get(body["id"]).token_hash != body["token"]
    registered = _rpc(client, body["token"], "register", name="builder-7", platform="linux/arm64")
    assert registered.get_json()["result"] == {"agent_id": body["id"]}
    assert agents.get(body["id"]).platform == "linux/arm64"
    assert _rpc(client, body["token"], "extend", id="999").get_json()["error"]["code"] == -32001
    assert client.delete(f"/api/agents/{body['id']}", headers=admin.headers).status_code == 204
    assert _rpc(client, body["token"], "register", name="builder-7").status_code == 401


def test_creating_agents_is_for_administrators_and_validated(client: FlaskClient, admin: Caller, alice: Caller):
    """Non-admins get 403; a missing or empty name is a 400 naming the field; unknown ids 404."""
    assert client.post("/api/agents", json={"name": "x"}, headers=alice.headers).status_code == 403
    bad = client.post("/api/agents", json={"name": ""}, headers=admin.headers)
    assert bad.status_code == 400 and "name" in bad.get_json()["fields"]
    assert client.delete("/api/agents/4242", headers=admin.headers).status_code == 404
