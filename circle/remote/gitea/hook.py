"""Gitea webhook deliveries → HookEvent, and the X-Gitea-Signature check; Gogs reuses it.

Events: push (branches; a push of a tag is ignored because the create event that comes with it
builds the tag, and a zero `after` is a deletion), create (ref_type tag → a tag build; branch →
ignored), delete (ignored), pull_request (opened, reopened, synchronized build; closed is
pull_request_closed; other actions are ignored). Other events are ignored.
"""
from __future__ import annotations

from typing import Any, Mapping

from circle.errors import InvalidInput
from circle.remote import signature
from circle.remote.payload import (
    TAGS,
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
    KIND_IGNORE,
    KIND_PULL_REQUEST,
    KIND_PUSH,
    KIND_TAG,
    ZERO_SHA,
    HookEvent,
)

PR_BUILD_ACTIONS = frozenset({"opened", "reopened", "synchronized"})


def login(user: Any) -> str:
    """Return a Gitea/Gogs user object's login (older payloads only have username)."""
    return first(text(user, "login"), text(user, "username"))


class GiteaHook:
    """The parser for Gitea deliveries; subclasses change the headers (Gogs)."""

    forge = "Gitea"
    event_header = "X-Gitea-Event"
    # (header, prefix) tried in order; the first one present is checked.
    signature_headers: tuple[tuple[str, str], ...] = (
        ("X-Gitea-Signature", ""),
        ("X-Gogs-Signature", ""),
        ("X-Hub-Signature-256", "sha256="),
    )

    def parse(self, headers: Mapping[str, str], body: bytes) -> HookEvent:
        """Parse a delivery into a HookEvent of any kind."""
        name = header(headers, self.event_header)
        if not name:
            raise InvalidInput(f"a {self.forge} hook needs an {self.event_header} header")
        data = load_json(body, self.forge)
        parser = {
            "push": self.push,
            "create": self.create,
            "delete": self.delete,
            "pull_request": self.pull_request,
        }.get(name)
        if parser is None:
            return HookEvent(
                kind=KIND_IGNORE, reason=f"{self.forge} '{name}' events build nothing", **self.common(data)
            )
        return parser(data)

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        """Check the first signature header present (HMAC-SHA256 of the body)."""
        for name, prefix in self.signature_headers:
            given = header(headers, name)
            if given:
                return signature.matches_hmac(secret, body, given, prefix=prefix)
        return False

    def common(self, data: dict[str, Any]) -> dict[str, Any]:
        """Fields every delivery carries: repository and sender."""
        return {
            "repo": text(data, "repository", "full_name"),
            "clone_url": text(data, "repository", "clone_url"),
            "sender": login(dig(data, "sender")),
            "avatar": text(data, "sender", "avatar_url"),
        }

    def push(self, data: dict[str, Any]) -> HookEvent:
        """Parse a push event."""
        ref = need(data, self.forge, "ref")
        before, after = text(data, "before"), text(data, "after")
        branch, tag = short_ref(ref)
        base = {"ref": ref, "branch": branch, "tag": tag, "before": before, "after": after, **self.common(data)}
        if after == ZERO_SHA:
            return HookEvent(kind=KIND_IGNORE, reason=f"{ref} was deleted: nothing to build", **base)
        if tag:
            return HookEvent(kind=KIND_IGNORE, reason=f"push of tag {tag}: the create event builds it", **base)
        if not branch:
            return HookEvent(kind=KIND_IGNORE, reason=f"a push to {ref} is not a branch", **base)
        commits = dig(data, "commits", default=[])
        commit = (
            next((c for c in commits if c.get("id") == after), None)
            or dig(data, "head_commit")
            or (commits[0] if commits else {})
        )
        return HookEvent(
            kind=KIND_PUSH,
            event=KIND_PUSH,
            sha=after,
            link=first(text(data, "compare_url"), text(commit, "url")),
            files=pushed_files(data),
            **commit_fields(commit, base["sender"]),
            **base,
        )

    def create(self, data: dict[str, Any]) -> HookEvent:
        """Parse a create event: a new tag builds, a new branch does not (its push does)."""
        name = text(data, "ref")
        common = self.common(data)
        if text(data, "ref_type") != "tag":
            return HookEvent(kind=KIND_IGNORE, ref=name, reason=f"new branch {name}: its push event builds", **common)
        sha = text(data, "sha")
        return HookEvent(
            kind=KIND_TAG,
            event=KIND_TAG,
            ref=TAGS + name,
            tag=name,
            sha=sha,
            after=sha,
            author=common["sender"],
            link=text(data, "repository", "html_url"),
            **common,
        )

    def delete(self, data: dict[str, Any]) -> HookEvent:
        """Parse a delete event, which builds nothing."""
        name = text(data, "ref")
        kind = text(data, "ref_type") or "ref"
        return HookEvent(
            kind=KIND_IGNORE, ref=name, reason=f"{kind} {name} was deleted: nothing to build", **self.common(data)
        )

    def pull_request(self, data: dict[str, Any]) -> HookEvent:
        """Parse a pull_request event (Gogs' head_branch/base_branch/head_repo shape included)."""
        pr = need(data, self.forge, "pull_request")
        number = int(data.get("number") or pr.get("number") or 0)
        action = text(data, "action")
        kind, reason = pull_request_kind(action, number, PR_BUILD_ACTIONS)
        target = first(text(pr, "base", "ref"), text(pr, "base_branch"))
        title = text(pr, "title")
        return HookEvent(
            kind=kind,
            event=KIND_PULL_REQUEST,
            action=action,
            number=number,
            ref=f"refs/pull/{number}/head",
            branch=target,
            sha=text(pr, "head", "sha"),
            after=text(pr, "head", "sha"),
            base_sha=text(pr, "base", "sha"),
            source_branch=first(text(pr, "head", "ref"), text(pr, "head_branch")),
            target_branch=target,
            source_repo=first(text(pr, "head", "repo", "full_name"), text(pr, "head_repo", "full_name")),
            title=title,
            message=title,
            author=login(dig(pr, "user")),
            link=text(pr, "html_url"),
            reason=reason,
            **self.common(data),
        )
