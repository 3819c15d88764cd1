"""The repo page `/repos/{repo_id}`: builds and the "Build" button; settings, configs, secrets, registries, crons."""
from __future__ import annotations

from typing import Any, Callable

from flask import current_app, render_template, request

from circle.errors import Forbidden
from circle.models import Repo
from circle.service import permissions, retention
from circle.states import EVENTS, STATES, TRUSTED_EVENTS
from circle.store import builds, configs, crons, secrets
from circle.store import tests as test_store
from circle.web.guard import signed_in, viewer
from circle.web.paging import Pager, requested_page

TABS = ("builds", "settings", "configs", "secrets", "registries", "crons")
SWITCHES = (("allow_push", "Build pushes"), ("allow_tag", "Build tags"), ("allow_pr", "Build pull requests"),
            ("allow_deploy", "Build deployments"), ("gated", "Hold pull request builds until approved"))


def _builds(repo: Repo) -> dict[str, Any]:
    """Return the newest builds (one page, `?branch=` and `?status=` filter) and the configs a build may pick."""
    filters = {"branch": request.args.get("branch", "").strip() or None,
               "status": request.args.get("status") if request.args.get("status") in STATES else None}
    page = requested_page()
    rows = builds.list_by_repo(repo.id, page=page, **filters)
    return {"builds": rows, "pager": Pager(page, builds.count_by_repo(repo.id, **filters)), "filters": filters,
            "states": STATES, "configs": configs.list_by_repo(repo.id),
            "failed_tests": test_store.failed_counts([b.id for b in rows])}


def badge_markdown(repo: Repo) -> str:
    """Return the Markdown of the repo's status badge, linked to its page, at the server's public URL."""
    host = current_app.config["CIRCLE_SETTINGS"].host.rstrip("/")
    return f"[![build status]({host}/api/badges/{repo.id}/status.svg)]({host}/repos/{repo.id})"


def _settings(repo: Repo) -> dict[str, Any]:
    """Return what the settings form needs beyond the repo, and the badge snippet."""
    return {"switches": SWITCHES, "retention": retention.global_policy(), "badge": badge_markdown(repo)}


def _configs(repo: Repo) -> dict[str, Any]:
    """Return the repo's configs."""
    return {"configs": configs.list_by_repo(repo.id)}


def _secrets(repo: Repo) -> dict[str, Any]:
    """Return the repo's secrets (names, events, images: the values never leave the store)."""
    return {"secrets": secrets.list_by_repo(repo.id), "events": EVENTS, "default_events": TRUSTED_EVENTS}


def _registries(repo: Repo) -> dict[str, Any]:
    """Return the repo's registry credentials (addresses and usernames)."""
    return {"registries": secrets.list_registries(repo.id)}


def _crons(repo: Repo) -> dict[str, Any]:
    """Return the repo's cron jobs."""
    return {"crons": crons.list_by_repo(repo.id)}


LOADERS: dict[str, Callable[[Repo], dict[str, Any]]] = {
    "builds": _builds, "settings": _settings, "configs": _configs, "secrets": _secrets, "registries": _registries,
    "crons": _crons}


@signed_in
def repo(repo_id: int) -> str:
    """Show one tab of a repo the caller may read; only repo admins see the tabs besides builds."""
    user = viewer()
    found = permissions.repo_for(user, repo_id)
    can_admin = permissions.allows(user, found, permissions.ADMIN)
    tab = request.args.get("tab", "builds")
    tab = tab if tab in TABS else "builds"
    if tab != "builds" and not can_admin:
        raise Forbidden(f"you need admin permission on {found.full_name} to see its {tab}")
    return render_template(f"repos/{tab}.html", repo=found, tab=tab, tabs=TABS if can_admin else TABS[:1],
                           can_push=permissions.allows(user, found, permissions.PUSH), can_admin=can_admin,
                           **LOADERS[tab](found))
