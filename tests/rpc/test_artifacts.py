"""upload stores an artifact with its SHA-256; past CIRCLE_ARTIFACT_MAX_BUILD_BYTES or …_REPO_BYTES it is refused
(TOO_LARGE), nothing is stored, the step's log says which limit, and the build goes on."""
from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

import pytest

from circle.extensions import db
from circle.hub import hub
from circle.rpc.protocol import TOO_LARGE
from circle.store import builds as build_store
from circle.store import files as file_store
from circle.store import logs as log_store


def _file(name: str, data: bytes) -> dict[str, str]:
    """Return the upload `file` of step `build` (pid 3)."""
    return {"proc": "build", "name": name, "data": base64.b64encode(data).decode()}


@pytest.fixture
def limits(app, monkeypatch: pytest.MonkeyPatch):
    """Return a function that sets the two artifact limits for the rest of the test."""
    def set_limits(build: int = 0, repo: int = 0) -> None:
        monkeypatch.setattr(hub(), "settings", replace(hub().settings, artifact_max_build_bytes=build,
                                                       artifact_max_repo_bytes=repo))
    return set_limits


def test_an_upload_records_its_step_size_and_sha256(app, repo, make_build, rpc):
    build = make_build()
    task = rpc.ok("next", labels={})
    stored = file_store.get(rpc.ok("upload", id=task["id"], file=_file("dist/app.tar", b"bytes of app")))
    assert (stored.build_id, stored.pid, stored.size) == (build.id, 3, 12)
    assert stored.sha256 == hashlib.sha256(b"bytes of app").hexdigest()


def test_an_upload_past_the_build_limit_is_refused_and_logged_and_the_build_goes_on(app, repo, make_build, rpc,
                                                                                   limits):
    limits(build=10)
    build = make_build()
    task = rpc.ok("next", labels={})
    rpc.ok("log", id=task["id"], lines=[{"proc": "build", "pos": 0, "out": "built"}])
    rpc.ok("upload", id=task["id"], file=_file("a.bin", b"123456"))
    answer = rpc("upload", id=task["id"], file=_file("b.bin", b"12345"))
    message = ("b.bin (5 bytes) is not stored: build 1 already holds 6 bytes of artifacts and "
               "CIRCLE_ARTIFACT_MAX_BUILD_BYTES allows 10")
    assert answer["error"] == {"code": TOO_LARGE, "message": message}
    assert [f.name for f in file_store.list_by_build(build.id)] == ["a.bin"]
    rpc.ok("upload", id=task["id"], file=_file("c.bin", b"1234"))  # what still fits is stored
    db.session.expire_all()
    proc = build_store.get_proc_by_pid(build.id, 3)
    assert [(pos, out) for pos, _, out in log_store.list_page(proc.id, limit=10)] == [(0, "built"),
                                                                                      (1, f"error: {message}")]
    rpc.ok("update", id=task["id"], state={"proc": "build", "exited": True, "exit_code": 0})
    rpc.ok("done", id=task["id"], state={"finished": 1})
    db.session.expire_all()
    assert build_store.get(build.id).status == "success"


def test_the_repo_limit_counts_the_files_of_all_its_builds(app, repo, make_build, rpc, limits):
    limits(repo=8)
    make_build()
    first = rpc.ok("next", labels={})
    rpc.ok("upload", id=first["id"], file=_file("a.bin", b"123456"))
    rpc.ok("done", id=first["id"], state={"finished": 1})
    second_build = make_build()
    second = rpc.ok("next", labels={})
    answer = rpc("upload", id=second["id"], file=_file("b.bin", b"123"))
    assert answer["error"]["code"] == TOO_LARGE
    assert answer["error"]["message"] == ("b.bin (3 bytes) is not stored: the repo's builds already hold 6 bytes of "
                                          "artifacts and CIRCLE_ARTIFACT_MAX_REPO_BYTES allows 8")
    assert file_store.list_by_build(second_build.id) == []
