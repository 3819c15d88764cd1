"""GitLab API v4 objects → circle's remote dataclasses."""
from __future__ import annotations

from typing import Any

from circle.remote.payload import dig, text
from circle.remote.types import Commit, Perm, RemoteRepo, RemoteUser, Team

# GitLab access levels: guest 10, reporter 20, developer 30, maintainer 40, owner 50.
REPORTER, DEVELOPER, MAINTAINER = 20, 30, 40


def repo(data: dict[str, Any]) -> RemoteRepo:
    """Convert a project object."""
    full_name = text(data, "path_with_namespace")
    return RemoteRepo(
        full_name=full_name,
        owner=text(data, "namespace", "full_path") or full_name.rpartition("/")[0],
        name=text(data, "path") or full_name.rpartition("/")[2],
        clone_url=text(data, "http_url_to_repo"),
        default_branch=text(data, "default_branch") or "main",
        private=text(data, "visibility") != "public",
        link=text(data, "web_url"),
    )


def access_perm(level: int, public: bool = False) -> Perm:
    """Turn an access level into pull/push/admin."""
    return Perm(pull=public or level >= REPORTER, push=level >= DEVELOPER, admin=level >= MAINTAINER)


def perm(data: dict[str, Any]) -> Perm:
    """Convert a project's `permissions` (the higher of project and group access)."""
    levels = [
        int(dig(data, "permissions", scope, "access_level", default=0) or 0)
        for scope in ("project_access", "group_access")
    ]
    return access_perm(max(levels), public=text(data, "visibility") == "public")


def user(data: dict[str, Any]) -> RemoteUser:
    """Convert a user object."""
    return RemoteUser(login=text(data, "username"), email=text(data, "email"), avatar=text(data, "avatar_url"))


def team(data: dict[str, Any]) -> Team:
    """Convert a group object."""
    return Team(login=text(data, "full_path") or text(data, "path"), avatar=text(data, "avatar_url"))


def commit(data: dict[str, Any]) -> Commit:
    """Convert a commit object of GET /projects/:id/repository/commits/:sha."""
    return Commit(
        sha=text(data, "id"),
        message=text(data, "message"),
        author=text(data, "author_name"),
        author_name=text(data, "author_name"),
        author_email=text(data, "author_email"),
        link=text(data, "web_url"),
    )
