"""Registered code hosts: who may use which SCM, registering and changing them, and their Remote.

What an SCM's URL may point at follows its owner: an admin's SCM may reach any address; the SCM of a
user without admin rights only public addresses and those CIRCLE_SCM_ALLOWED_HOSTS lists, checked
when the URL is registered or changed and again on every connection (issue 16, SSRF).
"""
from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from circle.errors import Conflict, Forbidden, NotFound
from circle.models import Scm, User
from circle.remote import Remote, RemoteRepo, get_remote
from circle.remote.factory import remote_class
from circle.remote.hosts import HostPolicy
from circle.store import repos as repo_store
from circle.store import scms as scm_store
from circle.store import users as user_store
from circle.store.base import Page

log = logging.getLogger(__name__)

CREDENTIALS = ("password", "token")


def reach(owner: User) -> HostPolicy | None:
    """Return the HostPolicy the SCMs of `owner` obey: None (any address) for an admin, else the setting's."""
    return None if owner.admin else current_app.config["CIRCLE_SETTINGS"].scm_allowed_hosts


def _remote(kind: str, url: str, owner: User, values: dict[str, Any]) -> Remote:
    """Build the Remote of an SCM of `owner` from its URL and the credentials in `values`."""
    return get_remote(kind, url, username=values.get("username") or "", password=values.get("password") or "",
                      token=values.get("token") or "", hosts=reach(owner))


def _credentials(scm: Scm) -> dict[str, Any]:
    """Return the stored (decrypted) credentials of an SCM."""
    return {"username": scm.username, "password": scm.password, "token": scm.token}


def remote_for(scm: Scm) -> Remote:
    """Return the Remote of a registered SCM, built from its stored credentials."""
    return _remote(scm.kind, scm.url, user_store.get(scm.owner_id), _credentials(scm))


def visible(user: User, scm: Scm) -> bool:
    """Tell whether `user` may see and use `scm`: its owner, or any admin."""
    return user.admin or scm.owner_id == user.id


def scm_for(user: User, scm_id: int) -> Scm:
    """Load SCM `scm_id` if `user` may use it; NotFound otherwise."""
    scm = scm_store.get(scm_id)
    if not visible(user, scm):
        raise NotFound(f"SCM {scm_id} not found")
    return scm


def list_for(user: User, page: Page | None = None) -> tuple[list[Scm], int]:
    """Return the SCMs `user` may use (all of them for an admin; one `page` if given) and their total."""
    if user.admin:
        return scm_store.list_all(page), scm_store.count()
    return scm_store.list_by_owner(user.id, page), scm_store.count_by_owner(user.id)


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Turn empty credentials into NULL columns."""
    return {k: (v or None) if k in CREDENTIALS else v for k, v in values.items()}


def _check(user: User, owner: User, kind: str, url: str, values: dict[str, Any]) -> None:
    """Refuse kinds reserved to admins, settings the Remote rejects (bad URL…) and addresses the owner may not reach."""
    if remote_class(kind).requires_admin and not user.admin:
        raise Forbidden(f"only administrators may register {kind} SCMs")
    _remote(kind, url, owner, values)
    hosts = reach(owner)
    if hosts is not None:
        hosts.check_url(url)


def register(user: User, values: dict[str, Any]) -> Scm:
    """Register an SCM owned by `user` (values as loaded by ScmSchema)."""
    _check(user, user, values["kind"], values["url"], values)
    scm = scm_store.create(owner_id=user.id, **_stored(values))
    log.info("user %s registered %s SCM %s (%s)", user.login, scm.kind, scm.id, scm.url)
    return scm


def change(user: User, scm: Scm, values: dict[str, Any]) -> Scm:
    """Change an SCM's name, URL or credentials."""
    merged = {**_credentials(scm), **values}
    _check(user, user_store.get(scm.owner_id), scm.kind, values.get("url", scm.url), merged)
    return scm_store.update(scm, **_stored(values))


def remove(scm: Scm) -> None:
    """Delete an SCM that has no active repos left."""
    active = len(repo_store.list_by_scm(scm.id))
    if active:
        raise Conflict(f"SCM {scm.name!r} still has {active} active repo(s); delete them first")
    scm_store.delete(scm)
    log.info("SCM %s deleted", scm.id)


def remote_repos(scm: Scm) -> list[RemoteRepo]:
    """List the repositories the SCM's account can see, as the SCM lists them."""
    return remote_for(scm).repos()
