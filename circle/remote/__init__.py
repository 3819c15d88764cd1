"""Code hosts (SCMs): one package per kind, each implementing the Remote interface.

    get_remote(kind, url, username=, password=, token=, hosts=, **options) -> Remote
    detect_forge(headers) -> "gitea" | "gogs" | "gitlab" | "bitbucket" | "local" | "github" | None

Kinds: local (bare repositories on the server's disk), github, gitlab, gitea, gogs, bitbucket.
Results are the dataclasses of circle.remote.types; failures are circle.errors
(RemoteError, RemoteAuthError, NotFound, NotSupported, IgnoreEvent, InvalidInput).
Every connection of an SCM obeys its HostPolicy (circle.remote.hosts), passed in as `hosts`.
This package imports nothing of circle but circle.errors.
"""
from __future__ import annotations

from circle.remote.base import Remote, detect_forge
from circle.remote.factory import KINDS, get_remote
from circle.remote.types import (
    ZERO_SHA,
    Commit,
    HookEvent,
    Netrc,
    Perm,
    RemoteRepo,
    RemoteUser,
    Team,
)

__all__ = [
    "KINDS",
    "ZERO_SHA",
    "Commit",
    "HookEvent",
    "Netrc",
    "Perm",
    "Remote",
    "RemoteRepo",
    "RemoteUser",
    "Team",
    "detect_forge",
    "get_remote",
]
