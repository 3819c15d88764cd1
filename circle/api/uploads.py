"""POST /api/upload/{token}: a running step stores an artifact with `curl -F file=@x $CIRCLE_UPLOAD_URL`
(a JUnit report with `?report=true`)."""
from __future__ import annotations

import mimetypes
from typing import Any

from flask import Blueprint, request

from circle.api.routing import api_route
from circle.errors import InvalidInput
from circle.models import File
from circle.service import reports
from circle.service.uploads import step_for

bp = Blueprint("uploads", __name__)


@api_route(bp, "POST", "/api/upload/<token>", auth="public", query="files.UploadQuery", answer="files.FileSchema",
           status=201,
           files=("file",), errors=(400, 403, 413))
def upload(token: str, query: dict[str, Any]) -> File:
    """Store the multipart `file` on the build of the running step the token names, recording the step."""
    step = step_for(token)
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        raise InvalidInput("send the artifact as multipart field 'file' (curl -F file=@PATH URL)",
                           {"file": ["missing"]})
    data = upload_file.read()
    mime = mimetypes.guess_type(upload_file.filename)[0] or upload_file.mimetype or "application/octet-stream"
    return reports.store_file(step, upload_file.filename, mime, data, report=query["report"], note=False)
