"""Issue 16 (SSRF): where the SCM of a user without admin rights may point, and what forge answers may show.

Checked at registration (400, nothing stored) and again on every connection the server makes for
the SCM (redirect hops included); an admin's SCM may point anywhere; error messages never carry the
forge's answer body, in the API answer or in the server log.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient

from api.helpers import Caller
from fakehost import FakeHost, hosting

GITEA = {"kind": "gitea", "name": "forge", "token": "tok"}
PUBLIC = "http://93.184.216.34"  # a public address; registering it connects to nothing
REPOS = "/api/v1/user/repos"
SECRET_BODY = "INTERNAL-ONLY-a8c3f1"

REFUSED = [
    ("http://127.0.0.1:3000", "is not a public address"),
    ("http://10.0.0.1", "is not a public address"),
    ("http://169.254.169.254/latest/meta-data", "is not a public address"),
    ("http://[::1]:3000", "is not a public address"),
    ("http://localhost:3000", "is not a public address"),
    ("file:///etc/passwd", "is not an http(s) URL"),
    ("gopher://127.0.0.1:70/_stats", "is not an http(s) URL"),
]


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


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_a_non_admin_cannot_register_or_move_an_scm_to_a_non_public_address(
        client: FlaskClient, alice: Caller, url: str, reason: str):
    answer = create(client, alice, url)
    assert answer.status_code == 400 and reason in answer.get_json()["message"]
    assert "\n" not in answer.get_json()["message"]
    assert client.get("/api/scms", headers=alice.headers).get_json() == []
    scm = create(client, alice, PUBLIC).get_json()
    moved = client.patch(f"/api/scms/{scm['id']}", headers=alice.headers, json={"url": url})
    assert moved.status_code == 400 and reason in moved.get_json()["message"]
    assert client.get(f"/api/scms/{scm['id']}", headers=alice.headers).get_json()["url"] == PUBLIC


def test_the_setting_lets_a_non_admin_reach_what_it_lists(client: FlaskClient, alice: Caller, forge: FakeHost,
                                                         scm_hosts: Callable[[str], None]):
    scm_hosts("192.168.0.0/16, 127.0.0.1")
    scm = create(client, alice, forge.url).get_json()
    assert listed(client, alice, scm).status_code == 200 and forge.made("GET", REPOS)
    scm_hosts("localhost")
    by_name = create(client, alice, forge.url.replace("127.0.0.1", "localhost"), name="named")
    assert by_name.status_code == 201
    scm_hosts("*")
    assert create(client, alice, "http://10.0.0.1", name="anything").status_code == 201


def test_an_admin_may_register_any_address(client: FlaskClient, admin: Caller, forge: FakeHost):
    scm = create(client, admin, forge.url).get_json()
    assert listed(client, admin, scm).status_code == 200 and forge.made("GET", REPOS)
    assert create(client, admin, "http://169.254.169.254", name="metadata").status_code == 201


def test_the_rule_follows_the_owner_also_when_an_admin_edits(client: FlaskClient, alice: Caller, admin: Caller):
    """Connections are checked by the owner's rights, so an admin cannot move alice's SCM where it would fail."""
    scm = create(client, alice, PUBLIC).get_json()
    moved = client.patch(f"/api/scms/{scm['id']}", headers=admin.headers, json={"url": "http://10.0.0.1"})
    assert moved.status_code == 400 and "10.0.0.1 is not a public address" in moved.get_json()["message"]


def test_an_address_allowed_at_registration_is_checked_again_on_every_connection(
        client: FlaskClient, alice: Caller, forge: FakeHost, scm_hosts: Callable[[str], None]):
    """What a name resolves to may change after registration (DNS rebinding): each connection checks again."""
    scm_hosts("127.0.0.1")
    scm = create(client, alice, forge.url).get_json()
    scm_hosts("")
    answer = listed(client, alice, scm)
    assert answer.status_code == 502 and "127.0.0.1 is not a public address" in answer.get_json()["message"]
    assert forge.calls == []


def test_a_redirect_to_a_refused_address_is_not_followed(client: FlaskClient, alice: Caller, forge: FakeHost,
                                                        scm_hosts: Callable[[str], None]):
    scm_hosts("127.0.0.1")
    with hosting("127.0.0.2") as inside:
        inside.on("GET", REPOS, (200, {}, []))
        forge.on("GET", REPOS, (302, {"Location": f"{inside.url}{REPOS}"}, b""))
        scm = create(client, alice, forge.url).get_json()
        answer = listed(client, alice, scm)
        assert answer.status_code == 502 and "127.0.0.2 is not a public address" in answer.get_json()["message"]
        assert inside.calls == []
        scm_hosts("127.0.0.0/8")  # the same redirect, allowed: it is followed
        assert listed(client, alice, scm).status_code == 200 and len(inside.calls) == 1


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
