"""The start page `/`: the caller's repos with their last build."""
from __future__ import annotations

from flask import render_template

from circle.service import repos
from circle.store import builds
from circle.web.guard import signed_in, viewer
from circle.web.paging import Pager, requested_page


@signed_in
def home() -> str:
    """List the repos the caller may read, each with its newest build and a link to it."""
    page = requested_page()
    rows, total = repos.list_for(viewer(), page)
    return render_template("repos/index.html", rows=[(repo, builds.latest(repo.id)) for repo in rows],
                           pager=Pager(page, total))
