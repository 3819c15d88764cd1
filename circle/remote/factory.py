"""Build a Remote for a registered SCM by kind; kinds import lazily."""
from __future__ import annotations

import importlib
from typing import Any

from circle.errors import InvalidInput
from circle.remote.base import Remote
from circle.remote.hosts import HostPolicy

KINDS: dict[str, str] = {
    "local": "circle.remote.localgit.remote:LocalRemote",
    "github": "circle.remote.github.client:GithubRemote",
    "gitlab": "circle.remote.gitlab.client:GitlabRemote",
    "gitea": "circle.remote.gitea.client:GiteaRemote",
    "gogs": "circle.remote.gogs.client:GogsRemote",
    "bitbucket": "circle.remote.bitbucket.client:BitbucketRemote",
}


def remote_class(kind: str) -> type[Remote]:
    """Return the Remote class of an SCM kind, or raise InvalidInput listing the kinds."""
    target = KINDS.get(kind)
    if target is None:
        raise InvalidInput(f"'{kind}' is not an SCM kind; use one of {', '.join(KINDS)}", {"kind": "unknown kind"})
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def get_remote(
    kind: str, url: str, *, username: str = "", password: str = "", token: str = "",
    hosts: HostPolicy | None = None, **options: Any
) -> Remote:
    """Return the Remote for an SCM: its kind, URL (a directory for local) and credentials.

    `hosts` is the HostPolicy every connection of the SCM obeys (None: any address, for an admin's SCM).
    Options for the HTTP kinds: timeout (seconds, or (connect, read)), retries, backoff (seconds),
    max_wait (longest rate-limit pause, seconds), verify_tls.
    """
    cls = remote_class(kind)
    return cls(url, username=username, password=password, token=token, hosts=hosts,  # type: ignore[call-arg]
               **options)
