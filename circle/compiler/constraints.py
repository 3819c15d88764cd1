"""`when:` conditions (steps and whole pipelines) and `branches:`: parsing and matching.

A condition is a list of alternatives (Woodpecker's list form; Drone's single map is a list of
one). An alternative matches when every one of its constraints does; the condition matches when
any alternative does. `status` is not a filter: it decides whether a matching step runs after
success, after a failure, or both (`Condition.decide`).
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field

from circle.compiler.expr import Evaluator, ExprError, compile_expr, evaluate_bool
from circle.compiler.values import Reader
from circle.compiler.yamlnodes import Mapping, Node, Scalar, Sequence

log = logging.getLogger(__name__)

EVENTS = frozenset(("push", "tag", "pull_request", "pull_request_closed", "pull_request_metadata",
                    "deployment", "deploy", "manual", "cron", "release"))
STATUSES = frozenset(("success", "failure", "changed"))
# keys of `when` whose value is a glob constraint, and what each is matched against
GLOB_KEYS = ("branch", "event", "status", "ref", "tag", "environment", "platform", "instance", "repo", "cron")
WHEN_KEYS = frozenset(GLOB_KEYS + ("matrix", "path", "evaluate", "local"))
CONSTRAINT_KEYS = ("include", "exclude")
PATH_KEYS = CONSTRAINT_KEYS + ("ignore_message", "on_empty")
# Why an unknown condition is an error: both upstreams drop it without a word.
UNKNOWN_CONDITION = " (Drone 0.8 and Woodpecker ignore unknown conditions, which would run it regardless)"


@dataclass
class Facts:
    """What a condition is matched against: one build on one matrix axis."""

    event: str = "push"
    branch: str = ""
    ref: str = ""
    tag: str = ""
    environment: str = ""
    platform: str = ""
    instance: str = ""
    repo: str = ""
    cron: str = ""
    check_branch: bool = True  # False on Woodpecker tag builds: `branch` is not checked there
    files: list[str] | None = None
    axis: dict[str, str] = field(default_factory=dict)
    env: MappingABC[str, str] = field(default_factory=dict)


@dataclass
class Constraint:
    """Glob patterns a value must match (`include`, empty = anything) and must not match (`exclude`)."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)

    def match(self, value: str) -> bool:
        """Return whether `value` passes (Drone 0.8's rule: excludes first, then includes)."""
        if any(glob_match(p, value) for p in self.exclude):
            return False
        return not self.include or any(glob_match(p, value) for p in self.include)

    def match_files(self, files: list[str] | None) -> bool:
        """Return whether a change touching `files` passes (unknown or no files always pass)."""
        if not files:
            return True
        if self.exclude and all(any(glob_match(p, f) for p in self.exclude) for f in files):
            return False
        return not self.include or any(glob_match(p, f) for f in files for p in self.include)

    def empty(self) -> bool:
        """Return whether there is no pattern at all."""
        return not self.include and not self.exclude


@dataclass
class Alternative:
    """One `when` map: every constraint must match."""

    globs: dict[str, Constraint] = field(default_factory=dict)
    matrix: dict[str, Constraint] = field(default_factory=dict)
    path: Constraint | None = None
    evaluate: Evaluator | None = None
    evaluate_node: Node | None = None

    def matches(self, facts: Facts) -> bool:
        """Return whether the build described by `facts` passes every constraint but `status`."""
        for key, constraint in self.globs.items():
            if key == "status" or key == "branch" and not facts.check_branch:
                continue
            if not constraint.match(getattr(facts, key)):
                return False
        for name, constraint in self.matrix.items():
            if not constraint.match(facts.axis.get(name, "")):
                return False
        if self.path is not None and facts.event in ("push", "pull_request") and not self.path.match_files(facts.files):
            return False
        return self.evaluate is None or evaluate_bool(self.evaluate, facts.env)

    def woodpecker_statuses(self) -> tuple[bool, bool]:
        """Return (runs on success, runs on failure) per Woodpecker's rule: only `include` counts, and an
        empty one means success only."""
        include = status.include if (status := self.globs.get("status")) is not None else []
        return (not include or any(glob_match(p, "success") for p in include),
                any(glob_match(p, "failure") for p in include))

    def statuses(self) -> tuple[bool, bool]:
        """Return (runs on success, runs on failure) per Drone 0.8's rule for `status` (`changed` matches neither)."""
        status = self.globs.get("status")
        if status is None or status.empty():
            return True, False
        return status.match("success"), status.match("failure")


@dataclass
class Condition:
    """A whole `when`: alternatives OR-ed together. No alternatives means "always"."""

    alternatives: list[Alternative] = field(default_factory=list)
    woodpecker_status: bool = False  # Woodpecker reads `status` from every alternative, matching or not

    def decide(self, facts: Facts) -> tuple[bool, bool] | None:
        """Return (on_success, on_failure) for a matching build, or None when it is filtered out.

        Raises ExprError when an `evaluate` expression fails at run time.
        """
        if not self.alternatives:
            return True, False
        chosen = [alt for alt in self.alternatives if alt.matches(facts)]
        if not chosen:
            return None
        if self.woodpecker_status:
            flags = [alt.woodpecker_statuses() for alt in self.alternatives]
            return any(s for s, _ in flags), any(f for _, f in flags)
        flags = [alt.statuses() for alt in chosen]
        return any(s for s, _ in flags), any(f for _, f in flags)

    def matches(self, facts: Facts) -> bool:
        """Return whether any alternative matches (status ignored), for pipeline-level `when`."""
        return self.decide(facts) is not None

    @functools.cached_property
    def axis_names(self) -> tuple[str, ...] | None:
        """The matrix variables the decision depends on besides the build; None when it depends
        on more (an `evaluate` expression sees the whole environment)."""
        if any(alt.evaluate is not None for alt in self.alternatives):
            return None
        return tuple(sorted({name for alt in self.alternatives for name in alt.matrix}))


