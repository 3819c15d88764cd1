"""Routing of the API: what a route declares (auth, body, query and answer schemas) and the work every view shares.

The table of routes is circle.api.routes; `register` adds each of its rules to the app at start, and the view a
rule names (`builds.list_builds`: the function list_builds of circle.api.builds) is imported on the rule's first
call, so the start loads none of the view modules and the services behind them. The wrapper does the routine
work so views stay thin — it checks the caller, loads the body and query through their schemas (passed to the view
as `body`, `query`, `page`), and dumps what the view returns through the answer schema. The OpenAPI document is
generated from the same table.

A view returns: a model (or list) to dump; `(rows, total)` for a paginated list; None for 204;
or a ready Response (downloads, plain text, badges).

Routes name their schemas (`answer="builds.BuildSchema"`: the class BuildSchema of circle.schemas.builds) and
`schema` imports them on first use, so the server starts, and answers /healthz, without marshmallow and the
schema modules: they load with the first request that reads a body or query, or dumps an answer.
"""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from flask import Blueprint, Flask, Response, jsonify, request

from circle.api.auth import require_admin, require_user
from circle.errors import InvalidInput, TooLarge
from circle.lazy_views import imported
from circle.limits import TooDeep, decode_json
from circle.store.base import Page, transaction

if TYPE_CHECKING:
    from circle.schemas import Checked

BODY_LIMIT = 1024 * 1024
JSON = "application/json"
AUTH = ("public", "user", "admin")


@dataclass(frozen=True)
class Route:
    """One API route as the OpenAPI document describes it."""

    method: str
    rule: str
    view: str
    tag: str
    auth: str
    body: str | None
    partial: bool
    query: str | None
    paginated: bool
    answer: str | None
    many: bool
    status: int
    media: str
    errors: tuple[int, ...]
    files: tuple[str, ...] = ()

    @property
    def endpoint(self) -> str:
        """Return the Flask endpoint: `tag.function`."""
        return f"{self.tag}.{self.view.rpartition('.')[2]}"

    @property
    def function(self) -> Callable[..., Any]:
        """Return the view function, importing its module on first use."""
        return imported(f"{VIEWS}.{self.view}")

    @property
    def summary(self) -> str:
        """Return the first line of the view's docstring (importing the view)."""
        return next(iter((self.function.__doc__ or "").strip().splitlines()), "")


VIEWS = "circle.api"
SCHEMAS = "circle.schemas"
PAGE_QUERY = "PageQuery"


@functools.cache
def schema(name: str) -> type[Checked]:
    """Return the schema class a route names (`module.Class` in circle.schemas), importing it on first use."""
    module, _, cls = name.rpartition(".")
    return getattr(importlib.import_module(f"{SCHEMAS}.{module}" if module else SCHEMAS), cls)


def load_body(name: str, partial: bool = False) -> dict[str, Any]:
    """Parse the JSON object body through `schema`; 400 when malformed or too deep, 413 when over BODY_LIMIT."""
    raw = request.get_data(cache=True)
    if len(raw) > BODY_LIMIT:
        raise TooLarge(f"the body is {len(raw)} bytes; the limit is {BODY_LIMIT}")
    data: Any = {}
    if raw.strip():
        if not request.is_json:
            raise InvalidInput("send the body as JSON with 'Content-Type: application/json'")
        try:
            data = decode_json(raw)
        except TooDeep as err:
            raise InvalidInput(f"the body is refused: {err}") from None
        except ValueError as err:
            raise InvalidInput(f"the body is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return schema(name).read(data, partial=partial)


def load_page() -> Page:
    """Return the `?page=&per_page=` of the request (per_page capped at 200)."""
    args = schema(PAGE_QUERY).read(request.args)
    return Page(args["page"], args["per_page"])


def slice_page(items: list[Any], page: Page) -> tuple[list[Any], int]:
    """Return one page of a list held in memory, and its length (for lists no query can page)."""
    return items[page.offset:page.offset + page.limit], len(items)


def _errors(rule: str, auth: str, body: str | None, query: str | None,
            paginated: bool, extra: tuple[int, ...]) -> tuple[int, ...]:
    """Return the error statuses a route can answer."""
    codes = set(extra)
    if auth != "public":
        codes.add(401)
    if auth == "admin":
        codes.add(403)
    if body is not None:
        codes.update((400, 413))
    if query is not None or paginated:
        codes.add(400)
    if "<" in rule:
        codes.add(404)
    return tuple(sorted(codes))


def _answer(route: Route, result: Any) -> Response:
    """Turn what a view returned into the response the route declares."""
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status=204)
    total = None
    if route.paginated:
        result, total = result
    if route.answer is None:
        raise TypeError(f"{route.endpoint} returned data but declares no answer schema")
    response = jsonify(schema(route.answer)(many=route.many).dump(result))
    response.status_code = route.status
    if total is not None:
        response.headers["X-Total-Count"] = str(total)
    return response


def route(method: str, rule: str, view: str, *, tag: str | None = None, auth: str = "user", body: str | None = None,
          partial: bool = False, query: str | None = None, paginated: bool = False, answer: str | None = None,
          many: bool = False, status: int = 200, media: str = JSON, errors: tuple[int, ...] = (),
          files: tuple[str, ...] = ()) -> Route:
    """Return the table's entry for `method rule`, answered by `view` (`module.function` in circle.api).

    `tag` (default: the view's module) names the blueprint and the OpenAPI tag; `errors` adds statuses to those
    the declaration implies; `files` names multipart file fields the view reads from request.files itself
    (documented only).
    """
    if auth not in AUTH:
        raise ValueError(f"auth must be one of {AUTH}")
    return Route(method=method, rule=rule, view=view, tag=tag or view.rpartition(".")[0], auth=auth, body=body,
                 partial=partial, query=query, paginated=paginated, answer=answer, many=many or paginated,
                 status=status, media=media, errors=_errors(rule, auth, body, query, paginated, errors), files=files)


def _wrapper(route: Route) -> Callable[..., Response]:
    """Return the Flask view of a route: the routine work around its view, imported on the first call."""

    def wrapper(**kwargs: Any) -> Response:
        if route.auth == "user":
            require_user()
        elif route.auth == "admin":
            require_admin()
        if route.body is not None:
            kwargs["body"] = load_body(route.body, route.partial)
        if route.query is not None:
            kwargs["query"] = schema(route.query).read(request.args)
        if route.paginated:
            kwargs["page"] = load_page()
        with transaction(route.endpoint):
            return _answer(route, route.function(**kwargs))

    wrapper.__name__ = wrapper.__qualname__ = route.endpoint.rpartition(".")[2]
    return wrapper


def register(app: Flask, routes: Iterable[Route]) -> None:
    """Add every route's rule to `app`, on one blueprint per tag (registered in the order the tags first appear)."""
    blueprints: dict[str, Blueprint] = {}
    for entry in routes:
        if entry.tag not in blueprints:
            blueprints[entry.tag] = Blueprint(entry.tag, VIEWS)
        wrapper = _wrapper(entry)
        blueprints[entry.tag].add_url_rule(entry.rule, wrapper.__name__, wrapper, methods=[entry.method])
    for bp in blueprints.values():
        app.register_blueprint(bp)
