"""Helpers of the REST API tests: callers with tokens, real bare git repositories, permissions, builds."""
from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from circle.api.auth import SESSION_KEY
from circle.api.csrf import SESSION_KEY as CSRF_KEY
from circle.models import Build, User
from circle.models.types import now
from circle.store import builds, repos, users, web_sessions


@dataclass
class Caller:
    """A user with an API token."""

    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Return the Authorization header of this caller."""
        return {"Authorization": f"Bearer {self.token}"}


def make_caller(login: str, *, admin: bool = False) -> Caller:
    """Create a user (without password: hashing is slow) and a token."""
    user = users.create(login, admin=admin)
    return Caller(user, users.create_token(user))


def sign_in(client: Any, user: User, csrf: str = "the-csrf-token") -> str:
    """Give a test client a dashboard session of `user` with CSRF token `csrf`; return the session id."""
    session_id = web_sessions.create(user)
    with client.session_transaction() as session:
        session[SESSION_KEY] = session_id
        session[CSRF_KEY] = csrf
    return session_id


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git and return its stdout."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def bare_repo(root: Path, name: str, *, commit: bool = False) -> Path:
    """Create the bare repository root/name.git (branch main), optionally with one pushed commit."""
    path = root / f"{name}.git"
    path.parent.mkdir(parents=True, exist_ok=True)
    git("init", "--bare", "--quiet", "--initial-branch=main", str(path))
    if commit:
        work = root.parent / f"work-{name.replace('/', '-')}"
        git("clone", "--quiet", str(path), str(work))
        (work / ".circle.yml").write_text("pipeline:\n  test:\n    image: alpine\n    commands: [echo hi]\n")
        git("add", ".", cwd=work)
        git("-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "--quiet", "-m", "first",
            cwd=work)
        git("push", "--quiet", "origin", "HEAD:main", cwd=work)
    return path


def grant(caller: Caller, repo_id: int, level: str) -> None:
    """Give a caller `level` (pull, push or admin) on a repo."""
    rank = ("pull", "push", "admin").index(level)
    repos.set_perm(caller.user.id, repo_id, pull=True, push=rank >= 1, admin=rank >= 2)


def add_build(repo_id: int, number: int, **columns: Any) -> Build:
    """Insert build `number` of a repo directly."""
    values = {"event": "push", "status": "success", "branch": "main", "ref": "refs/heads/main",
              "commit": "a" * 40, "created": now(), **columns}
    return builds.create(repo_id=repo_id, number=number, **values)


def closed_port() -> int:
    """Return a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
