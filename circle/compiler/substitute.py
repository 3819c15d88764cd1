"""`${VAR}` substitution, the way Drone and Woodpecker pre-process pipeline files.

Supported: `${VAR}`, defaults `${VAR=x}` `${VAR:=x}` `${VAR-x}` `${VAR:-x}`, prefix/suffix removal
`${VAR#p}` `${VAR##p}` `${VAR%s}` `${VAR%%s}` (glob patterns), replacement `${VAR/old/new}`
`${VAR//old/new}`, case `${VAR^}` `${VAR^^}` `${VAR,}` `${VAR,,}`, length `${#VAR}` and
substrings `${VAR:pos}` `${VAR:pos:len}`. `$$` is a literal `$`; a `$` not followed by `{` or
`$` is left alone (so `echo $HOME` in a command reaches the shell). Unknown variables expand
to the empty string, or stay as written when `keep_unknown` is set (the linter's mode).

The tree variant substitutes every scalar of a parsed document, keys included, so that
positions in error messages still point at the original text.
"""
from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Callable
from collections.abc import Mapping as MappingABC

from circle.compiler.yamlnodes import Mapping, Node, Scalar, Sequence

log = logging.getLogger(__name__)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CASE = {"^^": str.upper, ",,": str.lower,
         "^": lambda v: v[:1].upper() + v[1:], ",": lambda v: v[:1].lower() + v[1:]}


