"""What builds leave behind: GET …/builds/{number}/logs/{pid}, …/logs?format=zip, …/files, …/files/{file_id},
and the repo's log search GET /api/repos/{repo_id}/logs/search."""
from __future__ import annotations

import base64
import io
import itertools
import logging
import posixpath
import re
from pathlib import Path
from typing import Any, Iterator, TypeVar

from flask import Response, send_file, stream_with_context

from circle.api.auth import require_user
from circle.api.logzip import entry_names, stream_zip
from circle.api.routing import slice_page
from circle.errors import LogStoreError, NotFound
from circle.hub import hub
from circle.limits import MAX_SEARCH_BUILDS, MAX_SEARCH_MATCHES
from circle.logstream import MAX_PAGE
from circle.models import Build, File
from circle.service import logsearch
from circle.service.permissions import repo_for
from circle.store import builds, files
from circle.store.base import Page
from circle.store.logbatch import Line

log = logging.getLogger(__name__)
T = TypeVar("T")


def _build(repo_id: int, number: int) -> Build:
    """Return build `number` of a repo the caller may read."""
    return builds.get_by_number(repo_for(require_user(), repo_id).id, number)


def _told(pages: Iterator[list[Line]], *, midway: bool = False) -> Iterator[list[Line]]:
    """Yield the pages; when the log store fails after the answer began (`midway`: it had already), end with
    one line saying so instead of breaking off. A failure before that is raised: it becomes an error answer."""
    try:
        for page in pages:
            yield page
            midway = True
    except LogStoreError as err:
        if not midway:
            raise
        log.warning("a log read stopped midway: %s", err)
        yield [(-1, 0, f"circle: the rest of this log could not be read: {err}")]


def _started(chunks: Iterator[T]) -> Iterator[T]:
    """Return `chunks` with its first item made now, so a failure before any output is an error answer."""
    first = next(chunks, None)
    return itertools.chain(() if first is None else (first,), chunks)


def _text(pages: Iterator[list[Line]]) -> Response:
    """Return a chunked plain-text answer writing a page of lines at a time, one line each."""
    def chunks() -> Iterator[str]:
        """Yield the text of each page."""
        for page in _told(pages):
            yield "".join(out if out.endswith("\n") else f"{out}\n" for _, _, out in page)

    return Response(stream_with_context(_started(chunks())), mimetype="text/plain")


def get_log(repo_id: int, number: int, pid: int, query: dict[str, Any]) -> Response:
    """Return a page of a proc's log: lines with pos > `after`, at most `limit` (`?format=text`: all, as plain text)."""
    proc = builds.get_proc_by_pid(_build(repo_id, number).id, pid)
    if query["format"] == "text":
        return _text(hub().logs.pages(proc.id, after=query["after"]))
    # LogLineSchema documents the shape; the stored batches hold the lines as JSON already (store.logbatch).
    return Response(hub().logs.page_json(proc.id, after=query["after"], limit=min(query["limit"], MAX_PAGE)),
                    mimetype="application/json")


def get_logs_zip(repo_id: int, number: int, query: dict[str, Any]) -> Response:
    """Download every step's log of a build as one zip (`workflow/step.log` each), streamed page by page."""
    repo = repo_for(require_user(), repo_id)
    build = builds.get_by_number(repo.id, number)
    entries = [(proc.id, name) for proc, name in entry_names(builds.list_procs(build.id))]
    name = f"{re.sub(r'[^A-Za-z0-9._-]', '-', repo.full_name)}-{number}-logs.zip"
    first = entries[0][0] if entries else None
    chunks = stream_zip(entries, lambda proc_id: _told(hub().logs.pages(proc_id), midway=proc_id != first))
    return Response(stream_with_context(_started(chunks)),
                    mimetype="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def search_logs(repo_id: int, query: dict[str, Any]) -> list[logsearch.LogMatch]:
    """Find log lines holding a text in the repo's newest builds, newest build first."""
    return logsearch.search(repo_for(require_user(), repo_id), query["q"],
                            builds=min(query["builds"], MAX_SEARCH_BUILDS),
                            limit=min(query["limit"], MAX_SEARCH_MATCHES))


def list_files(repo_id: int, number: int, page: Page) -> tuple[list[File], int]:
    """List a build's artifacts, oldest first."""
    return slice_page(files.list_by_build(_build(repo_id, number).id), page)


def download_file(repo_id: int, number: int, file_id: int) -> Response:
    """Download an artifact with its stored MIME type and file name; its SHA-256 as ETag and Repr-Digest."""
    artifact = files.get_in_build(_build(repo_id, number).id, file_id)
    name = posixpath.basename(artifact.name) or f"file-{artifact.id}"
    if artifact.data is not None:
        source: Any = io.BytesIO(artifact.data)
    elif artifact.path and Path(artifact.path).is_file():
        source = artifact.path
    else:
        raise NotFound(f"the bytes of file {artifact.id} are gone")
    answer = send_file(source, mimetype=artifact.mime, as_attachment=True, download_name=name,
                       etag=artifact.sha256 or False)
    if artifact.sha256:
        answer.headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(artifact.sha256)).decode()}:"
    return answer
