"""The code hosts page `/scms`: register an SCM, list the repositories it offers, activate them."""
from __future__ import annotations

from flask import render_template, request

from circle.errors import CircleError
from circle.models import Repo, Scm, User
from circle.remote.factory import KINDS, remote_class
from circle.service import permissions, scms
from circle.store import repos as repo_store
from circle.web.filters import public_url
from circle.web.guard import signed_in, viewer


def _chosen(rows: list[Scm]) -> Scm | None:
    """Return the SCM named by `?scm=`, else the first one (None when there are none)."""
    wanted = request.args.get("scm", "")
    return next((scm for scm in rows if str(scm.id) == wanted), rows[0] if rows else None)


def _activated(user: User, scm: Scm) -> dict[str, Repo | None]:
    """Map the full names already active on `scm` to their repo (None when the caller may not read it)."""
    return {repo.full_name: repo if permissions.allows(user, repo, permissions.PULL) else None
            for repo in repo_store.list_by_scm(scm.id)}


@signed_in
def scms_page() -> str:
    """Show the caller's SCMs, the registration form, and the repositories of the chosen SCM."""
    user = viewer()
    rows, _ = scms.list_for(user)
    chosen = _chosen(rows)
    offered, active, problem = [], {}, ""
    if chosen is not None:
        active = _activated(user, chosen)
        try:
            offered = scms.remote_repos(chosen)
        except CircleError as err:
            problem = public_url(f"{chosen.name} did not list its repositories: {err}")
    kinds = [kind for kind in KINDS if user.admin or not remote_class(kind).requires_admin]
    return render_template("scms/index.html", scms=rows, chosen=chosen, offered=offered, active=active,
                           problem=problem, kinds=kinds)
