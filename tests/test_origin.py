"""One origin from the hook parser to the build row to the compiler's metadata."""
from __future__ import annotations

from types import SimpleNamespace

from circle.compiler.metadata import BuildInfo, CommitInfo, Metadata
from circle.origin import Origin
from circle.remote import HookEvent

PR = HookEvent(kind="pull_request", event="pull_request", ref="refs/pull/7/head", branch="feature", sha="abc",
               message="Fix it", title="Fix it", author_name="Ann", author_email="ann@example.com", sender="bob",
               number=7, source_branch="feature", target_branch="main")


def test_a_pull_request_builds_its_target_branch_and_keeps_its_number():
    """The hook event's origin names the target branch, the PR number and the author's name."""
    origin = PR.origin()
    assert (origin.event, origin.branch, origin.pr_number, origin.commit) == ("pull_request", "main", 7, "abc")
    assert (origin.author, origin.email, origin.sender) == ("Ann", "ann@example.com", "bob")


def test_a_tag_event_builds_the_tag():
    """A tag event without a branch builds its tag name, which the ref also gives back."""
    origin = HookEvent(kind="tag", event="tag", ref="refs/tags/v1.0", tag="v1.0", sha="abc").origin()
    assert (origin.branch, origin.tag) == ("v1.0", "v1.0")


def test_columns_and_back():
    """An origin written to build columns reads back equal, params as strings."""
    origin = Origin(event="manual", ref="refs/heads/main", branch="main", commit="abc", params={"X": "1"})
    row = SimpleNamespace(**origin.columns(), number=3, status="pending")
    assert Origin.from_columns(row) == origin
    row.params["X"] = "2"
    assert origin.params == {"X": "1"}


def test_metadata_from_an_origin():
    """The compiler sees the origin's commit, event, tag and pull request."""
    origin = PR.origin()
    env = Metadata(commit=CommitInfo.from_origin(origin), build=BuildInfo.from_origin(origin, number=4)).environ()
    assert (env["CI_COMMIT_SHA"], env["CI_COMMIT_BRANCH"], env["CI_COMMIT_AUTHOR"]) == ("abc", "main", "Ann")
    assert (env["CI_BUILD_EVENT"], env["CI_PULL_REQUEST"], env["CI_BUILD_NUMBER"]) == ("pull_request", "7", "4")
    assert env["CI_COMMIT_REFSPEC"] == "feature:main"
