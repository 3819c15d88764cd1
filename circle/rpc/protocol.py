"""JSON-RPC 2.0 envelopes and the methods of the agent protocol, shared by server and client.

Only the stdlib: the agent imports this without Flask or SQLAlchemy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# Application errors (-32000…-32099).
NOT_LEASED = -32001
NOT_REGISTERED = -32002
TOO_LARGE = -32003
NOT_FOUND = -32004

# Seconds `next` and `wait` block at most before answering "call again".
LONG_POLL_SECONDS = 30.0
# Largest log batch (sum of line bytes) and artifact (decoded bytes) one call may carry.
MAX_LOG_BATCH = 4 * 1024 * 1024
MAX_UPLOAD = 48 * 1024 * 1024

# method → (required params, optional params)
METHODS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "next": (frozenset(), frozenset({"labels"})),
    "wait": (frozenset({"id"}), frozenset()),
    "init": (frozenset({"id", "state"}), frozenset()),
    "update": (frozenset({"id", "state"}), frozenset()),
    "log": (frozenset({"id", "lines"}), frozenset()),
    "upload": (frozenset({"id", "file"}), frozenset()),
    "extend": (frozenset({"id"}), frozenset()),
    "done": (frozenset({"id", "state"}), frozenset()),
    "register": (frozenset({"name"}), frozenset({"platform", "backend", "capacity", "labels", "version"})),
}


class ProtocolError(Exception):
    """A JSON-RPC error: `code` from the spec or the application range."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Request:
    """One parsed JSON-RPC call; `notification` when it carries no id and gets no answer."""

    method: str
    params: dict[str, Any]
    id: Any = None
    notification: bool = False


def parse_request(obj: Any) -> Request:
    """Validate one request object of a call or batch; raise ProtocolError for what the spec rejects."""
    if not isinstance(obj, dict) or obj.get("jsonrpc") != "2.0" or not isinstance(obj.get("method"), str):
        raise ProtocolError(INVALID_REQUEST, "invalid request: need an object with jsonrpc \"2.0\" and a method")
    if "id" in obj and not (obj["id"] is None or isinstance(obj["id"], (str, int, float))
                            and not isinstance(obj["id"], bool)):
        raise ProtocolError(INVALID_REQUEST, "invalid request: id must be a string, a number or null")
    params = obj.get("params", {})
    if isinstance(params, list):
        raise ProtocolError(INVALID_PARAMS, "params must be passed by name (an object)")
    if not isinstance(params, dict):
        raise ProtocolError(INVALID_REQUEST, "invalid request: params must be an object")
    return Request(method=obj["method"], params=params, id=obj.get("id"), notification="id" not in obj)


def check_params(method: str, params: dict[str, Any]) -> None:
    """Raise ProtocolError when the method is unknown or its params are missing or unexpected."""
    if method not in METHODS:
        raise ProtocolError(METHOD_NOT_FOUND, f"method not found: {method}")
    required, optional = METHODS[method]
    missing = sorted(required - params.keys())
    unknown = sorted(params.keys() - required - optional)
    if missing or unknown:
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise ProtocolError(INVALID_PARAMS, f"invalid params for {method}: {'; '.join(parts)}")


def request(method: str, params: dict[str, Any], request_id: Any) -> dict[str, Any]:
    """Return a JSON-RPC request object."""
    return {"jsonrpc": "2.0", "method": method, "params": params, "id": request_id}


def result(request_id: Any, value: Any) -> dict[str, Any]:
    """Return a success response object."""
    return {"jsonrpc": "2.0", "result": value, "id": request_id}


def error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    """Return an error response object."""
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": request_id}
