"""Reading typed values out of YAML nodes, recording a positioned problem for every mistake.

`Reader` is what every front end uses: it never raises for a user mistake, it notes the problem
(with the node's line and column) and returns a harmless default so that one run reports them all.
"""
from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Collection

from circle.compiler.yamlnodes import Mapping, Node, Scalar, Sequence, resolve
from circle.errors import Problem

log = logging.getLogger(__name__)

# a size such as `512m` or `1GiB` (spelled without flags, so the JSON Schema can reuse it)
SIZE_PATTERN = r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]?)[iI]?[bB]?\s*$"
_SIZE = re.compile(SIZE_PATTERN)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def shape(node: Node) -> str:
    """Return a word for the kind of `node`, for messages."""
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    value = node.plain()
    if value is None:
        return "empty"
    return {bool: "a boolean", int: "a number", float: "a number"}.get(type(value), "a string")


class Reader:
    """Typed access to nodes; problems accumulate in `problems`.

    With `lenient` set (the linter, which sees `${VAR}` unexpanded), a scalar that still holds
    `${` is accepted wherever a boolean or a number is expected.
    """

    def __init__(self, filename: str, lenient: bool = False) -> None:
        self.filename = filename
        self.lenient = lenient
        self.problems: list[Problem] = []

    def problem(self, node: Node | None, message: str) -> None:
        """Record a problem at `node` (or at the top of the file)."""
        line, col = (node.line, node.col) if node is not None else (1, 1)
        self.problem_at(line, col, message)

    def problem_at(self, line: int, col: int, message: str) -> None:
        """Record a problem at a 1-based line and column."""
        self.problems.append(Problem(self.filename, line, col, message))

    def mapping(self, node: Node | None, what: str) -> Mapping | None:
        """Return `node` when it is a mapping; an empty value gives None silently."""
        if node is None or isinstance(node, Scalar) and node.is_null():
            return None
        if isinstance(node, Mapping):
            return node
        self.problem(node, f"{what} must be a mapping, not {shape(node)}")
        return None

    def keys(self, mapping: Mapping, allowed: Collection[str], what: str,
             duplicates_ok: bool = False, unknown_note: str = "") -> list[tuple[str, Node, Node]]:
        """Return (name, key, value) triples of `mapping`, reporting non-string, unknown and repeated keys.

        An empty `allowed` accepts every name; `unknown_note` ends the message of an unknown key without a close match.
        """
        seen: set[str] = set()
        out: list[tuple[str, Node, Node]] = []
        for key, value in mapping.pairs:
            if not isinstance(key, Scalar) or key.is_null():
                self.problem(key, f"keys of {what} must be strings, not {shape(key)}")
                continue
            name = key.text
            if allowed and name not in allowed:
                self.problem(key, f"unknown key `{name}` in {what}{suggest(name, allowed) or unknown_note}")
                continue
            if name in seen and not duplicates_ok:
                self.problem(key, f"`{name}` appears twice in {what}")
            seen.add(name)
            out.append((name, key, value))
        return out

    def string(self, node: Node | None, what: str) -> str:
        """Return a scalar's text as written, as Go's yaml.v2 decodes into a string (empty for null)."""
        if node is None:
            return ""
        if isinstance(node, Scalar):
            return "" if node.is_null() else node.text
        self.problem(node, f"{what} must be a string, not {shape(node)}")
        return ""

    def boolean(self, node: Node | None, what: str, default: bool = False) -> bool:
        """Return a boolean (true/false/yes/no/on/off)."""
        if node is None or isinstance(node, Scalar) and node.is_null():
            return default
        if isinstance(node, Scalar):
            value = resolve(node.text)
            if isinstance(value, bool):
                return value
            if self.lenient and "${" in node.text:
                return default
        self.problem(node, f"{what} must be true or false, not {shape(node)}")
        return default

    def integer(self, node: Node | None, what: str) -> int:
        """Return a non-negative integer; sizes like `512m` or `1gb` are accepted."""
        if node is None or isinstance(node, Scalar) and node.is_null():
            return 0
        if isinstance(node, Scalar):
            value = resolve(node.text)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
            match = _SIZE.match(node.text)
            if match:
                return int(float(match.group(1)) * _UNITS[match.group(2).lower()])
            if self.lenient and "${" in node.text:
                return 0
        self.problem(node, f"{what} must be a whole number (or a size like 512m), not {shape(node)}")
        return 0

    def strings(self, node: Node | None, what: str) -> list[str]:
        """Return a list of strings from a scalar or a list of scalars (null items are dropped)."""
        if node is None or isinstance(node, Scalar) and node.is_null():
            return []
        if isinstance(node, Scalar):
            return [node.text]
        if isinstance(node, Sequence):
            out = []
            for item in node.items:
                if isinstance(item, Scalar):
                    if not item.is_null():
                        out.append(item.text)
                else:
                    self.problem(item, f"items of {what} must be strings, not {shape(item)}")
            return out
        self.problem(node, f"{what} must be a string or a list of strings, not {shape(node)}")
        return []


def suggest(name: str, allowed: Collection[str]) -> str:
    """Return ' (did you mean `x`?)' for a close match, else ''."""
    close = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.75)
    return f" (did you mean `{close[0]}`?)" if close else ""