class SubstitutionError(ValueError):
    """A `${...}` expression that cannot be evaluated; `offset` is where it starts in the text."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset


def expand(text: str, env: MappingABC[str, str], keep_unknown: bool = False) -> str:
    """Return `text` with every `${...}` expression replaced and `$$` turned into `$`."""
    if "$" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = text.find("$", i)
        if j < 0 or j == n - 1:
            out.append(text[i:])
            break
        out.append(text[i:j])
        nxt = text[j + 1]
        if nxt == "$":
            out.append("$")
            i = j + 2
        elif nxt == "{":
            end = _closing(text, j)
            out.append(_evaluate(text[j + 2:end], env, keep_unknown, j))
            i = end + 1
        else:
            out.append("$")
            i = j + 1
    return "".join(out)


def _closing(text: str, start: int) -> int:
    """Return the index of the `}` closing the `${` at `start`, allowing nested `${...}` in defaults."""
    depth = 0
    for k in range(start + 1, len(text)):
        char = text[k]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return k
    raise SubstitutionError(start, "`${` is never closed with `}` (write `$${` for a literal `${`)")


def _evaluate(expr: str, env: MappingABC[str, str], keep_unknown: bool, offset: int) -> str:
    """Return the value of the inside of one `${...}`."""
    if expr.startswith("#") and _NAME.fullmatch(expr[1:]):
        value = env.get(expr[1:])
        return f"${{{expr}}}" if value is None and keep_unknown else str(len(value or ""))
    match = _NAME.match(expr)
    if not match:
        raise SubstitutionError(offset, f"`${{{expr}}}` does not start with a variable name "
                                        f"(write `$${{{expr}}}` to pass it to the shell)")
    name, rest = match.group(), expr[match.end():]
    value = env.get(name)
    if value is None and keep_unknown:
        return f"${{{expr}}}"
    try:
        return _operate(value, rest, env, keep_unknown, offset)
    except re.error as err:
        raise SubstitutionError(offset, f"bad pattern in `${{{expr}}}`: {err}") from None


def _operate(value: str | None, rest: str, env: MappingABC[str, str], keep_unknown: bool, offset: int) -> str:
    """Apply the operator `rest` (what follows the name) to `value`."""
    sub = lambda s: expand(s, env, keep_unknown)  # noqa: E731 - operands may hold ${...} themselves
    if not rest:
        return value or ""
    for op in (":=", ":-", "=", "-"):
        if rest.startswith(op):
            unset = value is None or (op.startswith(":") and value == "")
            return sub(rest[len(op):]) if unset else value or ""
    value = value or ""
    trims = (("##", True, "prefix"), ("#", False, "prefix"), ("%%", True, "suffix"), ("%", False, "suffix"))
    for op, longest, side in trims:
        if rest.startswith(op):
            return _trim(value, sub(rest[len(op):]), longest, side)
    if rest.startswith("/"):
        return _replace(value, rest[1:], sub)
    if rest in _CASE:
        return _CASE[rest](value)
    if rest.startswith(":"):
        return _substring(value, rest[1:], offset)
    raise SubstitutionError(offset, f"unsupported substitution `{rest}` (write `$${{...}}` to pass it to the shell)")


def _trim(value: str, pattern: str, longest: bool, side: str) -> str:
    """Remove the shortest or longest prefix/suffix of `value` that matches glob `pattern`."""
    regex = re.compile(fnmatch.translate(pattern))
    cuts = range(len(value), -1, -1) if longest else range(len(value) + 1)
    for cut in cuts:
        part = value[:cut] if side == "prefix" else value[len(value) - cut:]
        if regex.match(part):
            return value[cut:] if side == "prefix" else value[:len(value) - cut]
    return value


def _replace(value: str, spec: str, sub: Callable[[str], str]) -> str:
    """Apply `old/new` (or `/old/new` for every occurrence) to `value`."""
    every = spec.startswith("/")
    old, _, new = (spec[1:] if every else spec).partition("/")
    old, new = sub(old), sub(new)
    if not old:
        return value
    return value.replace(old, new) if every else value.replace(old, new, 1)


def _substring(value: str, spec: str, offset: int) -> str:
    """Return `value[pos:pos+len]` for `pos[:len]`."""
    pos_text, _, len_text = spec.partition(":")
    try:
        pos = int(pos_text.strip() or 0)
        length = int(len_text.strip()) if len_text.strip() else None
    except ValueError:
        raise SubstitutionError(offset, f"`:{spec}` is not a substring range "
                                        "(write `$${...}` to pass it to the shell)") from None
    if pos < 0:
        pos = max(len(value) + pos, 0)
    if length is None:
        return value[pos:]
    return value[pos:pos + length] if length >= 0 else value[pos:len(value) + length]


_REFERENCE = re.compile(r"\$\{#?([A-Za-z_][A-Za-z0-9_]*)")


def references(root: Node) -> dict[int, tuple[str, ...]]:
    """Return, for every node under `root` that holds a `$`, the variable names its substitution reads."""
    refs: dict[int, tuple[str, ...]] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:  # post-order without recursion: a collection reads what its children read
        node, expanded = stack.pop()
        if not node.dollar or (not expanded and id(node) in refs):
            continue
        if isinstance(node, Scalar):
            refs[id(node)] = tuple(sorted(set(_REFERENCE.findall(node.text))))
            continue
        children = _children(node)
        if expanded:
            refs[id(node)] = tuple(sorted({name for c in children for name in refs.get(id(c), ())}))
            continue
        refs[id(node)] = ()  # placeholder: marks the node as visited
        stack.append((node, True))
        stack.extend((c, False) for c in children)
    return refs


def _children(node: Node) -> list[Node]:
    """Return the keys and values of a mapping, or the items of a sequence."""
    if isinstance(node, Mapping):
        return [c for pair in node.pairs for c in pair]
    return list(node.items) if isinstance(node, Sequence) else []


class TreeSubstituter:
    """Substitute every scalar of a node tree; subtrees without `$` are returned as they are.

    Several substituters (one per matrix axis) may share `refs` (from `references`) and `memo`:
    a subtree is then substituted once per distinct value of the variables it reads, and axes
    that agree on those values get the very same node objects for it.
    """

    def __init__(self, env: MappingABC[str, str], keep_unknown: bool = False,
                 refs: dict[int, tuple[str, ...]] | None = None,
                 memo: dict[tuple[object, ...], tuple[Node, Node]] | None = None) -> None:
        self.env = env
        self.keep_unknown = keep_unknown
        self.refs = refs
        self.errors: list[tuple[Node, str]] = []
        self._memo = memo if memo is not None else {}

    def apply(self, node: Node) -> Node:
        """Return `node` with its scalars substituted; errors are collected in `errors`."""
        if not node.dollar:
            return node
        names = self.refs.get(id(node), ()) if self.refs is not None else ()
        key = (id(node), *(self.env.get(name) for name in names)) if self.refs is not None else (id(node),)
        done = self._memo.get(key)
        if done is not None and done[0] is node:
            return done[1]
        if isinstance(node, Scalar):
            result: Node = self._scalar(node)
        elif isinstance(node, Mapping):
            result = Mapping([(self.apply(k), self.apply(v)) for k, v in node.pairs], node.line, node.col)
        else:
            assert isinstance(node, Sequence)
            result = Sequence([self.apply(i) for i in node.items], node.line, node.col)
        result.anchored = node.anchored
        self._memo[key] = (node, result)
        return result

    def outline(self, root: Mapping, collections: set[int]) -> Mapping:
        """Substitute `root` except the items of its `collections` (ids), left as written for `apply` later.

        The result is shared by every substituter with the same memo that agrees on the variables it reads.
        """
        parts: list[Node] = []
        for key, value in root.pairs:
            parts.append(key)
            if id(value) not in collections:
                parts.append(value)
            elif isinstance(value, Mapping):
                parts.extend(k for k, _ in value.pairs)
        refs = self.refs or {}
        names = sorted({name for part in parts for name in refs.get(id(part), ())})
        memo_key = ("outline", id(root), *(self.env.get(name) for name in names))
        done = self._memo.get(memo_key)
        if done is not None and done[0] is root:
            return done[1]  # type: ignore[return-value]
        pairs = []
        for key, value in root.pairs:
            if id(value) in collections and isinstance(value, Mapping):
                value = Mapping([(self.apply(k), v) for k, v in value.pairs], value.line, value.col)
            elif id(value) not in collections:
                value = self.apply(value)
            pairs.append((self.apply(key), value))
        result = Mapping(pairs, root.line, root.col)
        self._memo[memo_key] = (root, result)
        return result

    def _scalar(self, node: Scalar) -> Scalar:
        """Return a substituted copy of one scalar."""
        try:
            text = expand(node.text, self.env, self.keep_unknown)
        except SubstitutionError as err:
            self.errors.append((node, str(err)))
            return node
        copy = Scalar(text, node.implicit, node.line, node.col)
        copy.dollar = False
        return copy
