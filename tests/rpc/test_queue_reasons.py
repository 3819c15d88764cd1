"""GET /api/queue says why each pending task waits, with real agents long-polling for work."""
from __future__ import annotations

import time

import pytest

from api.helpers import Caller, make_caller
from circle.extensions import db
from circle.store import agents as agent_store
from circle.store import repos as repo_store
from circle.store import tasks as task_store
from rpc.conftest import Rpc


@pytest.fixture
def admin(app) -> Caller:
    """An administrator."""
    return make_caller("root", admin=True)


def _waiting(app, admin: Caller) -> list[tuple[int, str]]:
    """Return (build number, reason) of each pending task GET /api/queue lists."""
    answer = app.test_client().get("/api/queue", headers=admin.headers)
    assert answer.status_code == 200, answer.get_json()
    return [(task["number"], task["reason"]) for task in answer.get_json()["tasks"]]


def _agent(app, name: str, **params) -> Rpc:
    """Register an agent offering linux/amd64 (unless told otherwise)."""
    return Rpc(app.test_client()).register(name, **{"platform": "linux/amd64", "capacity": 1, **params})


def test_a_task_no_agent_offers_the_labels_of(app, admin, make_build):
    """No agent at all, then agents that lack the platform or a label, then none offering both together."""
    build = make_build()
    assert _waiting(app, admin) == [(1, "no agent is registered")]
    [task] = task_store.list_by_build(build.id)
    task_store.update(task, labels={"platform": "linux/arm64", "gpu": "yes"})
    db.session.commit()
    _agent(app, "amd")
    assert _waiting(app, admin) == [(1, "no agent offers gpu=yes, platform=linux/arm64")]
    _agent(app, "arm", platform="linux/arm64")
    _agent(app, "gpu", labels={"gpu": "y*"})
    assert _waiting(app, admin) == [(1, "no agent offers all of gpu=yes, platform=linux/arm64")]
    [listed] = app.test_client().get("/api/queue", headers=admin.headers).get_json()["tasks"]
    assert listed == {"build": build.id, "repo": "acme/app", "number": 1, "labels": {"platform": "linux/arm64",
                      "gpu": "yes"}, "reason": "no agent offers all of gpu=yes, platform=linux/arm64"}


def test_all_matching_agents_busy(app, admin, make_build):
    """Three agents each hold a task: the fourth waits because all three are busy; an idle one that cannot run it
    does not count."""
    agents = [_agent(app, f"a{index}") for index in range(3)]
    _agent(app, "arm", platform="linux/arm64")
    for _ in range(4):
        make_build()
    for agent in agents:
        assert agent.ok("next", labels={}, poll=1) is not None
    assert _waiting(app, admin) == [(4, "all 3 matching agents busy")]


def test_repo_concurrency_limit(app, admin, repo, make_build):
    """A repo limited to 2 running tasks: its third task waits for the limit even with a free agent."""
    repo_store.update(repo, max_concurrent=2)
    db.session.commit()
    agent = _agent(app, "big", capacity=5)
    for _ in range(3):
        make_build()
    for _ in range(2):
        assert agent.ok("next", labels={}, poll=1) is not None
    assert agent.ok("next", labels={}, poll=1) is None
    assert _waiting(app, admin) == [(3, "repo concurrency limit 2 reached")]


def test_paused_and_offline_agents(app, admin, make_build):
    """The only matching agent paused, then offline; a free one that has not asked yet is said so."""
    agent = _agent(app, "solo")
    make_build()
    patched = app.test_client().patch(f"/api/agents/{agent.agent_id}", json={"paused": True}, headers=admin.headers)
    assert patched.status_code == 200
    assert _waiting(app, admin) == [(1, "agent paused")]
    agent_store.update(agent_store.get(agent.agent_id), paused=False, last_contact=1_700_000_000)
    db.session.commit()
    assert _waiting(app, admin) == [(1, "the 1 matching agent is offline")]
    agent_store.update(agent_store.get(agent.agent_id), last_contact=int(time.time()))
    db.session.commit()
    assert _waiting(app, admin) == [(1, "waiting for a free matching agent to ask for work")]


def test_a_pending_build_says_why_it_waits(app, admin, repo, make_build):
    """The build's API answer and its page carry the reason while it is pending, and drop it once it runs."""
    build = make_build()
    client = app.test_client()
    path = f"/repos/{repo.id}/builds/{build.number}"
    answer = client.get(f"/api{path}", headers=admin.headers).get_json()
    assert answer["waiting"] == [{"proc": "default", "labels": {"platform": "linux/amd64"},
                                  "reason": "no agent is registered"}]
    page = client.get(path, headers=admin.headers)
    assert page.status_code == 200 and "no agent is registered" in page.get_data(as_text=True)
    agent = _agent(app, "solo")
    task = agent.ok("next", labels={}, poll=1)
    agent.ok("init", id=task["id"], state={"started": 1})
    assert client.get(f"/api{path}", headers=admin.headers).get_json()["waiting"] == []
    assert '<ul class="waiting" id="build-waiting" hidden></ul>' in client.get(path, headers=admin.headers).get_data(
        as_text=True)


def test_a_workflow_waiting_for_another_names_it(app, admin, repo, make_build):
    """A second workflow that depends on the first waits for it by name, in the queue and on the running build."""
    from circle.hub import hub
    from circle.store import builds as build_store

    build = make_build()
    first = build_store.list_workflows(build.id)[0]
    second = build_store.create_procs([build_store.Proc(build_id=build.id, pid=9, name="deploy",
                                                        depends_on=[first.pid])])[0]
    hub().queue.push(build_id=build.id, proc_id=second.id, payload={"config": {}}, labels={}, timeout=1, waiting=True)
    db.session.commit()
    assert _waiting(app, admin) == [(1, "no agent is registered"), (1, "waiting for workflow default")]
    agent = _agent(app, "solo")
    task = agent.ok("next", labels={}, poll=1)
    agent.ok("init", id=task["id"], state={"started": 1})
    db.session.expire_all()
    client = app.test_client()
    path = f"/repos/{repo.id}/builds/{build.number}"
    answer = client.get(f"/api{path}", headers=admin.headers).get_json()
    assert answer["status"] == "running" and answer["waiting"] == [
        {"proc": "deploy", "labels": {}, "reason": "waiting for workflow default"}]
    page = client.get(path, headers=admin.headers).get_data(as_text=True)
    assert "waiting for workflow default" in page
