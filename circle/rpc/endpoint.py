"""POST /rpc: authenticate the agent, parse JSON-RPC 2.0 (single or batch), dispatch, answer.

A batch holds at most jsonrpc.MAX_BATCH calls and no long-poll (`next`, `wait`): one request must not hold
the connection for minutes. Bodies over the app's MAX_CONTENT_LENGTH are answered 413 before parsing.

The endpoint is a WSGI app in front of Flask's (RpcEndpoint): an agent's call needs the app context (settings,
the database session) but none of a page's machinery (URL routing, the cookie session, after-request hooks), which
was about a third of the server's CPU per idle long-poll.
"""
from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from flask import Flask
from sqlalchemy.exc import DataError, DBAPIError

from circle.api.errors import error_body
from circle.errors import NotFound, Unauthorized
from circle.extensions import db
from circle.hub import hub
from circle.identities import AgentIdentity
from circle.limits import TooDeep, decode_json
from circle.metrics import DB_ERRORS, RPC_CALLS
from circle.rpc import jsonrpc
from circle.rpc.protocol import LONG_POLLS, METHODS, RpcError
from circle.rpc.server import KeptRefusal, Peer
from circle.store.base import transaction

log = logging.getLogger(__name__)

PATH = "/rpc"
DB_UNAVAILABLE = "the server's database is unavailable; retry"
DOES_NOT_FIT = "invalid params: a value does not fit the database (too long or out of range)"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BadBody(Exception):
    """The request body cannot be read: its status and one sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _caller(authorization: str) -> AgentIdentity | None:
    """Return the agent owning the bearer token (None for the shared secret, which only registers)."""
    token = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
    if not token:
        raise Unauthorized("missing agent credentials")
    if hmac.compare_digest(token.encode(), hub().settings.agent_secret.encode()):
        return None
    try:
        return hub().identities.resolve(token)
    except NotFound:
        raise Unauthorized("invalid agent credentials") from None


def _read_body(environ: dict[str, Any], limit: int) -> bytes:
    """Return the request body, refusing one over `limit` bytes (413) before reading it."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH") or ""
    if length:
        try:
            size = int(length)
        except ValueError:
            raise BadBody(400, f"the Content-Length {length[:40]!r} is not a number") from None
        if size > limit:
            raise BadBody(413, f"the body is {size} bytes; the limit is {limit}")
        return bytes(stream.read(size)) if size > 0 else b""
    if environ.get("wsgi.input_terminated"):
        data = bytes(stream.read(limit + 1))
        if len(data) > limit:
            raise BadBody(413, f"the body is over the limit of {limit} bytes")
        return data
    return b""


def _count(obj: Any, result: str) -> None:
    """Count one answered request object by method and outcome ("ok" or the error code)."""
    method = obj.get("method") if isinstance(obj, dict) else None
    RPC_CALLS.labels(method if method in METHODS else "other", result).inc()


def _run(peer: Peer, obj: Any, batched: bool = False) -> tuple[dict[str, Any] | None, str]:
    """Run one request object as one transaction; return its response (None for a notification) and "ok" or the
    error code."""
    request_id = jsonrpc.request_id(obj)
    try:
        call = jsonrpc.parse_request(obj)
        if batched and call.method in LONG_POLLS:
            raise RpcError(jsonrpc.INVALID_REQUEST,
                           f"invalid request: {call.method} long-polls, so it cannot be part of a batch; send it alone")
        value = _call(peer, call)
    except RpcError as err:
        db.session.rollback()
        if isinstance(obj, dict) and "id" not in obj and err.code != jsonrpc.INVALID_REQUEST:
            return None, str(err.code)
        return jsonrpc.error(request_id, err.code, str(err)), str(err.code)
    except DBAPIError as err:
        db.session.rollback()
        log.warning("rpc %s: the database failed", obj.get("method"), exc_info=True)
        # A value the database refuses is the caller's mistake, not an outage to retry.
        code, message = ((jsonrpc.INVALID_PARAMS, DOES_NOT_FIT) if isinstance(err, DataError)
                         else (jsonrpc.INTERNAL_ERROR, DB_UNAVAILABLE))
        if code == jsonrpc.INTERNAL_ERROR:
            DB_ERRORS.inc()
        return (None if "id" not in obj else jsonrpc.error(request_id, code, message)), str(code)
    except Exception as err:  # process boundary: one failing call must not break the endpoint
        db.session.rollback()
        log.exception("rpc %s failed", obj.get("method") if isinstance(obj, dict) else "?")
        if isinstance(obj, dict) and "id" not in obj:
            return None, str(jsonrpc.INTERNAL_ERROR)
        return jsonrpc.error(request_id, jsonrpc.INTERNAL_ERROR, f"internal error: {err}"), str(jsonrpc.INTERNAL_ERROR)
    return (None if call.notification else jsonrpc.result(request_id, value)), "ok"


def _call(peer: Peer, call: jsonrpc.Request) -> Any:
    """Run a parsed call in its transaction; a KeptRefusal is raised once that is committed."""
    refusal: KeptRefusal | None = None
    with transaction("rpc"):
        try:
            value = peer.call(call.method, call.params)
        except KeptRefusal as err:
            refusal = err
    if refusal is not None:
        raise refusal
    return value


class _NotAll(Exception):
    """A batch's calls cannot all run together (one long-polls)."""


