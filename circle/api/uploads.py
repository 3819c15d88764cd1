"""POST /api/upload/{token}: a running step stores an artifact with `curl -F file=@x $CIRCLE_UPLOAD_URL`
(a JUnit report with `?report=true`)."""
from __future__ import annotations

import mimetypes
from typing import Any

from flask import request

from circle.errors import InvalidInput
from circle.models import File
from circle.service import reports
from circle.service.uploads import step_for


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
