"""POST /api/upload/{token}: the token fits one build only, and expires after the build finished."""
from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient

from api.helpers import add_build
from circle.models.types import now
from circle.service.uploads import GRACE, upload_token
from circle.store import builds, files


def _upload(client: FlaskClient, token: str) -> int:
    """Upload a small file with `token`; return the status."""
    answer = client.post(f"/api/upload/{token}", data={"file": (io.BytesIO(b"hi"), "a.txt")},
                         content_type="multipart/form-data")
    return answer.status_code


def test_a_running_builds_token_uploads_to_it(client: FlaskClient, repo: dict[str, Any]):
    build = add_build(repo["id"], 1, status="running")
    assert _upload(client, upload_token(build)) == 201
    assert [f.name for f in files.list_by_build(build.id)] == ["a.txt"]


def test_a_forged_token_is_404(client: FlaskClient, repo: dict[str, Any]):
    build = add_build(repo["id"], 1, status="running")
    assert _upload(client, f"{build.id}.forged") == 404
    assert _upload(client, "nonsense") == 404


def test_the_token_of_a_deleted_build_does_not_fit_a_new_build_with_its_id(client: FlaskClient,
                                                                           repo: dict[str, Any]):
    old = add_build(repo["id"], 1, status="running", created=now() - 100)
    token, build_id = upload_token(old), old.id
    builds.delete(old)
    new = add_build(repo["id"], 2, status="running", id=build_id)
    assert new.id == build_id
    assert _upload(client, token) == 404
    assert files.list_by_build(new.id) == []


def test_the_token_expires_after_the_build_finished(client: FlaskClient, repo: dict[str, Any]):
    build = add_build(repo["id"], 1, status="success", finished=now() - 10)
    assert _upload(client, upload_token(build)) == 201
    builds.update(build, finished=now() - GRACE - 1)
    assert _upload(client, upload_token(build)) == 403