def _together(peer: Peer, body: list[Any]) -> list[tuple[dict[str, Any] | None, str]] | None:
    """Run every call of a batch in one transaction and return their answers; None, with nothing of it kept, as
    soon as one is not a plain success."""
    outcomes: list[tuple[dict[str, Any] | None, str]] = []
    try:
        with transaction("rpc"):
            for item in body:
                call = jsonrpc.parse_request(item)
                if call.method in LONG_POLLS:
                    raise _NotAll(call.method)
                value = peer.call(call.method, call.params)
                outcomes.append((None if call.notification else jsonrpc.result(call.id, value), "ok"))
    except Exception:  # any refusal or failure: transaction() rolled it all back; the calls run again one by one
        return None
    return outcomes


def _one_by_one(peer: Peer, body: list[Any]) -> list[tuple[dict[str, Any] | None, str]]:
    """Run a batch's calls one transaction each, in order, each lease checked by a Peer of its own; after a call
    the server failed (INTERNAL_ERROR), the later ones are not run and answer INTERNAL_ERROR too."""
    outcomes: list[tuple[dict[str, Any] | None, str]] = []
    failed = 0
    for number, item in enumerate(body, 1):
        if failed:
            outcomes.append(_not_run(item, failed))
            continue
        outcomes.append(_run(Peer(peer.agent), item, batched=True))
        if outcomes[-1][1] == str(jsonrpc.INTERNAL_ERROR):
            failed = number
    return outcomes


def _not_run(item: Any, failed: int) -> tuple[dict[str, Any] | None, str]:
    """Answer a call left out because call number `failed` of its batch failed (none to a notification)."""
    code = jsonrpc.INTERNAL_ERROR
    if isinstance(item, dict) and "id" not in item:
        return None, str(code)
    return jsonrpc.error(jsonrpc.request_id(item), code, f"not run: call {failed} of this batch failed; "
                                                         "send the calls again from that one"), str(code)


def _batch(peer: Peer, body: list[Any]) -> list[dict[str, Any]]:
    """Run a batch's calls in order; return the answers (none to notifications).

    All together first: one transaction, so one commit, one lease check per task, and the events after that
    commit. When a call is refused or fails, that attempt is rolled back as a whole and the calls run again one
    transaction each, as single calls do: a refused call undoes only itself, the others are applied. A call the
    server fails (its database) stops the batch there, so no later call (a step's end, `done`) is applied without
    the lines before it: the agent sends them all again from that call.
    """
    outcomes = _together(peer, body)
    if outcomes is None:
        outcomes = _one_by_one(peer, body)
    for item, (_, result) in zip(body, outcomes):
        _count(item, result)
    return [answer for answer, _ in outcomes if answer is not None]


def serve(environ: dict[str, Any], limit: int) -> tuple[int, Any]:
    """Serve one JSON-RPC 2.0 call or batch from an agent; return the HTTP status and the JSON answer (None: none)."""
    try:
        peer = Peer(_caller(environ.get("HTTP_AUTHORIZATION", "")))
    except Unauthorized as err:
        return 401, error_body(401, str(err))
    except DBAPIError:
        db.session.rollback()
        DB_ERRORS.inc()
        log.warning("rpc: the database failed while authenticating the agent", exc_info=True)
        return 503, error_body(503, DB_UNAVAILABLE)
    try:
        body = decode_json(_read_body(environ, limit))
    except BadBody as err:
        return err.status, error_body(err.status, str(err))
    except TooDeep as err:
        return 200, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, f"invalid request: {err}")
    except ValueError:
        return 200, jsonrpc.error(None, jsonrpc.PARSE_ERROR, "parse error: the body is not JSON")
    if isinstance(body, list):
        if not body:
            return 200, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, "invalid request: empty batch")
        if len(body) > jsonrpc.MAX_BATCH:
            return 200, jsonrpc.error(None, jsonrpc.INVALID_REQUEST, f"invalid request: a batch holds at most "
                                                                     f"{jsonrpc.MAX_BATCH} calls, not {len(body)}")
        answers = _batch(peer, body)
        return (200, answers) if answers else (204, None)
    answer, result = _run(peer, body)
    _count(body, result)
    return (200, answer) if answer is not None else (204, None)


class RpcEndpoint:
    """The WSGI app that answers /rpc itself, inside an app context, and hands every other path to Flask's."""

    def __init__(self, app: Flask, pages: WsgiApp) -> None:
        self.app, self.pages = app, pages

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer /rpc; pass anything else on."""
        if environ.get("PATH_INFO") != PATH:
            return self.pages(environ, start_response)
        headers = [("Content-Type", "application/json")]
        if environ.get("REQUEST_METHOD") != "POST":
            status, answer = 405, error_body(405, f"{PATH} takes POST only")
            headers.append(("Allow", "POST"))
        else:
            try:
                with self.app.app_context():
                    status, answer = serve(environ, self.app.config["MAX_CONTENT_LENGTH"])
            except Exception:  # process boundary: an agent gets a JSON 500, the log gets the traceback
                log.exception("rpc: the request failed")
                status, answer = 500, error_body(500, "internal error; see the server log")
        if answer is None:
            start_response(f"{status} {HTTPStatus(status).phrase}", [])
            return [b""]
        payload = json.dumps(answer).encode()
        headers.append(("Content-Length", str(len(payload))))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [payload]
