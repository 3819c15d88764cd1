"""GET /api/openapi.json: the OpenAPI 3 document, generated from the route table and the schemas;
GET /api/schema/pipeline.json: the JSON Schema of pipeline files, for editors.

Both are built on request: `document` imports the walk over marshmallow schemas (circle.api.jsonschema) then,
so the start loads neither (see circle.api.routing).
"""
from __future__ import annotations

import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from flask import Response, current_app, jsonify

from circle import __version__
from circle.api.routes import ROUTES
from circle.api.routing import JSON, PAGE_QUERY, Route, schema
from circle.limits import INT_MAX
from circle.service.pipelines import pipeline_schema

if TYPE_CHECKING:
    from circle.api.jsonschema import Components


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
# An id beyond the stored range is a 404 (circle.api.ids), so the document names the range.
CONVERTERS: dict[str, dict[str, object]] = {"int": {"type": "integer", "minimum": 0, "maximum": INT_MAX},
                                          "float": {"type": "number"}}
ERROR = {"type": "object", "required": ["error", "message"], "properties": {
    "error": {"type": "string", "description": "the HTTP reason phrase"},
    "message": {"type": "string", "description": "what was wrong, in one sentence"},
    "fields": {"type": "object", "additionalProperties": {"type": "string"},
               "description": "400 only: a message per invalid field (nested fields as a.b.0)"}}}
SECURITY = {"bearer": {"type": "http", "scheme": "bearer", "description": "an API token"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session",
                        "description": "the dashboard login; writes also need the X-CSRF-Token header"}}


def openapi_path(rule: str) -> str:
    """Turn a Flask rule (`/api/repos/<int:repo_id>`) into an OpenAPI path (`/api/repos/{repo_id}`)."""
    return PARAM.sub(lambda m: "{" + m.group(2) + "}", rule)


def _parameters(route: Route, components: Components) -> list[dict[str, Any]]:
    """Return the path and query parameters of a route."""
    params = [{"name": name, "in": "path", "required": True, "schema": dict(CONVERTERS.get(conv, {"type": "string"}))}
              for conv, name in PARAM.findall(route.rule)]
    for query in ([PAGE_QUERY] if route.paginated else []) + ([route.query] if route.query else []):
        for name, field in schema(query)().fields.items():
            param: dict[str, Any] = {"name": name, "in": "query", "required": field.required,
                                     "schema": components.field(field)}
            if "description" in param["schema"]:
                param["description"] = param["schema"].pop("description")
            params.append(param)
    return params


def _success(route: Route, components: Components) -> dict[str, Any]:
    """Return the success response of a route."""
    answer: dict[str, Any] = {"description": route.summary or HTTPStatus(route.status).phrase}
    if route.status == 204:
        return answer
    if route.answer is not None:
        item = components.ref(schema(route.answer))
        shape = {"type": "array", "items": item} if route.many else item
        answer["content"] = {JSON: {"schema": shape}}
        if route.media != JSON:
            answer["content"].update({m.strip(): {} for m in route.media.split(",") if m.strip() != JSON})
    else:
        answer["content"] = {m.strip(): {} for m in route.media.split(",")}
    if route.paginated:
        answer["headers"] = {"X-Total-Count": {"description": "how many items all pages hold",
                                               "schema": {"type": "integer"}}}
    return answer


def _operation(route: Route, components: Components) -> dict[str, Any]:
    """Return the OpenAPI operation of one route."""
    operation: dict[str, Any] = {
        "operationId": route.endpoint.replace(".", "_"), "summary": route.summary, "tags": [route.tag],
        "security": [] if route.auth == "public" else [{"bearer": []}, {"session": []}],
        "responses": {str(route.status): _success(route, components)},
    }
    if route.auth == "admin":
        operation["description"] = "Administrators only."
    params = _parameters(route, components)
    if params:
        operation["parameters"] = params
    if route.body is not None:
        operation["requestBody"] = {"required": not route.partial, "content": {
            JSON: {"schema": components.ref(schema(route.body), partial=route.partial)}}}
    if route.files:
        form = {"type": "object", "required": list(route.files),
                "properties": {name: {"type": "string", "format": "binary"} for name in route.files}}
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    for code in route.errors:
        operation["responses"][str(code)] = {"description": HTTPStatus(code).phrase,
                                             "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return operation


def document(host: str) -> dict[str, Any]:
    """Return the OpenAPI 3 document of every route in the table."""
    from circle.api.jsonschema import Components

    components = Components()
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(openapi_path(route.rule), {})[route.method.lower()] = _operation(route, components)
    return {
        "openapi": "3.0.3",
        "info": {"title": "circle", "version": __version__,
                 "description": "The REST API of circle, a self-hosted CI server. Times are UNIX seconds; "
                                "lists are paginated with ?page=&per_page= (max 200) and X-Total-Count."},
        "servers": [{"url": host}],
        "paths": paths,
        "components": {"schemas": {**components.schemas, "Error": ERROR}, "securitySchemes": SECURITY},
    }


def openapi_json() -> Response:
    """Return this API's OpenAPI 3 document."""
    return jsonify(document(current_app.config["CIRCLE_SETTINGS"].host))


def pipeline_json() -> Response:
    """Return the JSON Schema of pipeline files (point an editor's YAML extension at it)."""
    return jsonify(pipeline_schema())
