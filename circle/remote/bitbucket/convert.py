"""Bitbucket Cloud API 2.0 objects → circle's remote dataclasses."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from circle.remote.payload import dig, first, split_author, text
from circle.remote.types import Commit, Perm, RemoteRepo, RemoteUser, Team

# Repository permission and workspace permission → (pull, push, admin).
REPO_PERMS = {"admin": (True, True, True), "write": (True, True, False), "read": (True, False, False)}
WORKSPACE_PERMS = {"owner": (True, True, True), "collaborator": (True, True, False), "member": (True, False, False)}


def perm(table: dict[str, tuple[bool, bool, bool]], permission: Any) -> Perm:
    """Convert a permission name with one of the tables above (unknown → no access)."""
    return Perm(*table.get(str(permission), (False, False, False)))

def login(account: Any) -> str:
    """Return an account's name: username, else (after Atlassian's GDPR change) nickname or display name."""
    return first(text(account, "username"), text(account, "nickname"), text(account, "display_name"))


def clone_url(data: dict[str, Any]) -> str:
    """Return the HTTPS clone URL without the user part, else the web link + ".git"."""
    for link in dig(data, "links", "clone", default=[]):
        if link.get("name") == "https" and link.get("href"):
            parts = urlsplit(link["href"])
            return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    html = text(data, "links", "html", "href")
    return html + ".git" if html else ""


def repo(data: dict[str, Any]) -> RemoteRepo:
    """Convert a repository object."""
    full_name = text(data, "full_name")
    owner, _, slug = full_name.partition("/")
    return RemoteRepo(
        full_name=full_name,
        owner=owner,
        name=slug or text(data, "name"),
        clone_url=clone_url(data),
        default_branch=text(data, "mainbranch", "name") or "main",
        private=bool(data.get("is_private")),
        link=text(data, "links", "html", "href"),
    )


def user(data: dict[str, Any]) -> RemoteUser:
    """Convert an account object."""
    return RemoteUser(login=login(data), avatar=text(data, "links", "avatar", "href"))


def team(data: dict[str, Any]) -> Team:
    """Convert a workspace object."""
    return Team(login=text(data, "slug"), avatar=text(data, "links", "avatar", "href"))


def commit(data: dict[str, Any]) -> Commit:
    """Convert a commit object of GET /repositories/{workspace}/{slug}/commit/{sha}."""
    name, email = split_author(text(data, "author", "raw"))
    return Commit(
        sha=text(data, "hash"),
        message=text(data, "message"),
        author=first(login(dig(data, "author", "user")), name),
        author_name=name,
        author_email=email,
        avatar=text(data, "author", "user", "links", "avatar", "href"),
        link=text(data, "links", "html", "href"),
    )
