"""Checked reads of JSON-RPC params: each returns a wire value of the expected type and range, or raises
RpcError(INVALID_PARAMS) naming the field. Stdlib only, like rpc.protocol which builds its payloads with them.
"""
from __future__ import annotations

from typing import Any

from circle.limits import INT_MAX
from circle.rpc.jsonrpc import INVALID_PARAMS, RpcError

# Longest names (steps, agents, labels, mime types); at most MAX_LABELS labels.
NAME_MAX = 255
MAX_LABELS = 64

_REQUIRED = object()
_KINDS: dict[type, str] = {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
                           dict: "an object", list: "a list"}


def json_object(value: Any, where: str) -> dict[str, Any]:
    """Return `value` when it is a JSON object; raise invalid params naming `where` otherwise."""
    if not isinstance(value, dict):
        raise RpcError(INVALID_PARAMS, f"{where} must be an object")
    return value


def field(data: dict[str, Any], key: str, kind: type, where: str = "", default: Any = _REQUIRED) -> Any:
    """Return data[key] checked to be of `kind` (`default` when absent or null); raise invalid params naming it."""
    value = data.get(key)
    if value is None:
        if default is _REQUIRED:
            raise RpcError(INVALID_PARAMS, f"{where}{key} is required")
        return default
    accepted = (int, float) if kind is float else kind
    if not isinstance(value, accepted) or (kind is not bool and isinstance(value, bool)):
        raise RpcError(INVALID_PARAMS, f"{where}{key} must be {_KINDS[kind]}")
    return value


def integer(data: dict[str, Any], key: str, where: str = "", default: Any = _REQUIRED, low: int = 0) -> int:
    """Return data[key] checked to be an integer from `low` to INT_MAX; raise invalid params naming it."""
    value = field(data, key, int, where, default)
    if not low <= value <= INT_MAX:
        raise RpcError(INVALID_PARAMS, f"{where}{key} must be an integer from {low} to {INT_MAX}")
    return value


def text(data: dict[str, Any], key: str, where: str = "", default: Any = _REQUIRED, limit: int = NAME_MAX) -> str:
    """Return data[key] checked to be a string of at most `limit` characters; raise invalid params naming it."""
    value = field(data, key, str, where, default)
    if len(value) > limit:
        raise RpcError(INVALID_PARAMS, f"{where}{key} must be at most {limit} characters")
    return value


def labels(data: dict[str, Any], where: str = "") -> dict[str, str]:
    """Return the optional `labels` object: at most MAX_LABELS names mapped to strings, each at most NAME_MAX long."""
    found = field(data, "labels", dict, where, {})
    if len(found) > MAX_LABELS or not all(
            isinstance(value, str) and len(key) <= NAME_MAX and len(value) <= NAME_MAX
            for key, value in found.items()):
        raise RpcError(INVALID_PARAMS, f"{where}labels must map at most {MAX_LABELS} names to strings, "
                                       f"each at most {NAME_MAX} characters")
    return dict(found)
