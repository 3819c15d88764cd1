"""GitHub webhook deliveries → HookEvent, and their X-Hub-Signature(-256) check.

Events: push (branches and tags; a deletion is ignored), pull_request (opened, synchronize,
reopened build; closed is pull_request_closed; other actions are ignored), deployment, ping.
create and delete events are ignored: the push event that comes with them carries the change.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from circle.errors import InvalidInput
from circle.remote import signature
from circle.remote.payload import (
    commit_fields,
    dig,
    first,
    header,
    load_json,
    need,
    pull_request_kind,
    pushed_files,
    short_ref,
    text,
)
from circle.remote.types import (
    KIND_DEPLOYMENT,
    KIND_IGNORE,
    KIND_PING,
    KIND_PULL_REQUEST,
    KIND_PUSH,
    KIND_TAG,
    ZERO_SHA,
    HookEvent,
)

FORGE = "GitHub"
PR_BUILD_ACTIONS = frozenset({"opened", "synchronize", "reopened"})


def _common(data: dict[str, Any]) -> dict[str, Any]:
    """Fields every GitHub delivery carries: repository and sender."""
    return {
        "repo": text(data, "repository", "full_name"),
        "clone_url": text(data, "repository", "clone_url"),
        "sender": text(data, "sender", "login"),
        "avatar": text(data, "sender", "avatar_url"),
    }


def _head_commit(data: dict[str, Any], after: str) -> dict[str, Any]:
    """Return the pushed head commit: head_commit, else the listed commit whose id is `after`."""
    head = dig(data, "head_commit")
    if isinstance(head, dict):
        return head
    commits = dig(data, "commits", default=[])
    return next((c for c in commits if c.get("id") == after), commits[-1] if commits else {})


def _push(data: dict[str, Any]) -> HookEvent:
    """Parse a push event (branch or tag)."""
    ref = need(data, FORGE, "ref")
    before, after = text(data, "before"), text(data, "after")
    branch, tag = short_ref(ref)
    base = {"ref": ref, "branch": branch, "tag": tag, "before": before, "after": after, **_common(data)}
    if data.get("deleted") or after == ZERO_SHA:
        return HookEvent(kind=KIND_IGNORE, reason=f"{ref} was deleted: nothing to build", **base)
    if not branch and not tag:
        return HookEvent(kind=KIND_IGNORE, reason=f"a push to {ref} is neither a branch nor a tag", **base)
    commit = _head_commit(data, after)
    kind = KIND_TAG if tag else KIND_PUSH
    return HookEvent(
        kind=kind,
        event=kind,
        sha=after,
        link=first(text(data, "compare"), text(commit, "url")),
        files=pushed_files(data),
        **commit_fields(commit, base["sender"]),
        **base,
    )


def _pull_request(data: dict[str, Any]) -> HookEvent:
    """Parse a pull_request event."""
    pr = need(data, FORGE, "pull_request")
    number = int(data.get("number") or pr.get("number") or 0)
    action = text(data, "action")
    kind, reason = pull_request_kind(action, number, PR_BUILD_ACTIONS)
    title = text(pr, "title")
    return HookEvent(
        kind=kind,
        event=KIND_PULL_REQUEST,
        action=action,
        number=number,
        ref=f"refs/pull/{number}/head",
        branch=text(pr, "base", "ref"),
        sha=text(pr, "head", "sha"),
        after=text(pr, "head", "sha"),
        base_sha=text(pr, "base", "sha"),
        source_branch=text(pr, "head", "ref"),
        target_branch=text(pr, "base", "ref"),
        source_repo=text(pr, "head", "repo", "full_name"),
        title=title,
        message=title,
        author=text(pr, "user", "login"),
        link=text(pr, "html_url"),
        reason=reason,
        **{**_common(data), "avatar": text(pr, "user", "avatar_url")},
    )


def _deployment(data: dict[str, Any]) -> HookEvent:
    """Parse a deployment event."""
    deployment = need(data, FORGE, "deployment")
    ref = text(deployment, "ref")
    if ref and not ref.startswith("refs/"):
        ref = "refs/heads/" + ref
    branch, tag = short_ref(ref)
    return HookEvent(
        kind=KIND_DEPLOYMENT,
        event=KIND_DEPLOYMENT,
        ref=ref,
        branch=branch,
        tag=tag,
        sha=text(deployment, "sha"),
        after=text(deployment, "sha"),
        message=text(deployment, "description"),
        author=text(deployment, "creator", "login"),
        deploy_to=text(deployment, "environment"),
        link=text(deployment, "url"),
        **_common(data),
    )


def _ping(data: dict[str, Any]) -> HookEvent:
    """Parse the ping GitHub sends when a hook is created."""
    return HookEvent(kind=KIND_PING, reason="ping: the hook works; nothing to build", **_common(data))


def _ref_event(name: str) -> Callable[[dict[str, Any]], HookEvent]:
    """Make a parser for create/delete events, which build nothing."""

    def parse(data: dict[str, Any]) -> HookEvent:
        ref = text(data, "ref")
        reason = f"GitHub '{name}' of {text(data, 'ref_type') or 'ref'} {ref}: the push event carries the change"
        return HookEvent(kind=KIND_IGNORE, ref=ref, reason=reason, **_common(data))

    return parse


PARSERS: dict[str, Callable[[dict[str, Any]], HookEvent]] = {
    "push": _push,
    "pull_request": _pull_request,
    "deployment": _deployment,
    "ping": _ping,
    "create": _ref_event("create"),
    "delete": _ref_event("delete"),
}


def parse(headers: Mapping[str, str], body: bytes) -> HookEvent:
    """Parse a GitHub delivery into a HookEvent of any kind."""
    name = header(headers, "X-GitHub-Event")
    if not name:
        raise InvalidInput("a GitHub hook needs an X-GitHub-Event header")
    data = load_json(body, FORGE)
    parser = PARSERS.get(name)
    if parser is None:
        return HookEvent(kind=KIND_IGNORE, reason=f"GitHub '{name}' events build nothing", **_common(data))
    return parser(data)


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """Check X-Hub-Signature-256 (or, without it, the SHA-1 X-Hub-Signature)."""
    sha256 = header(headers, "X-Hub-Signature-256")
    if sha256:
        return signature.matches_hmac(secret, body, sha256, prefix="sha256=")
    return signature.matches_hmac(secret, body, header(headers, "X-Hub-Signature"), prefix="sha1=", algorithm="sha1")
