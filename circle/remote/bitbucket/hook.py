"""Bitbucket Cloud webhook deliveries → HookEvent, and the X-Hub-Signature check.

Events (X-Event-Key): repo:push (its first change that creates or moves a ref; a branch or tag
whose `new` is null was deleted and builds nothing), pullrequest:created and pullrequest:updated
build, pullrequest:fulfilled (merged) and pullrequest:rejected (declined) are
pull_request_closed. Bitbucket sends no clone URL (it is the web link + ".git"), only 12-character
commit hashes in pull request payloads, and no pull request ref: circle uses the source branch
(refs/heads/<source_branch>, in `source_repo` for forks).
"""
from __future__ import annotations

from typing import Any, Mapping

from circle.errors import InvalidInput
from circle.remote import signature
from circle.remote.bitbucket.convert import login
from circle.remote.payload import (
    HEADS,
    TAGS,
    dig,
    header,
    load_json,
    need,
    split_author,
    text,
)
from circle.remote.types import (
    KIND_IGNORE,
    KIND_PULL_REQUEST,
    KIND_PULL_REQUEST_CLOSED,
    KIND_PUSH,
    KIND_TAG,
    HookEvent,
)

FORGE = "Bitbucket"
PR_BUILD = frozenset({"pullrequest:created", "pullrequest:updated"})
PR_CLOSED = frozenset({"pullrequest:fulfilled", "pullrequest:rejected"})


def _common(data: dict[str, Any]) -> dict[str, Any]:
    """Fields every delivery carries: repository and actor."""
    html = text(data, "repository", "links", "html", "href")
    return {
        "repo": text(data, "repository", "full_name"),
        "clone_url": html + ".git" if html else "",
        "sender": login(dig(data, "actor")),
        "avatar": text(data, "actor", "links", "avatar", "href"),
    }


def _ref(change_side: dict[str, Any]) -> tuple[str, str, str]:
    """Return (ref, branch, tag) of a change's `new` or `old` side."""
    name = text(change_side, "name")
    if text(change_side, "type") == "tag":
        return TAGS + name, "", name
    return HEADS + name, name, ""


def _push(data: dict[str, Any]) -> HookEvent:
    """Parse repo:push."""
    changes = need(data, FORGE, "push", "changes")
    change = next((c for c in changes if c.get("new")), changes[0] if changes else {})
    new, old = dig(change, "new"), dig(change, "old")
    common = _common(data)
    before = text(old, "target", "hash")
    if not new:
        ref, branch, tag = _ref(old or {})
        return HookEvent(
            kind=KIND_IGNORE,
            ref=ref,
            branch=branch,
            tag=tag,
            before=before,
            reason=f"{ref} was deleted: nothing to build",
            **common,
        )
    ref, branch, tag = _ref(new)
    target = dig(new, "target", default={})
    name, email = split_author(text(target, "author", "raw"))
    kind = KIND_TAG if tag else KIND_PUSH
    return HookEvent(
        kind=kind,
        event=kind,
        ref=ref,
        branch=branch,
        tag=tag,
        sha=text(target, "hash"),
        after=text(target, "hash"),
        before=before,
        message=text(target, "message"),
        author=login(dig(target, "author", "user")) or name,
        author_name=name,
        author_email=email,
        link=text(target, "links", "html", "href"),
        **common,
    )


def _pull_request(data: dict[str, Any], key: str) -> HookEvent:
    """Parse pullrequest:* events."""
    pr = need(data, FORGE, "pullrequest")
    number = int(pr.get("id") or 0)
    if key in PR_BUILD:
        kind, reason = KIND_PULL_REQUEST, ""
    else:
        kind, reason = KIND_PULL_REQUEST_CLOSED, f"pull request #{number} was closed: nothing to build"
    source, target = text(pr, "source", "branch", "name"), text(pr, "destination", "branch", "name")
    sha = text(pr, "source", "commit", "hash")
    title = text(pr, "title")
    return HookEvent(
        kind=kind,
        event=KIND_PULL_REQUEST,
        action=key,
        number=number,
        ref=HEADS + source,
        branch=target,
        sha=sha,
        after=sha,
        base_sha=text(pr, "destination", "commit", "hash"),
        source_branch=source,
        target_branch=target,
        source_repo=text(pr, "source", "repository", "full_name"),
        title=title,
        message=title,
        author=login(dig(pr, "author")),
        link=text(pr, "links", "html", "href"),
        reason=reason,
        **_common(data),
    )


def parse(headers: Mapping[str, str], body: bytes) -> HookEvent:
    """Parse a Bitbucket Cloud delivery into a HookEvent of any kind."""
    key = header(headers, "X-Event-Key")
    if not key:
        raise InvalidInput("a Bitbucket hook needs an X-Event-Key header")
    data = load_json(body, FORGE)
    if key == "repo:push":
        return _push(data)
    if key in PR_BUILD or key in PR_CLOSED:
        return _pull_request(data, key)
    return HookEvent(kind=KIND_IGNORE, reason=f"Bitbucket '{key}' events build nothing", **_common(data))


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """Check X-Hub-Signature (sha256=<hex HMAC of the body>)."""
    return signature.matches_hmac(secret, body, header(headers, "X-Hub-Signature"), prefix="sha256=")
