"""Issue 16: error messages from a code host never carry its answer body, in the API answer or in the server log."""
from __future__ import annotations

import logging
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.helpers import Caller
from fakehost import FakeHost, hosting

GITEA = {"kind": "gitea", "name": "forge", "token": "tok"}
REPOS = "/api/v1/user/repos"
SECRET_BODY = "INTERNAL-ONLY-a8c3f1"


def create(client: FlaskClient, caller: Caller, url: str, **values: Any) -> Any:
    """POST a Gitea SCM at `url` and return the answer."""
    return client.post("/api/scms", headers=caller.headers, json={**GITEA, "url": url, **values})


def listed(client: FlaskClient, caller: Caller, scm: dict[str, Any]) -> Any:
    """GET the repositories of an SCM (the server calls the forge)."""
    return client.get(f"/api/scms/{scm['id']}/repos", headers=caller.headers)


@pytest.fixture
def forge() -> Any:
    """A fake Gitea on 127.0.0.1 listing no repositories."""
    with hosting() as host:
        host.on("GET", REPOS, (200, {}, []))
        yield host


@pytest.mark.parametrize(("status", "api_status"), [(400, 502), (401, 502), (403, 502), (404, 404), (500, 502)])
def test_a_forge_answer_body_never_reaches_the_api_or_the_log(
        client: FlaskClient, admin: Caller, forge: FakeHost, no_backoff: None, caplog: pytest.LogCaptureFixture,
        status: int, api_status: int):
    forge.on("GET", REPOS, (status, {}, {"message": SECRET_BODY}))
    scm = create(client, admin, forge.url).get_json()
    with caplog.at_level(logging.DEBUG):
        answer = listed(client, admin, scm)
    assert answer.status_code == api_status
    message = answer.get_json()["message"]
    assert str(status) in message and "127.0.0.1" in message
    assert SECRET_BODY not in answer.get_data(as_text=True) and SECRET_BODY not in caplog.text
