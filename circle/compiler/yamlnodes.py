"""YAML text → an immutable tree of nodes that remember their line and column.

Built from the parser's events (the C parser when ruamel.yaml.clib is installed), so that
anchors, aliases, `<<` merge keys and Woodpecker's `- <<: *list` splices inside sequences
work, duplicate keys are kept for the front ends to judge, and deep nesting or alias bombs
become a `YamlError` instead of a crash.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml import events as ev
from ruamel.yaml.error import YAMLError

try:  # the C parser is ~25x faster; the pure one gives the same events
    from ruamel.yaml.cyaml import CBaseLoader
except ImportError:  # pragma: no cover - depends on the installed wheel
    CBaseLoader = None  # type: ignore[misc,assignment]

log = logging.getLogger(__name__)

MAX_DEPTH = 200        # nesting levels
MAX_NODES = 200_000    # nodes after expanding aliases and merges


class Node:
    """A YAML node: 1-based `line`/`col`, expanded `size`, whether a `$` occurs inside and an anchor is set."""

    __slots__ = ("line", "col", "size", "dollar", "anchored")

    def __init__(self, line: int, col: int) -> None:
        self.line = line
        self.col = col
        self.size = 1
        self.dollar = False
        self.anchored = False

    def defines_anchor(self) -> bool:
        """Return whether this node or one below it carries an `&anchor`."""
        if self.anchored:
            return True
        if isinstance(self, Mapping):
            return any(v.defines_anchor() for _, v in self.pairs)
        if isinstance(self, Sequence):
            return any(i.defines_anchor() for i in self.items)
        return False

    def plain(self) -> Any:
        """Return the node as plain Python data (strings, bools, numbers, None, lists, dicts)."""
        raise NotImplementedError


class Scalar(Node):
    """A scalar: its source `text` and whether it was written plain (unquoted, untagged)."""

    __slots__ = ("text", "implicit")

    def __init__(self, text: str, implicit: bool, line: int, col: int) -> None:
        super().__init__(line, col)
        self.text = text
        self.implicit = implicit
        self.dollar = "$" in text

    def plain(self) -> Any:
        """Return the typed value (YAML 1.1 rules for plain scalars, as Go's yaml.v2 decodes them)."""
        return resolve(self.text) if self.implicit else self.text

    def is_null(self) -> bool:
        """Return whether this is a plain null (`~`, `null` or nothing)."""
        return self.implicit and self.text in _NULLS

    def __repr__(self) -> str:
        return f"Scalar({self.text!r}@{self.line}:{self.col})"


class Mapping(Node):
    """A mapping: its (key, value) pairs in document order, duplicates included."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[Node, Node]], line: int, col: int) -> None:
        super().__init__(line, col)
        self.pairs = pairs
        self.size = 1 + sum(k.size + v.size for k, v in pairs)
        self.dollar = any(k.dollar or v.dollar for k, v in pairs)

    def get(self, key: str) -> Node | None:
        """Return the value of the last pair whose key is the string `key`, or None."""
        pair = self._last(key)
        return pair[1] if pair else None

    def key_node(self, key: str) -> Node | None:
        """Return the key node of the last pair named `key`, or None."""
        pair = self._last(key)
        return pair[0] if pair else None

    def _last(self, key: str) -> tuple[Node, Node] | None:
        """Return the last pair whose key is the string `key`."""
        for pair in reversed(self.pairs):
            if isinstance(pair[0], Scalar) and pair[0].text == key:
                return pair
        return None

    def plain(self) -> dict[Any, Any]:
        """Return a dict (later duplicates win)."""
        return {_hashable(k.plain()): v.plain() for k, v in self.pairs}

    def __repr__(self) -> str:
        return f"Mapping({len(self.pairs)} pairs@{self.line}:{self.col})"


class Sequence(Node):
    """A sequence of nodes."""

    __slots__ = ("items",)

    def __init__(self, items: list[Node], line: int, col: int) -> None:
        super().__init__(line, col)
        self.items = items
        self.size = 1 + sum(i.size for i in items)
        self.dollar = any(i.dollar for i in items)

    def plain(self) -> list[Any]:
        """Return a list."""
        return [i.plain() for i in self.items]

    def __repr__(self) -> str:
        return f"Sequence({len(self.items)} items@{self.line}:{self.col})"


@dataclass
class YamlError(Exception):
    """The text is not YAML circle can use; `line`/`col` are 1-based."""

    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.message}"


def load(text: str) -> list[Node]:
    """Parse every document of `text` into node trees; an empty document gives a null Scalar."""
    try:
        return _Builder(text).documents()
    except YamlError:
        raise
    except YAMLError as err:
        raise _yaml_error(err, text) from None
    except (ValueError, UnicodeError) as err:  # e.g. lone surrogates the reader cannot encode
        raise YamlError(1, 1, f"cannot read the file as text: {err}") from None


# ---------------------------------------------------------------------------------------------
# scalar typing

_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
TRUE_WORDS = frozenset(("true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"))
FALSE_WORDS = frozenset(("false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"))
_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)$|[-+]?0x[0-9a-fA-F_]+$|[-+]?0o?[0-7_]+$|[-+]?0b[01_]+$")
_FLOAT = re.compile(r"[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?$|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"
                    r"|[-+]?\.(inf|Inf|INF)$|\.(nan|NaN|NAN)$")


def resolve(text: str) -> Any:
    """Return the value a plain scalar stands for: None, bool, int, float or the text itself."""
    if text in _NULLS:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    if _INT.match(text):
        return _to_int(text)
    if _FLOAT.match(text):
        return _to_float(text)
    return text


def _to_float(text: str) -> float | str:
    """Convert a YAML float literal (including .inf and .nan)."""
    digits = text.replace("_", "").lower()
    if digits.endswith(".inf"):
        return float("-inf") if digits.startswith("-") else float("inf")
    if digits == ".nan":
        return float("nan")
    try:
        return float(digits)
    except ValueError:
        return text


def _to_int(text: str) -> int | str:
    """Convert a YAML 1.1 integer literal; return the text when Python disagrees."""
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    try:
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        if digits.startswith("0b"):
            return sign * int(digits[2:], 2)
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if len(digits) > 1 and digits.startswith("0"):
            return sign * int(digits[1:], 8)
        return sign * int(digits)
    except ValueError:
        return text


def _hashable(value: Any) -> Any:
    """Return `value` usable as a dict key."""
    if isinstance(value, (list, dict)):
        return repr(value)
    return value


# ---------------------------------------------------------------------------------------------
# event → node builder


def _event_source(text: str) -> Callable[[], Any]:
    """Return a function giving the next parser event over `text` (the last is a StreamEndEvent)."""
    if CBaseLoader is not None:
        return CBaseLoader(text).get_event
    events = iter(YAML(typ="base", pure=True).parse(text))
    return lambda: next(events)


class _Builder:
    """Turn parser events into nodes, resolving aliases and merge keys."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.anchors: dict[str, Node] = {}
        self.open_anchors: set[str] = set()

    def documents(self) -> list[Node]:
        """Return the root node of every document."""
        roots: list[Node] = []
        # stack of (kind, items, anchor, line, col); kind is "map" or "seq"
        stack: list[tuple[str, list[Node], str | None, int, int]] = []
        next_event = _event_source(self.text)
        while True:
            event = next_event()
            kind = type(event)
            if kind is ev.StreamEndEvent:
                break
            if kind is ev.ScalarEvent:
                mark = event.start_mark
                node: Node = Scalar(event.value, bool(event.implicit[0]), mark.line + 1, mark.column + 1)
                self._anchor(event.anchor, node)
            elif kind is ev.AliasEvent:
                node = self._alias(event)
            elif kind is ev.MappingStartEvent or kind is ev.SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    mark = event.start_mark
                    raise YamlError(mark.line + 1, mark.column + 1, f"nesting deeper than {MAX_DEPTH} levels")
                if event.anchor:
                    self.open_anchors.add(event.anchor)
                mark = event.start_mark
                stack.append(("map" if kind is ev.MappingStartEvent else "seq", [], event.anchor,
                              mark.line + 1, mark.column + 1))
                continue
            elif kind is ev.MappingEndEvent or kind is ev.SequenceEndEvent:
                shape, items, anchor, line, col = stack.pop()
                node = self._mapping(items, line, col) if shape == "map" else self._sequence(items, line, col)
                if anchor:
                    self.open_anchors.discard(anchor)
                self._anchor(anchor, node)
            elif kind is ev.DocumentStartEvent:
                self.anchors = {}
                continue
            else:
                continue
            if node.size > MAX_NODES:
                raise YamlError(node.line, node.col, f"the document expands to more than {MAX_NODES} nodes "
                                "(aliases inside aliases?)")
            if stack:
                stack[-1][1].append(node)
            else:
                roots.append(node)
        return roots

    def _anchor(self, anchor: str | None, node: Node) -> None:
        """Remember `node` under `anchor`."""
        if anchor:
            self.anchors[anchor] = node
            node.anchored = True

    def _alias(self, event: Any) -> Node:
        """Return the node an alias event refers to."""
        mark = event.start_mark
        if event.anchor in self.open_anchors:
            raise YamlError(mark.line + 1, mark.column + 1, f"alias *{event.anchor} refers to a node that contains it")
        node = self.anchors.get(event.anchor)
        if node is None:
            raise YamlError(mark.line + 1, mark.column + 1,
                            f"alias *{event.anchor} has no anchor &{event.anchor} before it")
        return node

    def _mapping(self, items: list[Node], line: int, col: int) -> Mapping:
        """Build a mapping from alternating keys and values, applying `<<` merge keys."""
        pairs = list(zip(items[0::2], items[1::2]))
        if not any(_is_merge(k) for k, _ in pairs) or _splice(pairs) is not None:
            return Mapping(pairs, line, col)  # a `<<: <list>` item is spliced by the enclosing sequence
        explicit = {k.text for k, _ in pairs if isinstance(k, Scalar) and not _is_merge(k)}
        merged: list[tuple[Node, Node]] = []
        for key, value in pairs:
            if not _is_merge(key):
                merged.append((key, value))
                continue
            for source in _merge_sources(value):
                for k, v in source.pairs:
                    name = k.text if isinstance(k, Scalar) else None
                    if name in explicit:
                        continue
                    if name is not None:
                        explicit.add(name)
                    merged.append((k, v))
        return Mapping(merged, line, col)

    def _sequence(self, items: list[Node], line: int, col: int) -> Sequence:
        """Build a sequence, splicing items written `- <<: *list`."""
        out: list[Node] = []
        for item in items:
            spliced = _splice(item.pairs) if isinstance(item, Mapping) else None
            if spliced is None:
                out.append(item)
            else:
                out.extend(spliced)
        return Sequence(out, line, col)


def _is_merge(key: Node) -> bool:
    """Return whether `key` is the plain `<<` merge key."""
    return isinstance(key, Scalar) and key.implicit and key.text == "<<"


def _merge_sources(value: Node) -> list[Mapping]:
    """Return the mappings a `<<` value merges in."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(i, Mapping) for i in value.items):
        return list(value.items)  # type: ignore[arg-type]
    raise YamlError(value.line, value.col, "`<<` merges a mapping or a list of mappings into a mapping")


def _splice(pairs: list[tuple[Node, Node]]) -> list[Node] | None:
    """Return the items to splice when `pairs` is a lone `<<: <list of non-mappings>`, else None."""
    if len(pairs) != 1 or not _is_merge(pairs[0][0]):
        return None
    value = pairs[0][1]
    if isinstance(value, Sequence) and not all(isinstance(i, Mapping) for i in value.items):
        return list(value.items)
    return None


def _yaml_error(err: YAMLError, text: str) -> YamlError:
    """Turn a ruamel error into a YamlError with a position and a one-line message."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    if mark is not None:
        line, col = mark.line + 1, mark.column + 1
    else:
        position = getattr(err, "position", 0) or 0
        line = text.count("\n", 0, position) + 1
        col = position - (text.rfind("\n", 0, position) + 1) + 1
    problem = getattr(err, "problem", None) or getattr(err, "reason", None) or str(err).splitlines()[0]
    message = str(problem)
    context, context_mark = getattr(err, "context", None), getattr(err, "context_mark", None)
    if context and context_mark is not None and (context_mark.line, context_mark.column) != (line - 1, col - 1):
        message += f" ({context} that starts at {context_mark.line + 1}:{context_mark.column + 1})"
    elif context:
        message += f" ({context})"
    return YamlError(line, col, f"not valid YAML: {message}")
