"""Public badges of a repo's latest build: GET /api/badges/{repo_id}/status.svg and …/cc.xml (no auth).

Both show the newest build of `?branch=` (default: the repo's default branch).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from xml.etree import ElementTree

from flask import Response, current_app

from circle import states
from circle.models import Build, Repo
from circle.store import builds, repos

NO_CACHE = {"Cache-Control": "no-cache, no-store, must-revalidate"}

SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="build: {label}">
<title>build: {label}</title>
<rect width="37" height="20" fill="#555"/><rect x="37" width="{right}" height="20" fill="{color}"/>
<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
<text x="18.5" y="14">build</text><text x="{middle}" y="14">{label}</text></g></svg>"""


def _latest(repo_id: int, query: dict[str, Any]) -> tuple[Repo, Build | None]:
    """Return the repo and its newest build on the asked (or default) branch."""
    repo = repos.get(repo_id)
    return repo, builds.latest(repo.id, query.get("branch") or repo.default_branch)


def svg(status: str | None) -> str:
    """Return the SVG badge of a build status (None: no build yet)."""
    label = states.BADGE_LABELS.get(status or "", "none")
    right = 7 * len(label) + 10
    return SVG.format(width=37 + right, right=right, middle=37 + right / 2, label=label,
                      color=states.BADGE_COLORS.get(status or "", states.GREY))


def cc_xml(repo: Repo, build: Build | None, host: str) -> str:
    """Return the CruiseControl cctray XML of a repo's latest build."""
    project = {"name": repo.full_name, "activity": "Sleeping", "lastBuildStatus": "Unknown",
               "webUrl": f"{host}/repos/{repo.id}"}
    if build is not None:
        project.update(
            activity="Building" if build.status in states.ACTIVE else "Sleeping",
            lastBuildStatus=states.CC_STATUSES[build.status], lastBuildLabel=str(build.number),
            lastBuildTime=datetime.fromtimestamp(build.finished or build.created, timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ"),
            webUrl=f"{host}/repos/{repo.id}/builds/{build.number}")
    root = ElementTree.Element("Projects")
    ElementTree.SubElement(root, "Project", project)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True)


def status_svg(repo_id: int, query: dict[str, Any]) -> Response:
    """Return the status badge of the repo's latest build."""
    _, build = _latest(repo_id, query)
    return Response(svg(build.status if build else None), mimetype="image/svg+xml", headers=NO_CACHE)


def cc_tray(repo_id: int, query: dict[str, Any]) -> Response:
    """Return the repo's latest build in CruiseControl cctray XML."""
    repo, build = _latest(repo_id, query)
    host = current_app.config["CIRCLE_SETTINGS"].host
    return Response(cc_xml(repo, build, host), mimetype="application/xml", headers=NO_CACHE)
