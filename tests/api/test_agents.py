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
    leased = tasks.create(build_id=build.id, proc_id=proc.id, state="running", agent_id=busy.id, lease_deadline=5.0)
    tasks.create(build_id=build.id, proc_id=proc.id)
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
