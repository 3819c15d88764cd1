"""Reading builds: the list with filters, one build with its procs, logs and artifacts."""
from __future__ import annotations

from flask.testing import FlaskClient

from api.helpers import Caller, add_build, grant
from circle.hub import hub
from circle.models import Proc
from circle.store import builds, files

BUILD_KEYS = {"id", "number", "parent", "config_id", "event", "status", "ref", "branch", "commit", "message",
              "author", "sender", "error", "created", "started", "finished"}
PROC_KEYS = {"pid", "ppid", "name", "state", "exit_code", "started", "finished", "machine", "error"}


def builds_url(repo: dict, suffix: str = "") -> str:
    """Return the builds URL of a repo."""
    return f"/api/repos/{repo['id']}/builds{suffix}"


def with_procs(repo: dict) -> int:
    """Add build 1 with a workflow and two steps, a log and two artifacts; return its id."""
    build = add_build(repo["id"], 1, started=100, finished=160)
    procs = builds.create_procs([
        Proc(build_id=build.id, pid=1, ppid=0, name="default", state="success", started=100, finished=160,
             machine="agent-1"),
        Proc(build_id=build.id, pid=2, ppid=1, name="clone", state="success", started=101, finished=110),
        Proc(build_id=build.id, pid=3, ppid=1, name="test", state="failure", exit_code=2, error="exit 2"),
    ])
    hub().logs.write(procs[2].id, [(0, 0, "collecting\n"), (1, 1, "FAILED test_x"), (2, 3, "done\n")])
    files.create(build_id=build.id, proc_id=procs[2].id, pid=3, name="reports/junit.xml", mime="application/xml",
                 size=12, data=b"<testsuite/>")
    files.create(build_id=build.id, proc_id=procs[2].id, pid=3, name="coverage.txt", mime="text/plain",
                 size=3, data=b"87%")
    return build.id


def test_list_is_newest_first_with_filters_and_pages(client: FlaskClient, admin: Caller, repo: dict):
    add_build(repo["id"], 1, status="success", branch="main", event="push")
    add_build(repo["id"], 2, status="failure", branch="dev", event="push")
    add_build(repo["id"], 3, status="success", branch="main", event="tag", ref="refs/tags/v1")
    everything = client.get(builds_url(repo), headers=admin.headers)
    assert [b["number"] for b in everything.get_json()] == [3, 2, 1]
    assert everything.headers["X-Total-Count"] == "3"
    assert BUILD_KEYS <= set(everything.get_json()[0])
    assert isinstance(everything.get_json()[0]["created"], int)
    for query, numbers in (("branch=main", [3, 1]), ("status=failure", [2]), ("event=tag", [3]),
                           ("branch=main&event=push", [1]), ("branch=none", [])):
        answer = client.get(builds_url(repo, f"?{query}"), headers=admin.headers)
        assert [b["number"] for b in answer.get_json()] == numbers, query
        assert answer.headers["X-Total-Count"] == str(len(numbers)), query
    paged = client.get(builds_url(repo, "?per_page=2&page=2"), headers=admin.headers)
    assert [b["number"] for b in paged.get_json()] == [1] and paged.headers["X-Total-Count"] == "3"


def test_list_filters_are_validated(client: FlaskClient, admin: Caller, repo: dict):
    for query, field in (("status=green", "status"), ("event=merge", "event"), ("page=-1", "page")):
        answer = client.get(builds_url(repo, f"?{query}"), headers=admin.headers)
        assert answer.status_code == 400 and field in answer.get_json()["fields"], query


def test_one_build_with_its_procs(client: FlaskClient, admin: Caller, repo: dict):
    with_procs(repo)
    answer = client.get(builds_url(repo, "/1"), headers=admin.headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert BUILD_KEYS <= set(body) and body["number"] == 1 and (body["started"], body["finished"]) == (100, 160)
    assert [p["pid"] for p in body["procs"]] == [1, 2, 3]
    assert PROC_KEYS <= set(body["procs"][2])
    assert {k: body["procs"][2][k] for k in ("ppid", "name", "state", "exit_code", "error")} == {
        "ppid": 1, "name": "test", "state": "failure", "exit_code": 2, "error": "exit 2"}
    assert body["procs"][0]["machine"] == "agent-1"
    assert client.get(builds_url(repo, "/2"), headers=admin.headers).status_code == 404


def test_logs_as_json_and_as_text(client: FlaskClient, admin: Caller, repo: dict):
    with_procs(repo)
    lines = client.get(builds_url(repo, "/1/logs/3"), headers=admin.headers)
    assert lines.status_code == 200
    assert lines.get_json() == [{"pos": 0, "time": 0, "out": "collecting\n"},
                                {"pos": 1, "time": 1, "out": "FAILED test_x"},
                                {"pos": 2, "time": 3, "out": "done\n"}]
    text = client.get(builds_url(repo, "/1/logs/3?format=text"), headers=admin.headers)
    assert text.status_code == 200 and text.mimetype == "text/plain"
    assert text.get_data(as_text=True) == "collecting\nFAILED test_x\ndone\n"
    assert client.get(builds_url(repo, "/1/logs/2"), headers=admin.headers).get_json() == []
    assert client.get(builds_url(repo, "/1/logs/9"), headers=admin.headers).status_code == 404
    assert client.get(builds_url(repo, "/1/logs/3?format=xml"), headers=admin.headers).status_code == 400


def test_artifacts_list_and_download(client: FlaskClient, admin: Caller, repo: dict):
    with_procs(repo)
    listed = client.get(builds_url(repo, "/1/files"), headers=admin.headers)
    assert listed.headers["X-Total-Count"] == "2"
    junit, coverage = listed.get_json()
    assert {k: junit[k] for k in ("pid", "name", "mime", "size")} == {
        "pid": 3, "name": "reports/junit.xml", "mime": "application/xml", "size": 12}
    assert "data" not in junit
    download = client.get(builds_url(repo, f"/1/files/{junit['id']}"), headers=admin.headers)
    assert download.status_code == 200 and download.data == b"<testsuite/>"
    assert download.mimetype == "application/xml"
    assert download.headers["Content-Disposition"] == "attachment; filename=junit.xml"
    paged = client.get(builds_url(repo, "/1/files?per_page=1&page=2"), headers=admin.headers)
    assert [f["name"] for f in paged.get_json()] == ["coverage.txt"]
    assert client.get(builds_url(repo, "/1/files/999999"), headers=admin.headers).status_code == 404


def test_reading_needs_pull_permission(client: FlaskClient, alice: Caller, bob: Caller, repo: dict):
    build_id = with_procs(repo)
    file_id = files.list_by_build(build_id)[0].id
    routes = ("", "/1", "/1/logs/3", "/1/files", f"/1/files/{file_id}")
    for route in routes:
        assert client.get(builds_url(repo, route)).status_code == 401, route
        assert client.get(builds_url(repo, route), headers=bob.headers).status_code == 404, route
    grant(alice, repo["id"], "pull")
    for route in routes:
        assert client.get(builds_url(repo, route), headers=alice.headers).status_code == 200, route
    assert client.get("/api/repos/999999/builds", headers=alice.headers).status_code == 404
