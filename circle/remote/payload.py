"""Reading webhook bodies: JSON decoding, tolerant lookups, header access and git ref names."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, TypedDict

from circle.errors import InvalidInput
from circle.limits import decode_json
from circle.remote.types import KIND_IGNORE, KIND_PULL_REQUEST, KIND_PULL_REQUEST_CLOSED

HEADS = "refs/heads/"
# More changed files than this (a huge push) are not kept: `when: path` then matches, as for unknown files.
MAX_CHANGED_FILES = 5000
# GitHub lists at most this many files of a pull request; as many may mean more.
MAX_LISTED_PR_FILES = 3000
# GitHub lists at most this many commits of a push; a push listing as many may have changed more files.
MAX_LISTED_COMMITS = 20
TAGS = "refs/tags/"


def load_json(body: bytes, forge: str) -> dict[str, Any]:
    """Decode a hook body into a JSON object (strict, at most MAX_DEPTH deep), or raise InvalidInput saying why not."""
    try:
        data = decode_json(body)
    except ValueError as err:
        raise InvalidInput(f"the {forge} hook body is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"the {forge} hook body is JSON but not an object")
    return data


def dig(data: Any, *keys: str | int, default: Any = None) -> Any:
    """Follow `keys` through nested dicts and lists; return `default` where the path ends early."""
    for key in keys:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return default
        if data is None:
            return default
    return data


def text(data: Any, *keys: str | int) -> str:
    """Return the string at `keys`, or "" when it is absent or not a scalar."""
    value = dig(data, *keys)
    if isinstance(value, (dict, list)) or value is None:
        return ""
    return str(value)


def first(*values: str) -> str:
    """Return the first non-empty string."""
    return next((v for v in values if v), "")


def need(data: dict[str, Any], forge: str, *keys: str) -> Any:
    """Return the value at `keys`, or raise InvalidInput naming the missing field."""
    value = dig(data, *keys)
    if value is None or value == "":
        raise InvalidInput(f"the {forge} hook body has no '{'.'.join(keys)}'")
    return value


def header(headers: Mapping[str, str], name: str) -> str:
    """Return a header value looked up case-insensitively ("" when absent)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), "")
    return value.strip()


def short_ref(ref: str) -> tuple[str, str]:
    """Split a full ref into (branch, tag); both are "" for other refs."""
    if ref.startswith(HEADS):
        return ref[len(HEADS) :], ""
    if ref.startswith(TAGS):
        return "", ref[len(TAGS) :]
    return "", ""


def split_author(raw: str) -> tuple[str, str]:
    """Split "Name <email>" into its name and email."""
    name, sep, rest = raw.partition("<")
    if not sep:
        return raw.strip(), ""
    return name.strip(), rest.split(">", 1)[0].strip()


class CommitFields(TypedDict):
    """The HookEvent fields read from a commit object."""

    message: str
    author: str
    author_name: str
    author_email: str


def commit_fields(commit: Any, sender: str) -> CommitFields:
    """Return the message and author fields of a GitHub-shaped commit object (Gitea and Gogs send it too)."""
    return {
        "message": text(commit, "message"),
        "author": first(text(commit, "author", "username"), sender),
        "author_name": text(commit, "author", "name"),
        "author_email": text(commit, "author", "email"),
    }


def file_list(names: Iterable[str]) -> list[str] | None:
    """Return changed file names sorted and unique, or None (unknown) when there are none or too many."""
    files = sorted({name for name in names if name})
    return files if 0 < len(files) <= MAX_CHANGED_FILES else None


def pushed_files(data: Any) -> list[str] | None:
    """Return the files a push delivery's commits[] add, modify or remove (GitHub, Gitea, Gogs, GitLab).

    None (unknown) when the delivery may list only some of the pushed commits: GitHub's cap, or a
    total (GitLab's total_commits_count, Gitea's total_commits) above the commits listed.
    """
    commits = dig(data, "commits", default=[])
    total = dig(data, "total_commits_count", default=dig(data, "total_commits", default=0))
    if not isinstance(commits, list) or len(commits) >= MAX_LISTED_COMMITS or (
            isinstance(total, int) and total > len(commits)):
        return None
    names: list[str] = []
    for commit in commits:
        for key in ("added", "modified", "removed"):
            listed = dig(commit, key, default=[])
            if isinstance(listed, list):
                names.extend(name for name in listed if isinstance(name, str))
    return file_list(names)


def pull_request_kind(action: str, number: int, build_actions: frozenset[str]) -> tuple[str, str]:
    """Return (kind, reason) of a GitHub-shaped pull_request delivery: build, closed, or ignored."""
    if action in build_actions:
        return KIND_PULL_REQUEST, ""
    if action == "closed":
        return KIND_PULL_REQUEST_CLOSED, f"pull request #{number} was closed: nothing to build"
    return KIND_IGNORE, f"pull request #{number} {action or 'changed'}: nothing to build"