@functools.lru_cache(maxsize=4096)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a glob (`*` within a path segment, `**` across, `?`, `[..]`, `{a,b}`) to a regex."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "*":
            if pattern.startswith("**/", i):  # any number of directories, none included
                out.append("(?:.*/)?")
                i += 3
                continue
            if pattern.startswith("**", i):
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1:end].replace("\\", "\\\\")
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end
        elif char == "{":
            end = pattern.find("}", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                out.append("(?:" + "|".join(_glob_regex(p).pattern[:-2] for p in pattern[i + 1:end].split(",")) + ")")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error:
        return re.compile(re.escape(pattern) + r"\Z")


def glob_match(pattern: str, value: str) -> bool:
    """Return whether `value` matches glob `pattern` (or equals it)."""
    return pattern == value or _glob_regex(pattern).match(value) is not None


# ---------------------------------------------------------------------------------------------
# parsing


def parse_condition(node: Node | None, reader: Reader, what: str, allowed: frozenset[str] = WHEN_KEYS,
                    woodpecker_status: bool = False) -> Condition:
    """Read a `when` (a map, or a list of maps) into a Condition; `woodpecker_status` picks Woodpecker's status rule."""
    if node is None or isinstance(node, Scalar) and node.is_null():
        return Condition()
    items = node.items if isinstance(node, Sequence) else [node]
    alternatives = []
    for item in items:
        mapping = reader.mapping(item, what)
        if mapping is not None:
            alternatives.append(_alternative(mapping, reader, what, allowed))
    return Condition(alternatives, woodpecker_status)


def parse_constraint(node: Node, reader: Reader, what: str) -> Constraint:
    """Read a glob list: a string, a list of strings, or {include, exclude}."""
    if isinstance(node, Mapping):
        found = {name: value for name, _, value in reader.keys(node, CONSTRAINT_KEYS, what)}
        return Constraint(reader.strings(found.get("include"), f"`include` of {what}"),
                          reader.strings(found.get("exclude"), f"`exclude` of {what}"))
    return Constraint(reader.strings(node, what))


def _alternative(mapping: Mapping, reader: Reader, what: str, allowed: frozenset[str]) -> Alternative:
    """Read one `when` map."""
    alt = Alternative()
    for name, key, value in reader.keys(mapping, allowed, what, unknown_note=UNKNOWN_CONDITION):
        label = f"`{name}` of {what}"
        if name in GLOB_KEYS:
            alt.globs[name] = constraint = parse_constraint(value, reader, label)
            _check_values(name, constraint, value, reader)
        elif name == "matrix":
            alt.matrix = _matrix_constraint(value, reader, label)
        elif name == "path":
            alt.path = _path_constraint(value, reader, label)
        elif name == "evaluate":
            alt.evaluate, alt.evaluate_node = _expression(value, reader, label), value
        else:  # `local`: Drone's "skip under drone exec"; circle runs such steps everywhere
            reader.boolean(value, label)
    return alt


def _check_values(name: str, constraint: Constraint, node: Node, reader: Reader) -> None:
    """Report event and status names that can never match."""
    known = {"event": EVENTS, "status": STATUSES}.get(name)
    if known is None:
        return
    for value in constraint.include + constraint.exclude:
        if value not in known and not any(ch in value for ch in "*?[{$"):
            reader.problem(node, f"unknown {name} `{value}` (known: {', '.join(sorted(known))})")


def _matrix_constraint(node: Node, reader: Reader, what: str) -> dict[str, Constraint]:
    """Read `matrix: {AXIS: value(s)}`."""
    mapping = reader.mapping(node, what)
    if mapping is None:
        return {}
    return {name: Constraint(reader.strings(value, f"`{name}` of {what}"))
            for name, _, value in reader.keys(mapping, (), what)}


def _path_constraint(node: Node, reader: Reader, what: str) -> Constraint:
    """Read Woodpecker's `path` (globs, or {include, exclude, ignore_message, on_empty})."""
    if isinstance(node, Mapping):
        found = {name: value for name, _, value in
                 reader.keys(node, PATH_KEYS, what)}
        reader.string(found.get("ignore_message"), f"`ignore_message` of {what}")
        reader.boolean(found.get("on_empty"), f"`on_empty` of {what}")
        return Constraint(reader.strings(found.get("include"), f"`include` of {what}"),
                          reader.strings(found.get("exclude"), f"`exclude` of {what}"))
    return Constraint(reader.strings(node, what))


def _expression(node: Node, reader: Reader, what: str) -> Evaluator | None:
    """Compile an `evaluate` expression, reporting syntax errors."""
    source = reader.string(node, what)
    if reader.lenient and "${" in source:
        return None
    try:
        return compile_expr(source)
    except ExprError as err:
        reader.problem(node, f"{what}: {err}")
        return None
