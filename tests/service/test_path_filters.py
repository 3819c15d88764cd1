"""`when: path` on real deliveries: a push's changed files (commits[].added/modified/removed) pick the steps."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from circle.service.hook_url import hook_token
from circle.store import builds, configs, repos, scms, users

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "webhooks"
# github/push_wp changes pipeline/shared/replace_secrets.go and pipeline/shared/replace_secrets_test.go.
PIPELINE = """steps:
  go:
    image: golang
    commands: [go test ./pipeline/...]
    when:
      path: "pipeline/**"
  docs:
    image: alpine
    commands: [make docs]
    when:
      path: ["docs/**", "*.md"]
  not-only-go:
    image: alpine
    commands: [echo more than go changed]
    when:
      path:
        exclude: ["**/*.go"]
  always:
    image: alpine
    commands: [echo always]
"""


@pytest.fixture
def woodpecker_repo(app):
    """The repo of the corpus delivery github/push_wp, with its hook secret and the pipeline above."""
    owner = users.create("owner", "pw", admin=True)
    scm = scms.create(kind="github", name="gh", url="http://127.0.0.1:9", owner_id=owner.id, token="t")
    repo = repos.create(scm_id=scm.id, full_name="woodpecker-ci/woodpecker", owner="woodpecker-ci",
                        name="woodpecker", clone_url="https://github.com/woodpecker-ci/woodpecker.git",
                        hook_secret="topsecret")
    configs.create(repo_id=repo.id, name="default", content=PIPELINE)
    return repo


def test_a_push_runs_the_steps_whose_paths_it_changed(app, woodpecker_repo):
    headers = json.loads((CORPUS / "github/push_wp.headers.json").read_text())
    body = (CORPUS / "github/push_wp.json").read_bytes()
    answer = app.test_client().post(f"/hook/{woodpecker_repo.scm_id}/{woodpecker_repo.id}"
                                    f"?access_token={hook_token(woodpecker_repo)}", data=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    [made] = answer.get_json()["builds"]
    build = builds.get(made["id"])
    assert build.files == ["pipeline/shared/replace_secrets.go", "pipeline/shared/replace_secrets_test.go"]
    assert build.status == "pending", build.error
    assert [p.name for p in builds.list_procs(build.id) if p.ppid] == ["clone", "go", "always"]
