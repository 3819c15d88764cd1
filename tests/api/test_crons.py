"""Cron jobs: the routes, and the builds a due job makes (event cron, once per due time)."""
from __future__ import annotations

import time

from flask.testing import FlaskClient

from api.helpers import Caller, grant
from circle.service import crons as cron_service
from circle.service import metadata
from circle.store import builds, configs, repos
from circle.store import crons as cron_store

NIGHTLY = {"name": "nightly", "schedule": "0 3 * * *", "branch": "main"}
# Steps for every event, for cron builds only, for the cron job "nightly" only, for pushes only, and for
# changes under src/ (which cron builds, like manual ones, always pass).
PIPELINE = """pipeline:
  always:
    image: alpine
    commands: [echo always]
  on-cron:
    image: alpine
    commands: [echo cron]
    when:
      event: cron
  on-nightly:
    image: alpine
    commands: [echo nightly]
    when:
      cron: [nightly]
  on-push:
    image: alpine
    commands: [echo push]
    when:
      event: push
  on-src:
    image: alpine
    commands: [echo src]
    when:
      path: "src/**"
"""


def crons_url(repo: dict, suffix: str = "") -> str:
    """Return the crons URL of a repo."""
    return f"/api/repos/{repo['id']}/crons{suffix}"


def test_cron_lifecycle(client: FlaskClient, admin: Caller, repo: dict):
    before = int(time.time())
    made = client.post(crons_url(repo), headers=admin.headers, json=NIGHTLY)
    assert made.status_code == 201, made.get_json()
    job = made.get_json()
    assert {k: job[k] for k in ("name", "schedule", "branch", "creator", "error")} == {**NIGHTLY, "creator": "root",
                                                                                      "error": ""}
    assert before < job["next"] <= before + 86400 and job["next"] % 86400 == 3 * 3600
    listed = client.get(crons_url(repo), headers=admin.headers)
    assert [c["name"] for c in listed.get_json()] == ["nightly"] and listed.headers["X-Total-Count"] == "1"
    changed = client.patch(crons_url(repo, f"/{job['id']}"), headers=admin.headers, json={"schedule": "@every 30s"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["schedule"] == "@every 30s" and changed.get_json()["next"] <= int(time.time()) + 31
    renamed = client.patch(crons_url(repo, f"/{job['id']}"), headers=admin.headers, json={"name": "hourly"})
    assert renamed.get_json()["name"] == "hourly" and renamed.get_json()["next"] == changed.get_json()["next"]
    assert client.get(crons_url(repo, f"/{job['id']}"), headers=admin.headers).get_json()["name"] == "hourly"
    assert client.delete(crons_url(repo, f"/{job['id']}"), headers=admin.headers).status_code == 204
    assert client.delete(crons_url(repo, f"/{job['id']}"), headers=admin.headers).status_code == 404


def test_cron_validation_and_names(client: FlaskClient, admin: Caller, repo: dict):
    for body, field in (({**NIGHTLY, "schedule": "61 * * * *"}, "schedule"), ({**NIGHTLY, "schedule": ""}, "schedule"),
                        ({**NIGHTLY, "schedule": "@every 0s"}, "schedule"), ({"schedule": "@daily"}, "name"),
                        ({**NIGHTLY, "name": "a/b"}, "name"), ({**NIGHTLY, "next": 5}, "next")):
        answer = client.post(crons_url(repo), headers=admin.headers, json=body)
        assert answer.status_code == 400 and field in answer.get_json()["fields"], (body, answer.get_json())
    assert "minute field allows 0-59" in client.post(crons_url(repo), headers=admin.headers, json={
        **NIGHTLY, "schedule": "61 * * * *"}).get_json()["fields"]["schedule"]
    assert client.post(crons_url(repo), headers=admin.headers, json=NIGHTLY).status_code == 201
    again = client.post(crons_url(repo), headers=admin.headers, json=NIGHTLY)
    assert again.status_code == 409 and "nightly" in again.get_json()["message"]
    other = client.post(crons_url(repo), headers=admin.headers, json={**NIGHTLY, "name": "weekly"}).get_json()
    clash = client.patch(crons_url(repo, f"/{other['id']}"), headers=admin.headers, json={"name": "nightly"})
    assert clash.status_code == 409


def test_reading_needs_pull_and_changing_needs_push(client: FlaskClient, alice: Caller, bob: Caller, admin: Caller,
                                                    repo: dict):
    job = client.post(crons_url(repo), headers=admin.headers, json=NIGHTLY).get_json()
    assert client.get(crons_url(repo), headers=bob.headers).status_code == 404
    grant(alice, repo["id"], "pull")
    assert client.get(crons_url(repo), headers=alice.headers).status_code == 200
    assert client.post(crons_url(repo), headers=alice.headers, json={**NIGHTLY, "name": "x"}).status_code == 403
    assert client.delete(crons_url(repo, f"/{job['id']}"), headers=alice.headers).status_code == 403
    grant(alice, repo["id"], "push")
    assert client.patch(crons_url(repo, f"/{job['id']}"), headers=alice.headers,
                        json={"branch": "dev"}).get_json()["branch"] == "dev"


def test_a_due_job_builds_once_with_event_cron(client: FlaskClient, admin: Caller, repo: dict):
    """Two rounds (as two servers would) at the due time make one build; the job moves to its next time."""
    config = configs.get_by_name(repo["id"], "default")
    configs.update(config, content=PIPELINE)
    job = client.post(crons_url(repo), headers=admin.headers, json=NIGHTLY).get_json()
    due = job["next"]
    assert cron_service.run_due(due - 1) == []
    [build] = cron_service.run_due(due)
    assert cron_service.run_due(due) == [] and cron_service.run_due(due + 60) == []
    assert cron_store.get(job["id"]).next == due + 86400
    shown = client.get(f"/api/repos/{repo['id']}/builds/{build.number}", headers=admin.headers).get_json()
    assert (shown["event"], shown["cron"], shown["branch"], shown["ref"], shown["sender"]) == (
        "cron", "nightly", "main", "refs/heads/main", "root")
    assert len(shown["commit"]) == 40 and shown["status"] == "pending", shown["error"]
    assert [p["name"] for p in shown["procs"] if p["ppid"]] == ["clone", "always", "on-cron", "on-nightly", "on-src"]
    env = metadata.for_build(repos.get(repo["id"]), builds.get(build.id)).environ()
    assert (env["CI_BUILD_EVENT"], env["CI_CRON"], env["DRONE_CRON"]) == ("cron", "nightly", "nightly")


def test_another_job_skips_the_steps_of_the_named_one(client: FlaskClient, admin: Caller, repo: dict):
    configs.update(configs.get_by_name(repo["id"], "default"), content=PIPELINE)
    job = client.post(crons_url(repo), headers=admin.headers, json={**NIGHTLY, "name": "weekly"}).get_json()
    [build] = cron_service.run_due(job["next"])
    steps = [p.name for p in builds.list_procs(build.id) if p.ppid]
    assert steps == ["clone", "always", "on-cron", "on-src"]


def test_missed_due_times_build_once_and_a_failure_is_kept_on_the_job(client: FlaskClient, admin: Caller,
                                                                      repo: dict):
    """A job overdue by many periods builds once and is next due after now; a missing branch says so on the job."""
    job = client.post(crons_url(repo), headers=admin.headers,
                      json={"name": "often", "schedule": "@every 10s"}).get_json()
    late = job["next"] + 95
    assert len(cron_service.run_due(late)) == 1
    assert cron_store.get(job["id"]).next == late + 10
    client.patch(crons_url(repo, f"/{job['id']}"), headers=admin.headers, json={"branch": "gone"})
    moved = cron_store.get(job["id"]).next
    assert cron_service.run_due(moved) == []
    shown = client.get(crons_url(repo, f"/{job['id']}"), headers=admin.headers).get_json()
    assert "no branch gone" in shown["error"] and shown["next"] == moved + 10
    client.patch(crons_url(repo, f"/{job['id']}"), headers=admin.headers, json={"branch": ""})
    repos.update(repos.get(repo["id"]), active=False)
    assert cron_service.run_due(moved + 10) == []
    assert "acme/app is not active" in cron_store.get(job["id"]).error
