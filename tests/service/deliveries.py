"""Helpers of the webhook tests: the recorded corpus, a repo on an SCM of any kind, posting to its hook URL."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

from circle.service.hook_url import hook_token
from circle.store import configs, repos, scms, users

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "webhooks"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
PIPELINE = "pipeline:\n  build:\n    image: busybox\n    commands: [echo hi]\n"
SECRET = "topsecret"  # the secret the corpus deliveries are signed with
_serial = itertools.count(1)


def corpus_repo(kind: str, url: str, full_name: str):
    """An active repo named full_name on a new SCM of `kind`, with the corpus secret and one config."""
    serial = next(_serial)
    owner = users.create(f"owner{serial}", "pw", admin=True)
    scm = scms.create(kind=kind, name=f"{kind}{serial}", url=url, owner_id=owner.id, token="t")
    owner_name, _, name = full_name.rpartition("/")
    repo = repos.create(scm_id=scm.id, full_name=full_name, owner=owner_name, name=name,
                        clone_url=f"{url}/{full_name}.git", hook_secret=SECRET)
    configs.create(repo_id=repo.id, name="default", content=PIPELINE)
    return repo


def post_delivery(app, repo, headers: dict[str, str], body: bytes):
    """POST a delivery to the repo's hook URL with a valid URL token."""
    return app.test_client().post(f"/hook/{repo.scm_id}/{repo.id}?access_token={hook_token(repo)}",
                                  data=body, headers=headers)


def corpus_delivery(name: str) -> tuple[dict[str, str], bytes]:
    """Return the headers and exact body of a corpus delivery ("github/push")."""
    return json.loads((CORPUS / f"{name}.headers.json").read_text()), (CORPUS / f"{name}.json").read_bytes()
