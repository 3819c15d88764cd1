"""Top-level sections both dialects share: step collections, services, clone, workspace, labels, filters.

Each front end decides which sections it accepts and calls these readers; `read_common`
handles the keys whose meaning is the same in Drone 0.8 and Woodpecker files.
"""
from __future__ import annotations

import logging
import posixpath

from circle.compiler.constraints import Alternative, Condition, Constraint, parse_condition, parse_constraint
from circle.compiler.model import PipelineDef, StepEntry
from circle.compiler.values import Reader, shape, suggest
from circle.compiler.yamlnodes import Mapping, Node, Scalar, Sequence
from circle.pipeline.types import KIND_CLONE, KIND_SERVICE, KIND_STEP, Workspace

log = logging.getLogger(__name__)

# Drone 0.8 checks top-level `branches:` on neither tag nor deployment builds
_UNFILTERED_BY_BRANCHES = Alternative(globs={"event": Constraint(["tag", "deployment", "deploy"])})
# Keys accepted at the top of both dialects but with no effect on one compiled workflow.
# depends_on/runs_on order whole workflows (the build service's job), concurrency is not enforced,
# variables/plugin/cache only hold YAML anchors or metadata for other tools.
INERT_TOP = ("depends_on", "runs_on", "run_on", "concurrency", "variables", "plugin", "cache")
WORKSPACE_KEYS = ("base", "path")
CONCURRENCY_KEYS = ("limit", "group")


def read_collection(node: Node | None, kind: str, reader: Reader, what: str,
                    duplicates_ok: bool = False) -> list[StepEntry]:
    """List the steps written as a map (name → step) or a list (each with `name:`), without reading them."""
    if node is None or isinstance(node, Scalar) and node.is_null():
        return []
    entries: list[StepEntry] = []
    if isinstance(node, Mapping):
        for name, key, value in reader.keys(node, (), what, duplicates_ok=duplicates_ok):
            mapping = reader.mapping(value, f"{kind} `{name}`")
            if mapping is not None:
                entries.append(StepEntry(name, mapping, kind, key))
            elif isinstance(value, Scalar) and value.is_null():
                reader.problem(key, f"{kind} `{name}` is empty")
        return entries
    if not isinstance(node, Sequence):
        reader.problem(node, f"{what} must be a mapping or a list, not {shape(node)}")
        return []
    seen: set[str] = set()
    for item in node.items:
        mapping = reader.mapping(item, f"an item of {what}")
        if mapping is None:
            continue
        name = reader.string(mapping.get("name"), f"`name` of an item of {what}")
        if not name:
            reader.problem(mapping, f"this {kind} in {what} needs a `name`")
            continue
        name_node = mapping.get("name") or mapping
        if name in seen and kind != KIND_STEP:  # steps may share a name unless `depends_on` names them
            reader.problem(name_node, f"two items of {what} are named `{name}`")
        seen.add(name)
        entries.append(StepEntry(name, mapping, kind, name_node))
    return entries


def read_common(name: str, key: Node, value: Node, pipeline: PipelineDef, reader: Reader) -> bool:
    """Apply a top-level section both dialects share; return False when `name` is not one of them."""
    if name == "services":
        pipeline.services = read_collection(value, KIND_SERVICE, reader, "`services`")
    elif name == "clone":
        _read_clone(value, pipeline, reader)
    elif name == "skip_clone":
        if reader.boolean(value, "`skip_clone`"):
            pipeline.clone = []
    elif name == "workspace":
        pipeline.workspace = read_workspace(value, reader)
    elif name == "labels":
        mapping = reader.mapping(value, "`labels`")
        if mapping is not None:
            for label, _, text in reader.keys(mapping, (), "`labels`"):
                pipeline.labels[label] = reader.string(text, f"label `{label}`")
    elif name == "platform":
        platform = reader.string(value, "`platform`")
        if platform:
            pipeline.labels["platform"] = platform
    elif name == "branches":
        constraint = parse_constraint(value, reader, "`branches`")
        pipeline.filters.append(Condition([Alternative(globs={"branch": constraint}), _UNFILTERED_BY_BRANCHES]))
    elif name == "matrix":
        pass  # read once for the whole file by circle.compiler.matrix
    elif name == "concurrency":
        _check_concurrency(value, reader)
    elif name not in INERT_TOP:
        return False
    return True


def unknown_top(name: str, key: Node, value: Node, allowed: tuple[str, ...], reader: Reader) -> None:
    """Report an unknown top-level key, unless it only holds YAML anchors for the rest of the file."""
    if not value.defines_anchor():
        reader.problem(key, f"unknown top-level key `{name}`{suggest(name, allowed)}")


def _read_clone(node: Node, pipeline: PipelineDef, reader: Reader) -> None:
    """Read `clone:`: custom clone steps, or `disable: true`."""
    if isinstance(node, Mapping) and node.get("disable") is not None:
        if len(node.pairs) != 1:
            reader.problem(node, "`clone` with `disable:` takes no other key")
        if reader.boolean(node.get("disable"), "`disable` of `clone`"):
            pipeline.clone = []
        return
    steps = read_collection(node, KIND_CLONE, reader, "`clone`")
    if pipeline.clone != []:  # skip_clone wins
        pipeline.clone = steps or None


def read_workspace(node: Node, reader: Reader) -> Workspace:
    """Read `workspace: {base, path}`."""
    mapping = reader.mapping(node, "`workspace`")
    workspace = Workspace()
    if mapping is None:
        return workspace
    for name, _, value in reader.keys(mapping, WORKSPACE_KEYS, "`workspace`"):
        text = reader.string(value, f"`{name}` of `workspace`")
        if name == "base" and text:
            workspace.base = text
        elif name == "path":
            workspace.path = text
    absolute = workspace.base.startswith("/") or (len(workspace.base) > 2 and workspace.base[1] == ":")
    if not absolute and not (reader.lenient and "${" in workspace.base):
        reader.problem(mapping.get("base"), "`base` of `workspace` must be an absolute path")
    if workspace.base.startswith("/"):  # cleaned as Go's path.Join does: `/` and `.` name the base itself
        workspace.base = posixpath.normpath(workspace.base)
    workspace.path = posixpath.normpath("/" + workspace.path).lstrip("/")
    return workspace


def _check_concurrency(node: Node, reader: Reader) -> None:
    """Check Woodpecker's `concurrency` (a number, or {limit, group}); circle does not enforce it."""
    if isinstance(node, Mapping):
        found = {k: v for k, _, v in reader.keys(node, CONCURRENCY_KEYS, "`concurrency`")}
        if "limit" not in found:
            reader.problem(node, "`concurrency` needs a `limit`")
        else:
            reader.integer(found["limit"], "`limit` of `concurrency`")
        reader.string(found.get("group"), "`group` of `concurrency`")
        return
    reader.integer(node, "`concurrency`")


def top_condition(node: Node, reader: Reader) -> Condition:
    """Read a pipeline-level `when:` (a `status` there only matters to workflows that depend on others)."""
    return parse_condition(node, reader, "the pipeline's `when`")
