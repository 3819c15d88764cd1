"""Webhook bodies are decoded strictly: malformed, non-standard or too deeply nested JSON is a 400, never a crash."""
from __future__ import annotations

import pytest

from circle.errors import InvalidInput
from circle.limits import MAX_DEPTH
from circle.remote.payload import load_json


@pytest.mark.parametrize("body, words", [
    (b"{", "not valid JSON"), (b"\xff", "not valid JSON"), (b'{"a": NaN}', "NaN is not JSON"),
    (b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", f"deeper than {MAX_DEPTH} levels"),
    (b"[]", "not an object"),
])
def test_bad_hook_bodies_are_invalid_input(body: bytes, words: str):
    with pytest.raises(InvalidInput) as caught:
        load_json(body, "GitHub")
    assert caught.value.http_status == 400 and words in str(caught.value)


def test_a_hook_body_object_is_decoded():
    assert load_json(b'{"ref": "refs/heads/main", "n": 1.5}', "GitHub") == {"ref": "refs/heads/main", "n": 1.5}


def test_pushed_files_are_the_commits_added_modified_and_removed_paths():
    from circle.remote.payload import pushed_files

    commits = [{"added": ["b.txt"], "modified": ["a/x.go"], "removed": []},
               {"added": [], "modified": ["a/x.go", 7], "removed": ["old.md"]}]
    assert pushed_files({"commits": commits}) == ["a/x.go", "b.txt", "old.md"]
    assert pushed_files({"commits": []}) is None  # nothing listed: unknown, so `when: path` matches
    assert pushed_files({"commits": "x"}) is None and pushed_files({}) is None
    assert pushed_files({"commits": commits, "total_commits_count": 3}) is None  # GitLab listed only some
    assert pushed_files({"commits": commits, "total_commits": 2}) == ["a/x.go", "b.txt", "old.md"]
    assert pushed_files({"commits": [{"added": ["f"]}] * 20}) is None  # GitHub's cap: maybe more were pushed


@pytest.mark.parametrize("forge, files", [("github", ["README.md"]), ("gitea", ["README.md"]),
                                          ("gogs", ["README.md"]), ("gitlab", ["README.md"])])
def test_recorded_pushes_carry_their_changed_files(forge: str, files: list[str]):
    import json
    from pathlib import Path

    from circle.remote import get_remote

    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "webhooks" / forge
    headers = json.loads((corpus / "push.headers.json").read_text())
    event = get_remote(forge, "https://example.com").parse(headers, (corpus / "push.json").read_bytes())
    assert event.files == files and event.origin().files == files
