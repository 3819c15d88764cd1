"""What builds leave behind: GET …/builds/{number}/logs/{pid} and …/files, …/files/{file_id}."""
from __future__ import annotations

import io
import posixpath
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, send_file

from circle.api.auth import require_user
from circle.api.routing import api_route, slice_page
from circle.errors import NotFound
from circle.models import Build, File
from circle.schemas.files import FileSchema
from circle.schemas.logs import LogLineSchema, LogQuery
from circle.service.permissions import repo_for
from circle.store import builds, files, logs
from circle.store.base import Page

bp = Blueprint("artifacts", __name__)

ITEM = "/api/repos/<int:repo_id>/builds/<int:number>"


def _build(repo_id: int, number: int) -> Build:
    """Return build `number` of a repo the caller may read."""
    return builds.get_by_number(repo_for(require_user(), repo_id).id, number)


def _text(lines: list[logs.Line]) -> Response:
    """Return log lines as plain text, one line each."""
    body = "".join(line.out if line.out.endswith("\n") else f"{line.out}\n" for line in lines)
    return Response(body, mimetype="text/plain")


@api_route(bp, "GET", f"{ITEM}/logs/<int:pid>", query=LogQuery, answer=LogLineSchema, many=True,
           media="application/json, text/plain")
def get_log(repo_id: int, number: int, pid: int, query: dict[str, Any]) -> list[logs.Line] | Response:
    """Return a proc's whole log (`?format=text` as plain text)."""
    proc = builds.get_proc_by_pid(_build(repo_id, number).id, pid)
    lines = logs.list_by_proc(proc.id)
    return _text(lines) if query["format"] == "text" else lines


@api_route(bp, "GET", f"{ITEM}/files", paginated=True, answer=FileSchema)
def list_files(repo_id: int, number: int, page: Page) -> tuple[list[File], int]:
    """List a build's artifacts, oldest first."""
    return slice_page(files.list_by_build(_build(repo_id, number).id), page)


@api_route(bp, "GET", f"{ITEM}/files/<int:file_id>", media="application/octet-stream")
def download_file(repo_id: int, number: int, file_id: int) -> Response:
    """Download an artifact with its stored MIME type and file name."""
    artifact = files.get_in_build(_build(repo_id, number).id, file_id)
    name = posixpath.basename(artifact.name) or f"file-{artifact.id}"
    if artifact.data is not None:
        source: Any = io.BytesIO(artifact.data)
    elif artifact.path and Path(artifact.path).is_file():
        source = artifact.path
    else:
        raise NotFound(f"the bytes of file {artifact.id} are gone")
    return send_file(source, mimetype=artifact.mime, as_attachment=True, download_name=name)
