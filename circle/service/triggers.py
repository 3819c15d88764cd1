"""Which configs an event builds, and the origin of a build of a branch head (manual and cron builds)."""
from __future__ import annotations

import fnmatch
from typing import Any

from circle import states
from circle.errors import NotFound
from circle.models import Config, Repo, User
from circle.origin import Origin
from circle.store import configs as config_store
from circle.store import scms as scm_store


def branch_matches(config: Config, branch: str) -> bool:
    """Tell whether a config's branch filter lets `branch` build (no include list = every branch)."""
    include = config.branches_include or []
    exclude = config.branches_exclude or []
    if include and not any(fnmatch.fnmatchcase(branch, pattern) for pattern in include):
        return False
    return not any(fnmatch.fnmatchcase(branch, pattern) for pattern in exclude)


def matching_configs(repo: Repo, branch: str, *, config_id: int | None = None) -> list[Config]:
    """Return the repo's configs whose branch filter matches (just `config_id` when given)."""
    if config_id is not None:
        config = config_store.get_in_repo(repo.id, config_id)
        return [config] if branch_matches(config, branch) else []
    return [c for c in config_store.list_by_repo(repo.id) if branch_matches(c, branch)]


def manual_origin(repo: Repo, user: User, branch: str, commit: str | None, params: dict[str, Any]) -> Origin:
    """Return the origin of a manual build, resolving the branch head and commit details through the SCM."""
    return head_origin(repo, branch, commit, event=states.MANUAL, sender=user.login, params=params)


def head_origin(repo: Repo, branch: str, commit: str | None, *, event: str, sender: str,
                params: dict[str, Any] | None = None, cron: str = "") -> Origin:
    """Return the origin of a build of `commit` (default: the branch head) on `branch`, read through the SCM."""
    from circle.service.scms import remote_for

    remote = remote_for(scm_store.get(repo.scm_id))
    sha = commit or remote.branch_head(repo.full_name, branch)
    if not sha:
        raise NotFound(f"branch {branch!r} of {repo.full_name} not found")
    details = remote.commit(repo.full_name, sha)
    return Origin(event=event, ref=f"refs/heads/{branch}", branch=branch, commit=details.sha or sha,
                  message=details.message, author=details.author or details.author_name,
                  email=details.author_email, avatar=details.avatar, link=details.link, sender=sender,
                  params={str(k): str(v) for k, v in (params or {}).items()}, cron=cron)
