"""JSON-RPC 2.0 envelopes: the spec's error codes, the one error class, requests parsed and answers built.

Only the stdlib: the agent imports this without Flask or SQLAlchemy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from circle.errors import CircleError

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# The most calls one batch may carry; a longer batch is refused as a whole.
MAX_BATCH = 100


class RpcError(CircleError):
    """A JSON-RPC error: `code` from the spec or the application range; raised by the server, seen by the client."""

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


def _valid_id(value: Any) -> bool:
    """Tell whether `value` may be a request id: a string, a number or null."""
    return value is None or isinstance(value, (str, int, float)) and not isinstance(value, bool)


def request_id(obj: Any) -> Any:
    """Return the id of a request object to answer with: its own when valid, else null (as the spec says)."""
    value = obj.get("id") if isinstance(obj, dict) else None
    return value if _valid_id(value) else None


def parse_request(obj: Any) -> Request:
    """Validate one request object of a call or batch; raise RpcError for what the spec rejects."""
    if not isinstance(obj, dict) or obj.get("jsonrpc") != "2.0" or not isinstance(obj.get("method"), str):
        raise RpcError(INVALID_REQUEST, "invalid request: need an object with jsonrpc \"2.0\" and a method")
    if not _valid_id(obj.get("id")):
        raise RpcError(INVALID_REQUEST, "invalid request: id must be a string, a number or null")
    params = obj.get("params", {})
    if isinstance(params, list):
        raise RpcError(INVALID_PARAMS, "params must be passed by name (an object)")
    if not isinstance(params, dict):
        raise RpcError(INVALID_REQUEST, "invalid request: params must be an object")
    return Request(method=obj["method"], params=params, id=obj.get("id"), notification="id" not in obj)


def request(method: str, params: dict[str, Any], request_id: Any) -> dict[str, Any]:
    """Return a JSON-RPC request object."""
    return {"jsonrpc": "2.0", "method": method, "params": params, "id": request_id}


def result(request_id: Any, value: Any) -> dict[str, Any]:
    """Return a success response object."""
    return {"jsonrpc": "2.0", "result": value, "id": request_id}


def error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    """Return an error response object."""
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": request_id}
