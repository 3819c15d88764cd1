"""Plain `git push` to a local SCM repo triggers builds through its post-receive hook (SPEC §5)."""
from __future__ import annotations

import pytest

from e2e.harness import commit, git

pytestmark = pytest.mark.slow

PIPELINE = "pipeline:\n  build:\n    image: x\n    commands: [echo \"built $CI_COMMIT_REF at $CI_COMMIT_SHA\"]\n"


def _builds(server, repo_id: int) -> list[dict]:
    """Return the repo's builds, newest first."""
    return server.ok("GET", f"/api/repos/{repo_id}/builds")


def test_push_tag_exclusion_and_deletion(server, agent, activate):
    """Push builds and succeeds; an excluded branch builds nothing; a tag builds every config; deletion nothing."""
    repo_id, work = activate({".circle.yml": PIPELINE})
    config = server.ok("GET", f"/api/repos/{repo_id}/configs")[0]
    server.ok("PATCH", f"/api/repos/{repo_id}/configs/{config['id']}", json={"branches": {"exclude": ["wip/*"]}})

    sha = commit(work, {"src.txt": "one\n"}, "add src")
    (pushed,) = _builds(server, repo_id)
    assert (pushed["event"], pushed["branch"], pushed["commit"], pushed["message"]) == ("push", "main", sha, "add src")
    done = server.wait_build(repo_id, pushed["number"])
    assert done["status"] == "success" and f"built refs/heads/main at {sha}" in server.log_text(
        repo_id, pushed["number"], "build")

    commit(work, {"wip.txt": "draft\n"}, "draft work", branch="wip/idea")
    assert len(_builds(server, repo_id)) == 1

    server.ok("POST", f"/api/repos/{repo_id}/configs", json={"name": "release", "content": PIPELINE,
                                                             "branches": {"include": ["release/*"]}})
    git(work, "tag", "-a", "v1.0.0", "-m", "release one", sha)
    git(work, "push", "-q", "origin", "v1.0.0")
    tagged = [b for b in _builds(server, repo_id) if b["event"] == "tag"]
    assert len(tagged) == 2 and {b["ref"] for b in tagged} == {"refs/tags/v1.0.0"}
    assert {b["commit"] for b in tagged} == {sha}
    for build in tagged:
        assert server.wait_build(repo_id, build["number"])["status"] == "success"

    before = len(_builds(server, repo_id))
    git(work, "push", "-q", "origin", "--delete", "wip/idea")
    assert len(_builds(server, repo_id)) == before
