"""GET /metrics: Prometheus text with the installation's builds, queue and agents and the process's own counts."""
from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from api.helpers import Caller, add_build
from circle.extensions import db
from circle.hub import hub
from circle.models import Proc
from circle.store import builds

FAR = {"REMOTE_ADDR": "203.0.113.5"}


def _samples(client: FlaskClient, **kwargs) -> dict[tuple[str, tuple], float]:
    """Return (sample name, sorted labels) → value of a /metrics answer that is 200."""
    answer = client.get("/metrics", **kwargs)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.get_data(as_text=True)) for s in family.samples}


def _value(samples: dict, name: str, **labels: str) -> float:
    """Return one sample's value (0 when absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def token(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run with CIRCLE_METRICS_TOKEN set."""
    monkeypatch.setattr(hub(), "settings", replace(hub().settings, metrics_token="scrape-me"))
    return "scrape-me"


def test_builds_queue_and_agents_come_from_the_database(client: FlaskClient, admin: Caller, repo: dict):
    add_build(repo["id"], 1, status="success", event="push")
    add_build(repo["id"], 2, status="failure", event="push")
    add_build(repo["id"], 3, status="success", event="tag")
    samples = _samples(client)
    assert _value(samples, "circle_builds_total", status="success", event="push") == 1
    assert _value(samples, "circle_builds_total", status="failure", event="push") == 1
    assert _value(samples, "circle_builds_total", status="success", event="tag") == 1
    assert ("circle_queue_pending", ()) in samples and ("circle_queue_running", ()) in samples
    assert ("circle_agents", (("state", "online"),)) in samples


def test_agents_are_counted_paused_online_or_offline_as_their_page_shows_them(client: FlaskClient):
    from circle.models.types import now
    from circle.store import agents

    for name, last_contact, paused in (("up", now(), False), ("gone", 1_700_000_000, False),
                                       ("drained", now(), True), ("drained-gone", 1_700_000_000, True)):
        agents.create(name=name, last_contact=last_contact, paused=paused)
    db.session.commit()
    samples = _samples(client)
    assert {state: _value(samples, "circle_agents", state=state) for state in ("online", "offline", "paused")} == {
        "online": 1, "offline": 1, "paused": 2}


def test_requests_rpcs_webhooks_and_log_lines_are_counted(client: FlaskClient, admin: Caller, repo: dict,
                                                          app: Flask):
    before = _samples(client)
    assert client.get(f"/api/repos/{repo['id']}", headers=admin.headers).status_code == 200
    agent_secret = app.config["CIRCLE_SETTINGS"].agent_secret
    answer = client.post("/rpc", json={"jsonrpc": "2.0", "id": 1, "method": "register", "params": {"name": "m"}},
                         headers={"Authorization": f"Bearer {agent_secret}"})
    assert "result" in answer.get_json(), answer.get_json()
    client.post("/rpc", json={"jsonrpc": "2.0", "id": 2, "method": "nosuch", "params": {}},
                headers={"Authorization": f"Bearer {agent_secret}"})
    assert client.post("/hook/999999/1?access_token=x", data=b"{}").status_code == 401
    build = add_build(repo["id"], 1)
    _, step = builds.create_procs([Proc(build_id=build.id, pid=1, ppid=0, name="default"),
                                   Proc(build_id=build.id, pid=2, ppid=1, name="test")])
    hub().logs.write(step.id, [(0, 0, "héllo"), (1, 0, "world")])
    after = _samples(client)

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("circle_http_request_duration_seconds_count", route="/api/repos/<int:repo_id>", method="GET") == 1
    assert grew("circle_rpc_calls_total", method="register", result="ok") == 1
    assert grew("circle_rpc_calls_total", method="other", result="-32601") == 1
    assert grew("circle_webhook_deliveries_total", forge="unknown", result="unauthorized") == 1
    assert grew("circle_log_lines_total") == 2 and grew("circle_log_bytes_total") == len("héllo".encode()) + 5


def test_without_a_token_only_loopback_may_scrape(client: FlaskClient):
    far = client.get("/metrics", environ_base=FAR)
    assert far.status_code == 403
    assert far.get_json()["message"] == ("/metrics answers loopback clients only; set CIRCLE_METRICS_TOKEN to "
                                         "scrape it from elsewhere")


def test_with_a_token_every_scrape_must_bring_it(client: FlaskClient, token: str):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert _samples(client, headers={"Authorization": f"Bearer {token}"}, environ_base=FAR)


def test_the_sample_dashboard_uses_only_metrics_the_server_exports(client: FlaskClient):
    import json
    import re
    from pathlib import Path

    dashboard = json.loads((Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json").read_text())
    used = {re.sub(r"_(bucket|total|count|sum)$", "", name) for panel in dashboard["panels"]
            for target in panel["targets"] for name in re.findall(r"circle_\w+", target["expr"])}
    exported = {family.name for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True))}
    assert used and used <= exported, sorted(used - exported)


def test_retention_counts_what_it_deleted_and_the_database_size_is_scraped(client: FlaskClient, admin: Caller,
                                                                           repo: dict):
    from circle.models.types import now
    from circle.service import retention

    old = add_build(repo["id"], 1, created=now() - 40 * 86400)
    add_build(repo["id"], 2, created=now() - 40 * 86400)
    workflow = builds.create_procs([builds.Proc(build_id=old.id, pid=1, name="default")])[0]
    step = builds.create_procs([builds.Proc(build_id=old.id, pid=2, ppid=1, name="t")])[0]
    hub().logs.write(step.id, [(0, 0, "hello")])
    hub().logs.write(workflow.id, [(0, 0, "clone")])
    db.session.commit()
    before = _samples(client)
    retention.purge(policy=retention.Policy(days=30, keep_min=1, artifact_days=0))
    after = _samples(client)
    for name, freed in (("builds", 1), ("procs", 2), ("log_batches", 2)):
        metric = f"circle_retention_deleted_{name}_total"
        assert _value(after, metric) - _value(before, metric) == freed, name
    assert ("circle_retention_deleted_artifacts_total", ()) in after
    assert _value(after, "circle_database_size_bytes") > 0
