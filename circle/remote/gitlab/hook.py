"""GitLab webhook deliveries → HookEvent, and the X-Gitlab-Token check.

Dispatch is on the body's object_kind: push, tag_push, merge_request. A push whose `after` is
zero (or has no checkout_sha) is a deletion and builds nothing. Merge request actions open,
reopen and update-with-new-commits (oldrev present) build; merge and close are
pull_request_closed; anything else (approvals, title edits…) is ignored. For an annotated tag
`after` is the tag object and `sha` the tagged commit (checkout_sha).
"""
from __future__ import annotations

from typing import Any, Mapping

from circle.errors import InvalidInput
from circle.remote import signature
from circle.remote.payload import dig, first, header, load_json, need, pushed_files, short_ref, text
from circle.remote.types import (
    KIND_IGNORE,
    KIND_PULL_REQUEST,
    KIND_PULL_REQUEST_CLOSED,
    KIND_PUSH,
    KIND_TAG,
    ZERO_SHA,
    HookEvent,
)

FORGE = "GitLab"
MR_BUILD_ACTIONS = frozenset({"open", "reopen"})
MR_CLOSE_ACTIONS = frozenset({"merge", "close"})


def _project(data: dict[str, Any]) -> dict[str, Any]:
    """Fields of the project a delivery is about."""
    return {
        "repo": text(data, "project", "path_with_namespace"),
        "clone_url": first(text(data, "project", "git_http_url"), text(data, "repository", "git_http_url")),
    }


def _push(data: dict[str, Any]) -> HookEvent:
    """Parse a push or tag_push delivery."""
    ref = need(data, FORGE, "ref")
    before, after = text(data, "before"), text(data, "after")
    sha = first(text(data, "checkout_sha"), after)
    branch, tag = short_ref(ref)
    pusher = text(data, "user_username")
    base = {
        "ref": ref,
        "branch": branch,
        "tag": tag,
        "before": before,
        "after": after,
        "author": pusher,
        "sender": pusher,
        "avatar": text(data, "user_avatar"),
        **_project(data),
    }
    if after == ZERO_SHA or not text(data, "checkout_sha"):
        return HookEvent(kind=KIND_IGNORE, reason=f"{ref} was deleted: nothing to build", **base)
    if not branch and not tag:
        return HookEvent(kind=KIND_IGNORE, reason=f"a push to {ref} is neither a branch nor a tag", **base)
    commits = dig(data, "commits", default=[])
    commit: dict[str, Any] = next((c for c in commits if c.get("id") == sha), {})
    kind = KIND_TAG if tag else KIND_PUSH
    return HookEvent(
        kind=kind,
        event=kind,
        sha=sha,
        message=first(text(commit, "message"), text(data, "message")),
        author_name=first(text(commit, "author", "name"), text(data, "user_name")),
        author_email=first(text(commit, "author", "email"), text(data, "user_email")),
        link=first(text(commit, "url"), text(data, "project", "web_url")),
        files=pushed_files(data),
        **base,
    )


def _merge_request(data: dict[str, Any]) -> HookEvent:
    """Parse a merge_request delivery."""
    attrs = need(data, FORGE, "object_attributes")
    number = int(attrs.get("iid") or 0)
    action = text(attrs, "action")
    if action in MR_BUILD_ACTIONS or (action == "update" and text(attrs, "oldrev")):
        kind, reason = KIND_PULL_REQUEST, ""
    elif action in MR_CLOSE_ACTIONS:
        kind, reason = KIND_PULL_REQUEST_CLOSED, f"merge request !{number} was {action}d: nothing to build"
    else:
        kind, reason = (
            KIND_IGNORE,
            f"merge request !{number} {action or 'changed'} without new commits: nothing to build",
        )
    sha = text(attrs, "last_commit", "id")
    login = text(data, "user", "username")
    return HookEvent(
        kind=kind,
        event=KIND_PULL_REQUEST,
        action=action,
        number=number,
        ref=f"refs/merge-requests/{number}/head",
        branch=text(attrs, "target_branch"),
        sha=sha,
        after=sha,
        base_sha=text(attrs, "diff_refs", "base_sha"),
        source_branch=text(attrs, "source_branch"),
        target_branch=text(attrs, "target_branch"),
        source_repo=text(attrs, "source", "path_with_namespace"),
        title=text(attrs, "title"),
        message=first(text(attrs, "last_commit", "message"), text(attrs, "title")),
        author=login,
        author_name=text(attrs, "last_commit", "author", "name"),
        author_email=text(attrs, "last_commit", "author", "email"),
        avatar=text(data, "user", "avatar_url"),
        sender=login,
        link=text(attrs, "url"),
        reason=reason,
        **_project(data),
    )


def parse(headers: Mapping[str, str], body: bytes) -> HookEvent:
    """Parse a GitLab delivery into a HookEvent of any kind."""
    name = header(headers, "X-Gitlab-Event")
    if not name:
        raise InvalidInput("a GitLab hook needs an X-Gitlab-Event header")
    data = load_json(body, FORGE)
    kind = text(data, "object_kind")
    if kind in ("push", "tag_push"):
        return _push(data)
    if kind == "merge_request":
        return _merge_request(data)
    return HookEvent(
        kind=KIND_IGNORE, reason=f"GitLab '{name}' ({kind or 'no object_kind'}) builds nothing", **_project(data)
    )


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """Check that X-Gitlab-Token equals the hook secret."""
    return signature.matches_token(secret, header(headers, "X-Gitlab-Token"))
