"""GitHub API objects → circle's remote dataclasses."""
from __future__ import annotations

from typing import Any

from circle.remote.payload import dig, text
from circle.remote.types import Commit, Perm, RemoteRepo, RemoteUser, Team


def repo(data: dict[str, Any]) -> RemoteRepo:
    """Convert a repository object."""
    return RemoteRepo(
        full_name=text(data, "full_name"),
        owner=text(data, "owner", "login"),
        name=text(data, "name"),
        clone_url=text(data, "clone_url"),
        default_branch=text(data, "default_branch") or "main",
        private=bool(data.get("private")),
        link=text(data, "html_url"),
    )


def perm(data: dict[str, Any]) -> Perm:
    """Convert a repository's `permissions` object."""
    perms = dig(data, "permissions", default={})
    return Perm(pull=bool(perms.get("pull")), push=bool(perms.get("push")), admin=bool(perms.get("admin")))


def user(data: dict[str, Any]) -> RemoteUser:
    """Convert a user object."""
    return RemoteUser(login=text(data, "login"), email=text(data, "email"), avatar=text(data, "avatar_url"))


def team(data: dict[str, Any]) -> Team:
    """Convert an organization object."""
    return Team(login=text(data, "login"), avatar=text(data, "avatar_url"))


def commit(data: dict[str, Any]) -> Commit:
    """Convert a commit object of GET /repos/{owner}/{repo}/commits/{ref}."""
    return Commit(
        sha=text(data, "sha"),
        message=text(data, "commit", "message"),
        author=text(data, "author", "login") or text(data, "commit", "author", "name"),
        author_name=text(data, "commit", "author", "name"),
        author_email=text(data, "commit", "author", "email"),
        avatar=text(data, "author", "avatar_url"),
        link=text(data, "html_url"),
    )
