"""Artifacts of a build."""
from __future__ import annotations

from marshmallow import fields

from circle.schemas import Query, Strict, unix_time


class FileSchema(Strict):
    """An artifact of a build (its bytes come from GET …/files/{file_id})."""

    id = fields.Integer(dump_only=True)
    pid = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    mime = fields.String(dump_only=True)
    size = fields.Integer(dump_only=True)
    sha256 = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "hex SHA-256 of the bytes, computed by the server (null for files stored before it did)"})
    kind = fields.String(dump_only=True, metadata={
        "description": "report: a JUnit report read into the build's tests; artifact: any other file"})
    created = unix_time()


class UploadQuery(Query):
    """`?report=true`: the uploaded file is a JUnit report, read into the build's tests."""

    report = fields.Boolean(load_default=False, metadata={"description": "true: parse the file as a JUnit report"})
