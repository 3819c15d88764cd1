"""Replay protection: a delivery id a repo already received builds nothing; old ids are forgotten in batches."""
from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time

import pytest
from service.deliveries import EXPECTED, SECRET, corpus_delivery, corpus_repo, post_delivery

from api.helpers import bare_repo
from circle.extensions import db
from circle.models import HookDelivery
from circle.service import reaper
from circle.service.hooks import DELIVERY_HEADERS
from circle.store import builds, hook_deliveries

# One building delivery of each forge, with the header that carries its delivery id.
PUSHES = {"github/push": "X-GitHub-Delivery", "gitea/push": "X-Gitea-Delivery", "gogs/push": "X-Gogs-Delivery",
          "gitlab/push": "X-Gitlab-Event-UUID", "bitbucket/push": "X-Request-UUID"}


def _repo_for(name: str):
    """The repo a corpus delivery names, on an SCM of its forge."""
    return corpus_repo(name.split("/")[0], "http://127.0.0.1:9", EXPECTED[f"{name}.json"]["repo"])


def _without_ids(headers: dict[str, str]) -> dict[str, str]:
    """Return the headers without any delivery id."""
    names = {name.lower() for name in DELIVERY_HEADERS}
    return {k: v for k, v in headers.items() if k.lower() not in names}


@pytest.mark.parametrize("name", sorted(PUSHES))
def test_a_replayed_delivery_builds_once(app, name):
    """The same delivery again answers 200 "duplicate delivery"; another id (or another repo) builds."""
    headers, body = corpus_delivery(name)
    assert headers.get(PUSHES[name]), "the corpus delivery carries its id"
    repo = _repo_for(name)
    first = post_delivery(app, repo, headers, body)
    assert first.status_code == 201, first.get_json()
    again = post_delivery(app, repo, headers, body)
    assert again.status_code == 200 and "duplicate delivery" in again.get_json()["skipped"]
    assert builds.count_by_repo(repo.id) == 1
    fresh = {k: ("another-delivery-id" if k.lower() in {n.lower() for n in DELIVERY_HEADERS} else v)
             for k, v in headers.items()}
    assert post_delivery(app, repo, fresh, body).status_code == 201
    assert builds.count_by_repo(repo.id) == 2


def test_the_same_id_for_another_repo_builds(app):
    headers, body = corpus_delivery("github/push")
    first, second = _repo_for("github/push"), _repo_for("github/push")
    assert post_delivery(app, first, headers, body).status_code == 201
    assert post_delivery(app, second, headers, body).status_code == 201


def test_deliveries_without_an_id_always_build(app):
    headers, body = corpus_delivery("github/push")
    repo = _repo_for("github/push")
    for _ in range(2):
        assert post_delivery(app, repo, _without_ids(headers), body).status_code == 201
    assert builds.count_by_repo(repo.id) == 2 and hook_deliveries.count() == 0


def test_a_refused_delivery_is_not_remembered(app):
    """A delivery refused before it is accepted (bad signature) leaves its id free for the genuine one."""
    headers, body = corpus_delivery("github/push")
    repo = _repo_for("github/push")
    forged = {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert post_delivery(app, repo, forged, body).status_code == 401
    assert hook_deliveries.count() == 0
    assert post_delivery(app, repo, headers, body).status_code == 201


def test_an_overlong_delivery_id_is_refused(app):
    headers, body = corpus_delivery("github/push")
    repo = _repo_for("github/push")
    answer = post_delivery(app, repo, {**headers, "X-GitHub-Delivery": "x" * 129}, body)
    assert answer.status_code == 400 and "X-GitHub-Delivery" in answer.get_json()["message"]
    assert builds.count_by_repo(repo.id) == 0


def test_a_replayed_local_hook_delivery_builds_once(app, tmp_path):
    """circle's post-receive hook names each update with X-Circle-Delivery; a replay of it builds nothing."""
    path = bare_repo(tmp_path / "git", "solo", commit=True)
    head = subprocess.run(["git", "-C", str(path), "rev-parse", "main"], check=True, capture_output=True,
                          text=True).stdout.strip()
    repo = corpus_repo("local", str(tmp_path / "git"), "solo")
    body = json.dumps({"repo": "solo", "ref": "refs/heads/main", "before": "0" * 40, "after": head}).encode()
    headers = {"X-Circle-Event": "push", "X-Circle-Delivery": "7d1bd3c4-0000-4000-8000-000000000001",
               "X-Circle-Signature": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
    assert post_delivery(app, repo, headers, body).status_code == 201
    assert "duplicate delivery" in post_delivery(app, repo, headers, body).get_json()["skipped"]
    assert builds.count_by_repo(repo.id) == 1


def test_prune_forgets_old_ids_in_batches(app, monkeypatch: pytest.MonkeyPatch):
    """Ids older than CIRCLE_HOOK_DELIVERY_RETENTION go, a few per transaction; after that the id builds again."""
    headers, body = corpus_delivery("github/push")
    repo = _repo_for("github/push")
    assert post_delivery(app, repo, headers, body).status_code == 201
    moment = int(time.time())
    db.session.add_all(HookDelivery(repo_id=repo.id, delivery_id=f"old-{number}", received_at=moment - 8 * 86400)
                       for number in range(5))
    db.session.commit()
    monkeypatch.setattr(reaper, "PRUNE_BATCH", 2)
    monkeypatch.setattr(reaper, "PRUNE_BATCHES", 2)
    assert reaper.prune_deliveries(moment) == 4  # two batches of two: the rest waits for the next round
    assert reaper.prune_deliveries(moment) == 1
    assert reaper.prune_deliveries(moment) == 0 and hook_deliveries.count() == 1
    assert reaper.prune_deliveries(moment + 7 * 86400 + 1) == 1
    assert post_delivery(app, repo, headers, body).status_code == 201
