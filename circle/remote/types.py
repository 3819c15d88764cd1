"""Value objects a Remote returns: repositories, permissions, users, commits and hook events.

They are plain dataclasses with `to_json()` / `from_json()`; unknown keys are ignored on input.
Nothing here knows HTTP, git or a database.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

from circle import states
from circle.origin import Origin

T = TypeVar("T", bound="Value")

ZERO_SHA = "0" * 40

# What a parsed hook asks for. The first five are HookEvent.kind values that hook() returns;
# "ping" and "ignore" only come out of parse() (hook() raises IgnoreEvent for them).
KIND_PUSH = states.PUSH
KIND_TAG = states.TAG
KIND_PULL_REQUEST = states.PULL_REQUEST
KIND_PULL_REQUEST_CLOSED = "pull_request_closed"
KIND_DEPLOYMENT = states.DEPLOYMENT
KIND_PING = "ping"
KIND_IGNORE = "ignore"

# hook() answers these kinds; every other kind raises IgnoreEvent.
BUILD_KINDS = frozenset({KIND_PUSH, KIND_TAG, KIND_PULL_REQUEST, KIND_DEPLOYMENT})


class Value:
    """Mixin giving a dataclass `to_json` and a key-tolerant `from_json`."""

    def to_json(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_json(cls: type[T], data: dict[str, Any]) -> T:
        """Build the value from a dict, ignoring keys that are not fields."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class RemoteRepo(Value):
    """A repository as the code host lists it."""

    full_name: str
    owner: str
    name: str
    clone_url: str
    default_branch: str = "main"
    private: bool = True
    link: str = ""


@dataclass
class Perm(Value):
    """What the SCM's account may do on a repository or organization."""

    pull: bool = False
    push: bool = False
    admin: bool = False


@dataclass
class Netrc(Value):
    """Credentials for cloning over HTTP(S), in .netrc terms."""

    machine: str
    login: str
    password: str


@dataclass
class RemoteUser(Value):
    """An account at the code host."""

    login: str
    email: str = ""
    avatar: str = ""


@dataclass
class Team(Value):
    """An organization (GitHub/Gitea/Gogs), group (GitLab) or workspace (Bitbucket)."""

    login: str
    avatar: str = ""


@dataclass
class Commit(Value):
    """One commit's metadata, for manual builds."""

    sha: str
    message: str = ""
    author: str = ""
    author_name: str = ""
    author_email: str = ""
    avatar: str = ""
    link: str = ""


@dataclass
class HookEvent(Value):
    """A webhook delivery in circle's terms.

    `kind` is what to do (see KIND_*); `event` is the build event it becomes (push, tag,
    pull_request, deployment; "" for ping/ignore). `sha` is the commit to check out and
    `after` the ref's new value as the forge reported it (they differ for GitLab annotated tags,
    and `after` is ZERO_SHA on a deletion). For pull requests `message` is the PR title unless
    the forge sends the head commit's message (GitLab). `reason` says why a non-build kind builds
    nothing.
    """

    kind: str
    event: str = ""
    ref: str = ""
    branch: str = ""
    tag: str = ""
    sha: str = ""
    before: str = ""
    after: str = ""
    message: str = ""
    author: str = ""
    author_name: str = ""
    author_email: str = ""
    avatar: str = ""
    sender: str = ""
    repo: str = ""
    clone_url: str = ""
    link: str = ""
    number: int = 0
    action: str = ""
    source_branch: str = ""
    target_branch: str = ""
    source_repo: str = ""
    base_sha: str = ""
    title: str = ""
    deploy_to: str = ""
    reason: str = ""
    files: list[str] | None = None  # the files a push changed, when the forge says (None: unknown)

    @property
    def builds(self) -> bool:
        """Tell whether this event should create builds."""
        return self.kind in BUILD_KINDS

    def origin(self) -> Origin:
        """Return the origin of the builds this event creates (a pull request builds its target branch)."""
        branch = self.target_branch if self.event == KIND_PULL_REQUEST else (self.branch or self.tag)
        return Origin(
            event=self.event, ref=self.ref, branch=branch, commit=self.sha, message=self.message,
            title=self.title, author=self.author or self.author_name, email=self.author_email,
            avatar=self.avatar, link=self.link, sender=self.sender, deploy_to=self.deploy_to,
            pr_number=self.number, source_branch=self.source_branch, target_branch=self.target_branch,
            files=None if self.files is None else list(self.files))
