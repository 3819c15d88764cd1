"""POST /rpc: authenticate the agent, parse JSON-RPC 2.0 (single or batch), dispatch, answer.

A batch holds at most jsonrpc.MAX_BATCH calls and no long-poll (`next`, `wait`): one request must not hold
the connection for minutes. Bodies over the app's MAX_CONTENT_LENGTH are answered 413 before parsing.
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy.exc import DataError, DBAPIError

from circle.api.errors import error_response
from circle.errors import NotFound, Unauthorized
from circle.extensions import db
from circle.hub import hub
from circle.identities import AgentIdentity
from circle.limits import TooDeep, decode_json
from circle.rpc import jsonrpc
from circle.rpc.protocol import LONG_POLLS, RpcError
from circle.rpc.server import Peer
from circle.store.base import transaction

log = logging.getLogger(__name__)

bp = Blueprint("rpc", __name__)

DB_UNAVAILABLE = "the server's database is unavailable; retry"
DOES_NOT_FIT = "invalid params: a value does not fit the database (too long or out of range)"


def _caller() -> AgentIdentity | None:
    """Return the agent owning the bearer token (None for the shared secret, which only registers)."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not token:
        raise Unauthorized("missing agent credentials")
    if hmac.compare_digest(token.encode(), hub().settings.agent_secret.encode()):
        return None
    try:
        return hub().identities.resolve(token)
    except NotFound:
        raise Unauthorized("invalid agent credentials") from None


def _answer(peer: Peer, obj: Any, batched: bool = False) -> dict[str, Any] | None:
    """Run one request object (of a batch when `batched`); return its response, or None for a notification."""
    request_id = jsonrpc.request_id(obj)
    try:
        call = jsonrpc.parse_request(obj)
        if batched and call.method in LONG_POLLS:
            raise RpcError(jsonrpc.INVALID_REQUEST,
                           f"invalid request: {call.method} long-polls, so it cannot be part of a batch; send it alone")
        with transaction("rpc"):
            value = peer.call(call.method, call.params)
    except RpcError as err:
        db.session.rollback()
        if isinstance(obj, dict) and "id" not in obj and err.code != jsonrpc.INVALID_REQUEST:
            return None
        return jsonrpc.error(request_id, err.code, str(err))
    except DBAPIError as err:
        db.session.rollback()
        log.warning("rpc %s: the database failed", obj.get("method"), exc_info=True)
        # A value the database refuses is the caller's mistake, not an outage to retry.
        code, message = ((jsonrpc.INVALID_PARAMS, DOES_NOT_FIT) if isinstance(err, DataError)
                         else (jsonrpc.INTERNAL_ERROR, DB_UNAVAILABLE))
        return None if "id" not in obj else jsonrpc.error(request_id, code, message)
    except Exception as err:  # process boundary: one failing call must not break the endpoint
        db.session.rollback()
        log.exception("rpc %s failed", obj.get("method") if isinstance(obj, dict) else "?")
        if isinstance(obj, dict) and "id" not in obj:
            return None
        return jsonrpc.error(request_id, jsonrpc.INTERNAL_ERROR, f"internal error: {err}")
    return None if call.notification else jsonrpc.result(request_id, value)


def _json(body: Any, status: int = 200) -> Response:
    """Return a JSON response."""
    return Response(json.dumps(body), status=status, mimetype="application/json")


@bp.post("/rpc")
def rpc() -> Response:
    """Serve one JSON-RPC 2.0 call or batch from an agent."""
    try:
        peer = Peer(_caller())
    except Unauthorized as err:
        return error_response(401, str(err))
    except DBAPIError:
        db.session.rollback()
        log.warning("rpc: the database failed while authenticating the agent", exc_info=True)
        return error_response(503, DB_UNAVAILABLE)
    try:
        body = decode_json(request.get_data(cache=False))
    except TooDeep as err:
        return _json(jsonrpc.error(None, jsonrpc.INVALID_REQUEST, f"invalid request: {err}"))
    except ValueError:
        return _json(jsonrpc.error(None, jsonrpc.PARSE_ERROR, "parse error: the body is not JSON"))
    if isinstance(body, list):
        if not body:
            return _json(jsonrpc.error(None, jsonrpc.INVALID_REQUEST, "invalid request: empty batch"))
        if len(body) > jsonrpc.MAX_BATCH:
            return _json(jsonrpc.error(None, jsonrpc.INVALID_REQUEST, f"invalid request: a batch holds at most "
                                                                      f"{jsonrpc.MAX_BATCH} calls, not {len(body)}"))
        answers = [a for a in (_answer(peer, item, batched=True) for item in body) if a is not None]
        return _json(answers) if answers else Response(status=204)
    answer = _answer(peer, body)
    return _json(answer) if answer is not None else Response(status=204)
