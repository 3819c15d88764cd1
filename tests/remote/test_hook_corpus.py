"""Every recorded webhook of the shared corpus parses to the values expected.json lists."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from circle.errors import IgnoreEvent, InvalidInput
from circle.remote import detect_forge, get_remote

CORPUS = Path(os.environ.get("CIRCLE_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus")) / "webhooks"
EXPECTED = json.loads((CORPUS / "expected.json").read_text()) if (CORPUS / "expected.json").exists() else {}
SECRET = "topsecret"  # the corpus signs every payload with it (MANIFEST.md)
URLS = {
    "github": "https://github.com",
    "gitlab": "https://gitlab.com",
    "gitea": "https://try.gitea.io",
    "gogs": "https://try.gogs.io",
    "bitbucket": "https://bitbucket.org",
}

pytestmark = pytest.mark.skipif(not EXPECTED, reason=f"webhook corpus not found at {CORPUS}")


def load(name: str) -> tuple[str, dict[str, str], bytes]:
    """Return (forge, headers, body) of a corpus payload."""
    path = CORPUS / name
    headers = json.loads(path.with_name(path.stem + ".headers.json").read_text())
    return name.split("/")[0], headers, path.read_bytes()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_payload_parses_to_expected_values(name: str) -> None:
    forge, headers, body = load(name)
    assert detect_forge(headers) == forge
    remote = get_remote(forge, URLS[forge])
    event = remote.parse(headers, body)
    for field, value in EXPECTED[name].items():
        if field == "note":
            continue
        assert getattr(event, field) == value, f"{name}: {field}"
    if not event.builds:
        with pytest.raises(IgnoreEvent):
            remote.hook(headers, body)
    elif event.sha:  # Gogs PRs lack a sha: their hook() asks the API (test_gogs.py)
        assert remote.hook(headers, body) == event


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_signature_verifies_and_a_changed_body_does_not(name: str) -> None:
    forge, headers, body = load(name)
    remote = get_remote(forge, URLS[forge])
    assert remote.verify(headers, body, SECRET)
    assert not remote.verify(headers, body, "another-secret")
    if forge != "gitlab":  # GitLab sends the secret itself, not a signature of the body
        assert not remote.verify(headers, body.replace(b"}", b" }", 1), SECRET)
    assert not remote.verify(headers, body, "")


def test_unsigned_delivery_is_rejected() -> None:
    forge, headers, body = load("github/push.json")
    unsigned = {k: v for k, v in headers.items() if "Signature" not in k}
    assert not get_remote(forge, URLS[forge]).verify(unsigned, body, SECRET)


def test_gitlab_token_must_equal_the_secret() -> None:
    forge, headers, body = load("gitlab/push.json")
    remote = get_remote(forge, URLS[forge])
    assert not remote.verify({**headers, "X-Gitlab-Token": "topsecreT"}, body, SECRET)
    assert not remote.verify({k: v for k, v in headers.items() if k != "X-Gitlab-Token"}, body, SECRET)


def test_gitea_headers_win_over_their_github_copies() -> None:
    _, headers, body = load("gitea/push.json")
    assert "X-GitHub-Event" in headers
    assert detect_forge(headers) == "gitea"
    with pytest.raises(InvalidInput, match="comes from gitea"):
        get_remote("github", URLS["github"]).hook(headers, body)
