"""Activating a repository of an SCM, changing its settings, repairing its hook, and deactivating it.

Activation asks the SCM for the repository and its clone credentials, stores the repo with a
random hook secret and hook nonce (so its hook URL is new, even when the repo gets an old id back),
the clone credential secrets (see below), the default config and an admin permission for the
activating user, then registers the webhook at the SCM. When anything
after the first insert fails, the repo row is deleted again (its configs, secrets and perms go
with it by cascade), so a failed activation leaves nothing behind.

The clone credential is stored as two secrets, `netrc_username` and `netrc_password`
(circle.service.metadata reads them back for the clone step; the machine is the clone URL's
host). They are not offered on pull_request events, so a pull request's pipeline cannot ask
for them by name.
"""
from __future__ import annotations

import logging
import secrets
from typing import Any

from circle import states
from circle.errors import CircleError, Conflict, Forbidden, NotFound
from circle.hub import hub
from circle.models import Repo, Scm, User
from circle.models.repo import new_hook_nonce
from circle.remote import Netrc, RemoteRepo
from circle.service import permissions
from circle.service.hook_url import hook_url
from circle.service.metadata import NETRC_SECRET, NETRC_USER_SECRET
from circle.service.scms import remote_for
from circle.store import builds as build_store
from circle.store import configs as config_store
from circle.store import repos as repo_store
from circle.store import scms as scm_store
from circle.store import secrets as secret_store
from circle.store.base import Page

log = logging.getLogger(__name__)

DEFAULT_CONFIG = {"name": "default", "path": ".circle.yml"}


def list_for(user: User, page: Page, *, full_name: str | None = None) -> tuple[list[Repo], int]:
    """Return one page of the repos `user` may read, and their total."""
    return (repo_store.list_for_user(user.id, user.admin, full_name=full_name, page=page),
            repo_store.count_for_user(user.id, user.admin, full_name=full_name))


def _columns(remote_repo: RemoteRepo) -> dict[str, Any]:
    """Return the repo columns the SCM decides."""
    return {"full_name": remote_repo.full_name, "owner": remote_repo.owner, "name": remote_repo.name,
            "clone_url": remote_repo.clone_url, "link": remote_repo.link,
            "default_branch": remote_repo.default_branch or "main", "private": remote_repo.private}


def _check_free(scm: Scm, full_name: str) -> None:
    """Raise Conflict when the repo is already active for this SCM."""
    try:
        repo_store.get_by_full_name(scm.id, full_name)
    except NotFound:
        return
    raise Conflict(f"{full_name} is already active on SCM {scm.name!r}")


def _store_netrc(repo: Repo, netrc: Netrc) -> None:
    """Store the clone credential as the netrc_username and netrc_password secrets."""
    for name, value in ((NETRC_USER_SECRET, netrc.login), (NETRC_SECRET, netrc.password)):
        if value:
            secret_store.create(repo_id=repo.id, name=name, value=value, events=list(states.TRUSTED_EVENTS), images=[])


def activate(user: User, scm: Scm, full_name: str) -> Repo:
    """Activate repository `full_name` of `scm` for `user`; nothing is left behind when the SCM fails."""
    remote = remote_for(scm)
    remote_repo = remote.repo(full_name)
    _check_free(scm, remote_repo.full_name)
    netrc = remote.netrc(remote_repo.full_name)
    hook_secret = secrets.token_urlsafe(32)
    repo = repo_store.create(scm_id=scm.id, hook_secret=hook_secret, **_columns(remote_repo))
    done = False
    try:
        if netrc is not None:
            _store_netrc(repo, netrc)
        config_store.create(repo_id=repo.id, **DEFAULT_CONFIG)
        permissions.grant_admin(user, repo)
        remote.activate(repo.full_name, hook_url(repo), hook_secret)
        done = True
    finally:
        if not done:
            log.warning("activation of %s on SCM %s failed; removing repo %s", full_name, scm.id, repo.id)
            repo_store.delete(repo)
    log.info("user %s activated %s (repo %s) on SCM %s", user.login, repo.full_name, repo.id, scm.id)
    return repo


def change(user: User, repo: Repo, values: dict[str, Any]) -> Repo:
    """Change a repo's build switches; only admin users may change `trusted`."""
    if "trusted" in values and not user.admin:
        raise Forbidden("only administrators may mark a repo trusted")
    return repo_store.update(repo, **values)


def repair(repo: Repo) -> Repo:
    """Rotate the repo's hook token and secret, and replace every hook circle installed for it at the SCM."""
    remote = remote_for(scm_store.get(repo.scm_id))
    secret = secrets.token_urlsafe(32)
    repo_store.update(repo, hook_nonce=new_hook_nonce(), hook_secret=secret)
    remote.activate(repo.full_name, hook_url(repo), secret)
    log.info("repo %s (%s): hook repaired; the old hook URL and secret no longer work", repo.id, repo.full_name)
    return repo


def delete(repo: Repo) -> None:
    """Remove the repo's webhooks at the SCM (best effort) and delete the repo with everything it owns."""
    try:
        remote_for(scm_store.get(repo.scm_id)).deactivate(repo.full_name, hook_url(repo))
    except CircleError as err:
        log.warning("could not remove the hook of repo %s (%s) at its SCM: %s", repo.id, repo.full_name, err)
    hub().logs.forget(build_store.list_proc_ids_by_repo(repo.id))
    repo_store.delete(repo)
    log.info("repo %s (%s) deleted", repo.id, repo.full_name)

