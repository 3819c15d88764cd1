"""A repo with a hook secret requires the forge signature: each corpus delivery unsigned, wrongly, rightly signed."""
from __future__ import annotations

import hashlib
import hmac
import json
import subprocess

import pytest
from service.deliveries import CORPUS, EXPECTED, SECRET
from service.deliveries import corpus_repo as _repo
from service.deliveries import post_delivery as _post

from circle.remote import ZERO_SHA
from circle.service.hooks import SIGNATURE_HEADERS
from circle.store import builds, repos


def _unsigned(headers: dict[str, str]) -> dict[str, str]:
    """Return the headers without any signature or token header."""
    names = {name.lower() for name in SIGNATURE_HEADERS}
    return {k: v for k, v in headers.items() if k.lower() not in names}


def _tampered(headers: dict[str, str]) -> dict[str, str]:
    """Return the headers with the last character of every signature or token changed."""
    names = {name.lower() for name in SIGNATURE_HEADERS}
    return {k: (v[:-1] + ("0" if v[-1] != "0" else "1") if k.lower() in names else v) for k, v in headers.items()}


def _assert_refused(app, repo, headers: dict[str, str], body: bytes, words: str) -> None:
    """The delivery answers 401 naming the problem and creates no build."""
    response = _post(app, repo, headers, body)
    assert response.status_code == 401, response.get_json()
    assert words in response.get_json()["message"]
    assert builds.count_by_repo(repo.id) == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_corpus_delivery_needs_its_signature(app, name):
    """Unsigned → 401, wrongly signed → 401 (no build either way); correctly signed → accepted as before."""
    forge = name.split("/")[0]
    headers = json.loads((CORPUS / name.replace(".json", ".headers.json")).read_text())
    body = (CORPUS / name).read_bytes()
    assert any(h.lower() in {s.lower() for s in SIGNATURE_HEADERS} for h in headers), "the corpus delivery is signed"
    repo = _repo(forge, "http://127.0.0.1:9", EXPECTED[name]["repo"])
    _assert_refused(app, repo, _unsigned(headers), body, "not signed")
    _assert_refused(app, repo, _tampered(headers), body, "does not match")
    response = _post(app, repo, headers, body)
    builds_made = builds.count_by_repo(repo.id)
    if response.status_code == 502:  # past authentication, the parser asks the (absent) forge for more
        assert "cannot reach" in response.get_json()["message"] and builds_made == 0
    elif EXPECTED[name]["kind"] in ("push", "tag", "pull_request"):
        assert response.status_code == 201 and builds_made == 1, response.get_json()
    else:
        assert response.get_json()["skipped"] and builds_made == 0


def test_the_local_post_receive_hook_needs_its_signature(app, tmp_path):
    """circle's own hook signs with X-Circle-Signature; without it or with a wrong one: 401, nothing built."""
    subprocess.run(["git", "init", "--quiet", "--bare", str(tmp_path / "solo.git")], check=True)
    repo = _repo("local", str(tmp_path), "solo")
    body = json.dumps({"repo": "solo", "ref": "refs/heads/main", "before": "a" * 40, "after": ZERO_SHA,
                       "pusher": "ada"}).encode()
    signed = {"Content-Type": "application/json", "X-Circle-Event": "push",
              "X-Circle-Signature": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
    _assert_refused(app, repo, _unsigned(signed), body, "not signed")
    _assert_refused(app, repo, _tampered(signed), body, "does not match")
    response = _post(app, repo, signed, body)
    assert response.status_code == 200 and "deleted" in response.get_json()["skipped"]


def test_a_repo_without_a_hook_secret_still_takes_the_url_token_alone(app):
    """Repos activated before secrets existed (hook_secret empty) keep working on the URL token."""
    repo = _repo("github", "http://127.0.0.1:9", "bradrydzewski/drone-test-go")
    repos.update(repo, hook_secret=None)
    headers = json.loads((CORPUS / "github/push_tag.headers.json").read_text())
    response = _post(app, repo, _unsigned(headers), (CORPUS / "github/push_tag.json").read_bytes())
    assert response.status_code == 201, response.get_json()
