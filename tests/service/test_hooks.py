"""POST /hook with real recorded deliveries: authentication, the repo's switches, filters, gating, skips."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from circle.service.hook_url import hook_token
from circle.store import builds, configs, repos, scms, users

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "webhooks"
PIPELINE = "pipeline:\n  build:\n    image: busybox\n    commands: [echo hi]\n"


def _delivery(name: str) -> tuple[dict[str, str], bytes]:
    """Return the headers and exact body of a corpus delivery."""
    return json.loads((CORPUS / f"{name}.headers.json").read_text()), (CORPUS / f"{name}.json").read_bytes()


@pytest.fixture
def github_repo(app):
    """The repo of the GitHub corpus pushes, with the corpus hook secret and one stored config."""
    owner = users.create("owner", "pw", admin=True)
    scm = scms.create(kind="github", name="gh", url="http://127.0.0.1:9", owner_id=owner.id, token="t")
    repo = repos.create(scm_id=scm.id, full_name="bradrydzewski/drone-test-go", owner="bradrydzewski",
                        name="drone-test-go", clone_url="https://github.com/bradrydzewski/drone-test-go.git",
                        hook_secret="topsecret")
    configs.create(repo_id=repo.id, name="default", content=PIPELINE)
    return repo


def _post(app, repo, name: str, *, token: str | None = None, headers: dict | None = None, body: bytes | None = None):
    """POST a corpus delivery to the repo's hook URL."""
    sent_headers, sent_body = _delivery(name)
    sent_headers.update(headers or {})
    access = hook_token(repo) if token is None else token
    return app.test_client().post(f"/hook/{repo.scm_id}/{repo.id}?access_token={access}",
                                  data=sent_body if body is None else body, headers=sent_headers)


def test_tag_push_builds_every_config(app, github_repo):
    """A signed tag push creates one build per config with the tag's ref and sha."""
    configs.create(repo_id=github_repo.id, name="second", content=PIPELINE, branches_include=["nothing"])
    response = _post(app, github_repo, "github/push_tag")
    assert response.status_code == 201, response.get_json()
    created = response.get_json()["builds"]
    assert len(created) == 2
    assert {(b["event"], b["ref"], b["commit"]) for b in created} == {
        ("tag", "refs/tags/v0.0.1", "d2b75aa7797ec26b088fa2dd527e9d2c052fcedd")}


def test_branch_push_follows_the_branch_filter(app, github_repo):
    """A push builds the configs whose branch filter matches, and none when none does."""
    configs.update(configs.get_by_name(github_repo.id, "default"), branches_exclude=["feature-*"])
    skipped = _post(app, github_repo, "github/push_branch_create")
    assert skipped.status_code == 200 and "no config" in skipped.get_json()["skipped"]
    assert builds.count_by_repo(github_repo.id) == 0


def test_wrong_signature_or_token_is_401_and_builds_nothing(app, github_repo):
    """A tampered signature, a missing or wrong URL token: 401 and no build row."""
    assert _post(app, github_repo, "github/push_tag", headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
                 ).status_code == 401
    assert _post(app, github_repo, "github/push_tag", token="").status_code == 401
    assert _post(app, github_repo, "github/push_tag", token="f" * 64).status_code == 401
    _, body = _delivery("github/push_tag")
    assert _post(app, github_repo, "github/push_tag", body=body.replace(b"v0.0.1", b"v6.6.6")).status_code == 401
    assert builds.count_by_repo(github_repo.id) == 0


def test_pings_deletions_and_closed_prs_build_nothing(app, github_repo):
    """Deliveries that are valid but mean nothing answer 200 with the reason."""
    for name in ("github/delete_branch", "github/push_branch_delete", "github/pull_request_closed",
                 "github/create_tag"):
        response = _post(app, github_repo, name)
        assert response.status_code == 200 and response.get_json()["skipped"], name
    assert builds.count_by_repo(github_repo.id) == 0


def test_switches_and_gating(app, github_repo):
    """allow_tag off skips tags; a gated repo blocks pull request builds until approved."""
    repos.update(github_repo, allow_tag=False, gated=True)
    assert "allow_tag" in _post(app, github_repo, "github/push_tag").get_json()["skipped"]
    response = _post(app, github_repo, "github/pull_request_opened")
    assert response.status_code == 201
    (build,) = response.get_json()["builds"]
    assert build["status"] == "blocked" and build["event"] == "pull_request"
    assert build["branch"] == "bradrydzewski-patch-1"


def _signed(body: bytes) -> dict[str, str]:
    """Return GitHub signature headers for `body` under the corpus secret."""
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(b"topsecret", body, hashlib.sha256).hexdigest(),
            "X-Hub-Signature": "sha1=" + hmac.new(b"topsecret", body, hashlib.sha1).hexdigest()}


def test_skip_ci_in_the_message(app, github_repo):
    """[skip ci] in the head commit message builds nothing."""
    payload = json.loads(_delivery("github/push_tag")[1])
    payload["head_commit"]["message"] = "docs only [skip ci]"
    raw = json.dumps(payload).encode()
    response = _post(app, github_repo, "github/push_tag", body=raw, headers=_signed(raw))
    assert response.status_code == 200 and "skip" in response.get_json()["skipped"]


def test_bad_bodies(app, github_repo):
    """A 5 MB body is 413; malformed JSON is 400; a deactivated repo is 404 — none builds anything."""
    assert _post(app, github_repo, "github/push_tag", body=b"x" * (5 * 1024 * 1024)).status_code == 413
    malformed = _post(app, github_repo, "github/push_tag", body=b"{not json", headers=_signed(b"{not json"))
    assert malformed.status_code == 400 and malformed.get_json()["message"]
    repos.update(github_repo, active=False)
    assert _post(app, github_repo, "github/push_tag").status_code == 404
    assert builds.count_by_repo(github_repo.id) == 0
