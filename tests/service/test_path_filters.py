"""`when: path` on real deliveries: the files a push or pull request changed pick the steps."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from circle.service.hook_url import hook_token
from circle.store import builds, configs, repos, scms, users
from fakehost import FakeHost, hosting

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
def github() -> Iterator[FakeHost]:
    """A fake GitHub Enterprise on loopback."""
    with hosting() as host:
        yield host


def _repo(github: FakeHost, full_name: str):
    """Activate `full_name` of the fake GitHub with the corpus hook secret and the pipeline above."""
    owner = users.create("owner", "pw", admin=True)
    scm = scms.create(kind="github", name="gh", url=github.url, owner_id=owner.id, token="t")
    repo = repos.create(scm_id=scm.id, full_name=full_name, owner=full_name.split("/")[0],
                        name=full_name.split("/")[1], clone_url=f"{github.url}/{full_name}.git",
                        hook_secret="topsecret")
    configs.create(repo_id=repo.id, name="default", content=PIPELINE)
    return repo


def _deliver(app, repo, name: str):
    """POST the corpus delivery `name` to the repo's hook and return its one build."""
    headers = json.loads((CORPUS / f"{name}.headers.json").read_text())
    body = (CORPUS / f"{name}.json").read_bytes()
    answer = app.test_client().post(f"/hook/{repo.scm_id}/{repo.id}?access_token={hook_token(repo)}",
                                    data=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    [made] = answer.get_json()["builds"]
    return builds.get(made["id"])


def test_a_push_runs_the_steps_whose_paths_it_changed(app, github):
    build = _deliver(app, _repo(github, "woodpecker-ci/woodpecker"), "github/push_wp")
    assert build.files == ["pipeline/shared/replace_secrets.go", "pipeline/shared/replace_secrets_test.go"]
    assert build.status == "pending", build.error
    assert [p.name for p in builds.list_procs(build.id) if p.ppid] == ["clone", "go", "always"]


def test_a_pull_requests_files_are_read_through_the_forge(app, github):
    """A pull request delivery lists no files: the forge's API gives them, and a failing API lets every step run."""
    repo = _repo(github, "bradrydzewski/drone-test-go")
    files = "/api/v3/repos/bradrydzewski/drone-test-go/pulls/1/files"
    github.on("GET", files, (200, {}, [{"filename": "docs/guide.md"}, {"filename": "README.md"}]))
    build = _deliver(app, repo, "github/pull_request_opened")
    assert build.files == ["README.md", "docs/guide.md"]
    assert [p.name for p in builds.list_procs(build.id) if p.ppid] == ["clone", "docs", "not-only-go", "always"]
    github.on("GET", files, (404, {}, {"message": "Not Found"}))
    unknown = _deliver(app, repo, "github/pull_request_synchronize")
    assert unknown.files is None
    assert [p.name for p in builds.list_procs(unknown.id) if p.ppid] == [
        "clone", "go", "docs", "not-only-go", "always"]
