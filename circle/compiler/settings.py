"""Plugin settings → `PLUGIN_<NAME>` variables, and non-string environment values.

The encoding follows Drone 0.8: a scalar becomes its text (booleans as true/false), a list of
scalars is joined with commas, anything else (maps, lists of maps) becomes JSON with sorted keys
(as Go's encoder writes maps), `from_secret` values at any depth replaced by the secret. Names are
upper-cased with `.` and `-` turned into `_`. Numbers stay as written (`1.10` is "1.10").
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from circle.compiler.model import SecretRef
from circle.compiler.values import Reader
from circle.compiler.yamlnodes import Mapping, Node, Scalar, Sequence, resolve

log = logging.getLogger(__name__)

SecretLookup = Callable[[str], "str | None"]


def setting_name(name: str) -> str:
    """Return the variable name for plugin setting `name`."""
    return "PLUGIN_" + name.upper().replace(".", "_").replace("-", "_")


def encode(node: Node, canonical_bools: bool = True) -> str:
    """Return the string a setting or environment value is passed as."""
    if isinstance(node, Scalar):
        return _scalar_text(node, canonical_bools)
    if isinstance(node, Sequence) and all(isinstance(i, Scalar) for i in node.items):
        scalars = [i for i in node.items if isinstance(i, Scalar) and not i.is_null()]
        return ",".join(_scalar_text(i, canonical_bools) for i in scalars)
    return json.dumps(_jsonable(node), separators=(",", ":"), sort_keys=True)


def encode_settings(settings: list[tuple[str, Node]], lookup: SecretLookup, reader: Reader) -> dict[str, str]:
    """Return the PLUGIN_* variables of `settings`, resolving `from_secret` values with `lookup`."""
    out: dict[str, str] = {}
    for name, node in settings:
        if isinstance(node, Scalar) and node.is_null():
            continue
        ref = secret_ref(node, reader, f"setting `{name}`")
        if ref is not None:
            value = lookup(ref.name)
            if value is not None:
                out[setting_name(name)] = value
            continue
        if isinstance(node, Sequence) and any(_is_secret(i) for i in node.items) \
                and all(isinstance(i, Scalar) or _is_secret(i) for i in node.items):
            values = [lookup(ref.name) if (ref := secret_ref(i, reader, f"setting `{name}`")) else encode(i)
                      for i in node.items]
            out[setting_name(name)] = ",".join(v for v in values if v is not None)
            continue
        if not _holds_secret(node):
            out[setting_name(name)] = encode(node)
            continue
        data = _jsonable(node, lambda item: _resolve(item, lookup, reader, f"setting `{name}`"))
        out[setting_name(name)] = json.dumps(data, separators=(",", ":"), sort_keys=True)
    return out


def _holds_secret(node: Node) -> bool:
    """Return whether a `from_secret` mapping sits anywhere inside `node`."""
    if _is_secret(node):
        return True
    if isinstance(node, Mapping):
        return any(_holds_secret(value) for _, value in node.pairs)
    return isinstance(node, Sequence) and any(_holds_secret(item) for item in node.items)


def _resolve(node: Node, lookup: SecretLookup, reader: Reader, what: str) -> tuple[bool, Any]:
    """Return (True, the secret's value or None when it is absent) for a `from_secret` mapping, else (False, None)."""
    if not _is_secret(node):
        return False, None
    ref = secret_ref(node, reader, what)
    return True, lookup(ref.name) if ref is not None else None


def secret_ref(node: Node, reader: Reader, what: str) -> SecretRef | None:
    """Return the secret a `{from_secret: name}` value names, or None for other values."""
    if not _is_secret(node):
        return None
    assert isinstance(node, Mapping)
    if len(node.pairs) != 1:
        reader.problem(node, f"{what}: `from_secret` stands alone in its mapping")
    name = reader.string(node.get("from_secret"), f"`from_secret` of {what}")
    return SecretRef(name) if name else None


def _is_secret(node: Node) -> bool:
    """Return whether `node` is a `{from_secret: …}` mapping."""
    return isinstance(node, Mapping) and node.get("from_secret") is not None


def _scalar_text(node: Scalar, canonical_bools: bool) -> str:
    """Return a scalar's text; plain booleans become true/false when `canonical_bools`."""
    if node.is_null():
        return ""
    if canonical_bools and node.implicit:
        value = resolve(node.text)
        if isinstance(value, bool):
            return "true" if value else "false"
    return node.text


def _jsonable(node: Node, secret: Callable[[Node], tuple[bool, Any]] | None = None) -> Any:
    """Return plain data for JSON, keeping numbers as their YAML types; `secret` replaces `from_secret` values."""
    if secret is not None:
        found, value = secret(node)
        if found:
            return value
    if isinstance(node, Mapping):
        return {(k.text if isinstance(k, Scalar) else json.dumps(_jsonable(k))): _jsonable(v, secret)
                for k, v in node.pairs}
    if isinstance(node, Sequence):
        return [_jsonable(i, secret) for i in node.items]
    assert isinstance(node, Scalar)
    value = node.plain()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return node.text
    return value
