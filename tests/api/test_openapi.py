"""GET /api/openapi.json: a valid OpenAPI 3 document naming every /api route the app serves."""
from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from circle.compiler.schema import pipeline_schema

IGNORED_METHODS = {"HEAD", "OPTIONS"}
REPO = "/api/repos/{repo_id}"
BUILD = REPO + "/builds/{number}"
SPEC_ROUTES = {
    ("GET", "/api/user"), ("GET", "/api/users"), ("POST", "/api/users"),
    ("GET", "/api/scms"), ("POST", "/api/scms"), ("GET", "/api/scms/{scm_id}"), ("PATCH", "/api/scms/{scm_id}"),
    ("DELETE", "/api/scms/{scm_id}"), ("GET", "/api/scms/{scm_id}/repos"),
    ("GET", "/api/repos"), ("POST", "/api/repos"), ("GET", REPO), ("PATCH", REPO), ("DELETE", REPO),
    ("POST", REPO + "/repair"), ("GET", REPO + "/logs/search"),
    ("GET", REPO + "/configs"), ("POST", REPO + "/configs"), ("GET", REPO + "/configs/{config_id}"),
    ("PATCH", REPO + "/configs/{config_id}"), ("DELETE", REPO + "/configs/{config_id}"),
    ("GET", REPO + "/secrets"), ("POST", REPO + "/secrets"), ("PATCH", REPO + "/secrets/{name}"),
    ("DELETE", REPO + "/secrets/{name}"),
    ("GET", REPO + "/registries"), ("POST", REPO + "/registries"), ("PATCH", REPO + "/registries/{address}"),
    ("DELETE", REPO + "/registries/{address}"),
    ("GET", REPO + "/builds"), ("POST", REPO + "/builds"), ("GET", BUILD), ("POST", BUILD + "/restart"),
    ("POST", BUILD + "/fork"), ("POST", BUILD + "/cancel"), ("POST", BUILD + "/approve"),
    ("POST", BUILD + "/decline"), ("GET", BUILD + "/logs/{pid}"), ("GET", BUILD + "/files"),
    ("GET", BUILD + "/files/{file_id}"),
    ("GET", "/api/badges/{repo_id}/status.svg"), ("GET", "/api/badges/{repo_id}/cc.xml"),
    ("GET", "/api/openapi.json"), ("GET", "/api/schema/pipeline.json"),
    ("GET", "/api/agents"), ("GET", "/api/queue"), ("POST", "/api/upload/{token}"),
}


def served_routes(app: Flask) -> set[tuple[str, str]]:
    """Return (method, OpenAPI path) of every /api rule registered on the app."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes.update((method, path) for method in rule.methods - IGNORED_METHODS)
    return routes


def test_document_is_valid_and_public(client: FlaskClient):
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    document = answer.get_json()
    validate(document)
    assert document["openapi"].startswith("3.")


def test_document_lists_exactly_the_served_routes(app: Flask, client: FlaskClient):
    document = client.get("/api/openapi.json").get_json()
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert documented == served_routes(app)
    assert SPEC_ROUTES <= documented, sorted(SPEC_ROUTES - documented)


def test_write_only_fields_are_marked_and_responses_carry_their_shapes(client: FlaskClient):
    document = client.get("/api/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert schemas["Secret"]["properties"]["value"]["writeOnly"] is True
    assert schemas["Registry"]["properties"]["password"]["writeOnly"] is True
    assert {schemas["Scm"]["properties"][k].get("writeOnly") for k in ("password", "token")} == {True}
    assert schemas["Repo"]["properties"]["hook_url"] == {
        "readOnly": True, "type": "string", "description": "the webhook URL registered at the SCM (signed)"}
    repos = document["paths"]["/api/repos"]
    assert repos["get"]["responses"]["200"]["headers"]["X-Total-Count"]
    assert repos["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RepoCreate"}
    assert set(repos["post"]["responses"]) >= {"201", "400", "401", "409", "502"}
    patch = document["paths"]["/api/repos/{repo_id}"]["patch"]
    assert "required" not in schemas["RepoPatch"] and patch["requestBody"]["required"] is False
    assert document["paths"]["/api/badges/{repo_id}/status.svg"]["get"]["security"] == []
    assert document["paths"]["/api/users"]["get"]["security"] == [{"bearer": []}, {"session": []}]


def test_pipeline_schema_is_served_without_login(client: FlaskClient):
    answer = client.get("/api/schema/pipeline.json")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.get_json() == pipeline_schema()
    document = client.get("/api/openapi.json").get_json()
    assert document["paths"]["/api/schema/pipeline.json"]["get"]["security"] == []
