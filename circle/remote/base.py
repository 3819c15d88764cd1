"""The Remote interface every SCM kind implements, and forge detection from hook headers.

A Remote is bound to one registered SCM (its URL and credentials). Calls a kind cannot offer
raise NotSupported. `hook()` turns a webhook delivery into a HookEvent or raises IgnoreEvent
(ping, deletion, closed pull request, unhandled event) or InvalidInput (malformed body, wrong
forge). `parse()` is the same without the ignore step: it returns every kind, including
"ping", "ignore" and "pull_request_closed", for callers that want to look at those.
"""
from __future__ import annotations

import abc
import logging
import re
from typing import ClassVar, Mapping
from urllib.parse import urlsplit

from circle.errors import IgnoreEvent, InvalidInput, NotSupported
from circle.remote.payload import header
from circle.remote.types import (
    Commit,
    HookEvent,
    Netrc,
    Perm,
    RemoteRepo,
    RemoteUser,
    Team,
)

log = logging.getLogger(__name__)

# The end of the path of every hook URL circle registers (circle.service.hook_url).
HOOK_PATH = re.compile(r"/hook/\d+/\d+$")

# Forge-specific headers first: Gitea also sends X-Gogs-* and X-GitHub-* copies, and current
# Gogs sends X-Github-Event too, so X-GitHub-Event alone says little.
FORGE_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Gitea-Event", "gitea"),
    ("X-Gogs-Event", "gogs"),
    ("X-Gitlab-Event", "gitlab"),
    ("X-Event-Key", "bitbucket"),
    ("X-Circle-Event", "local"),
    ("X-GitHub-Event", "github"),
)

def detect_forge(headers: Mapping[str, str]) -> str | None:
    """Name the forge that sent a hook, from its event header (None when no known header)."""
    for name, forge in FORGE_HEADERS:
        if header(headers, name):
            return forge
    return None


def map_state(kind: str, states: Mapping[str, str], state: str) -> str:
    """Translate a circle build state into a forge's status vocabulary."""
    try:
        return states[state]
    except KeyError:
        raise InvalidInput(f"'{state}' is not a build state {kind} statuses can show") from None


def _hook_path(url: str) -> str:
    """Return the `/hook/{scm_id}/{repo_id}` a URL's path ends with, or ""."""
    match = HOOK_PATH.search(urlsplit(url).path.rstrip("/"))
    return match.group(0) if match else ""


def same_hook(url: str, hook_url: str) -> bool:
    """Tell whether `url` is a hook circle installed for the repo of `hook_url`, on any host and with any token.

    Both paths must end with the same `/hook/{scm_id}/{repo_id}`, so a hook left behind by an old
    CIRCLE_HOST (or a path prefix) matches too.
    """
    path = _hook_path(hook_url)
    return bool(path) and _hook_path(url) == path


class Remote(abc.ABC):
    """A code host circle reads repositories from and reports statuses to."""

    kind: ClassVar[str] = ""
    requires_admin: ClassVar[bool] = False  # only admins may register this kind (it reads the server's disk)
    shows_statuses: ClassVar[bool] = True  # False: the host has no commit statuses, so none are sent

    def login(self, username: str, password: str) -> RemoteUser:
        """Check a username and password at the code host and return that account."""
        raise NotSupported(f"{self.kind} SCMs do not support password login")

    def auth(self, token: str, secret: str = "") -> str:
        """Return the login a token belongs to at the code host."""
        raise NotSupported(f"{self.kind} SCMs do not support token login")

    @abc.abstractmethod
    def user(self) -> RemoteUser:
        """Return the account this SCM's credentials belong to."""

    def teams(self) -> list[Team]:
        """List the organizations the SCM account belongs to."""
        raise NotSupported(f"{self.kind} SCMs have no teams")

    def team_perm(self, org: str) -> Perm:
        """Return the SCM account's permissions in an organization."""
        raise NotSupported(f"{self.kind} SCMs have no team permissions")

    @abc.abstractmethod
    def repo(self, full_name: str) -> RemoteRepo:
        """Fetch one repository."""

    @abc.abstractmethod
    def repos(self) -> list[RemoteRepo]:
        """List every repository the SCM account can see."""

    @abc.abstractmethod
    def perm(self, full_name: str) -> Perm:
        """Return the SCM account's permissions on a repository."""

    def file(self, full_name: str, sha: str, path: str) -> bytes:
        """Return a file's bytes at a commit; raise NotFound when it is missing."""
        return self.file_ref(full_name, sha, path)

    @abc.abstractmethod
    def file_ref(self, full_name: str, ref: str, path: str) -> bytes:
        """Return a file's bytes at a branch, tag or commit; raise NotFound when it is missing."""

    def dir(self, full_name: str, sha: str, path: str) -> list[str]:
        """Return the paths of the files directly inside a directory at a commit; raise NotFound when missing."""
        raise NotSupported(f"{self.kind} SCMs cannot list a directory")

    @abc.abstractmethod
    def branch_head(self, full_name: str, branch: str) -> str:
        """Return the sha a branch points at; raise NotFound when there is no such branch."""

    @abc.abstractmethod
    def commit(self, full_name: str, ref: str) -> Commit:
        """Return a commit's metadata, by sha (or a ref where the forge resolves one)."""

    @abc.abstractmethod
    def status(self, full_name: str, sha: str, state: str, context: str, link: str, description: str = "") -> None:
        """Report a build state on a commit, under `context` (one per config)."""

    def changed_files(self, full_name: str, number: int) -> list[str] | None:
        """Return the files pull request `number` changes; None when the forge cannot say (`when: path` passes)."""
        return None

    def netrc(self, full_name: str) -> Netrc | None:
        """Return clone credentials for a repository (None when cloning needs none)."""
        return None

    @abc.abstractmethod
    def activate(self, full_name: str, hook_url: str, secret: str) -> None:
        """Register the webhook signed with `secret`, replacing every hook of circle for this repo (see same_hook)."""

    @abc.abstractmethod
    def deactivate(self, full_name: str, hook_url: str) -> None:
        """Remove every hook circle installed for the repo of `hook_url`, on any host (see same_hook)."""

    @abc.abstractmethod
    def parse(self, headers: Mapping[str, str], body: bytes) -> HookEvent:
        """Parse a delivery into a HookEvent of any kind (including ping and ignore)."""

    @abc.abstractmethod
    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        """Check the forge's signature or token against the hook secret, in constant time.

        Returns False when `secret` is empty or the forge's signature header is missing: a hook
        registered by activate() always carries one.
        """

    def hook(self, headers: Mapping[str, str], body: bytes) -> HookEvent:
        """Parse a delivery into an event that builds, or raise IgnoreEvent / InvalidInput."""
        forge = detect_forge(headers)
        if forge is None:
            raise InvalidInput(f"the request carries no event header a {self.kind} hook sends")
        if forge != self.kind:
            raise InvalidInput(f"this delivery comes from {forge}, but the SCM is {self.kind}")
        event = self.parse(headers, body)
        if not event.builds:
            log.info("%s hook for %s ignored: %s", self.kind, event.repo or "?", event.reason)
            raise IgnoreEvent(event.reason or f"a {event.kind} event builds nothing")
        return event
