"""Who may do what on a repo: admin users everything; others what their Perm row grants.

Levels: `pull` reads the repo, `push` triggers, cancels and restarts builds, `admin` changes
settings, secrets, registries and configs and deletes the repo. A higher level implies the
lower ones. A user who cannot read a repo is told it does not exist.
"""
from __future__ import annotations

from circle.errors import Forbidden, NotFound
from circle.models import Perm, Repo, User
from circle.store import repos

PULL = "pull"
PUSH = "push"
ADMIN = "admin"
LEVELS = (PULL, PUSH, ADMIN)


def _granted(perm: Perm | None, level: str) -> bool:
    """Tell whether a Perm row grants `level` (admin implies push, push implies pull)."""
    if perm is None:
        return False
    rank = 3 if perm.admin else 2 if perm.push else 1 if perm.pull else 0
    return rank >= LEVELS.index(level) + 1


def allows(user: User, repo: Repo, level: str) -> bool:
    """Tell whether `user` may act on `repo` at `level`."""
    return user.admin or _granted(repos.get_perm(user.id, repo.id), level)


def user_may(user_id: int, repo_id: int, level: str) -> bool:
    """Tell whether the Perm row of user `user_id` grants `level` on repo `repo_id` (False when the repo is gone)."""
    return _granted(repos.get_perm(user_id, repo_id), level)


def require(user: User, repo: Repo, level: str) -> Repo:
    """Return `repo` when `user` has `level` on it; NotFound when they cannot even read it, else Forbidden."""
    if user.admin:
        return repo
    perm = repos.get_perm(user.id, repo.id)
    if not _granted(perm, PULL):
        raise NotFound(f"repo {repo.id} not found")
    if not _granted(perm, level):
        raise Forbidden(f"you need {level} permission on {repo.full_name} for this")
    return repo


def repo_for(user: User, repo_id: int, level: str = PULL) -> Repo:
    """Load repo `repo_id` and check that `user` has `level` on it."""
    return require(user, repos.get(repo_id), level)


def grant_admin(user: User, repo: Repo) -> Perm:
    """Give `user` every permission on `repo` (the user who activates a repo)."""
    return repos.set_perm(user.id, repo.id, pull=True, push=True, admin=True)
