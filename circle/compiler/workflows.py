"""Several pipeline files for one build (Woodpecker's `.woodpecker/` layout): one workflow per file, ordered.

Each file compiles on its own; its top-level `depends_on` names other files' workflows (by file name
without the extension) and `runs_on` says after which outcomes of those it runs (default `success`).
An unknown name, a cycle or two files with one name are problems with their position. A workflow
whose dependency has nothing to run for this build (its `when` excluded it) is dropped too, as in
Woodpecker. The result lists the workflows so that each comes after those it depends on.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from circle.compiler.compile import _stem, compile_pipeline
from circle.compiler.document import load_root
from circle.compiler.files import OUTCOMES, SUCCESS, PipelineFile
from circle.compiler.linter import lint
from circle.compiler.metadata import Metadata
from circle.compiler.steps import MAX_NAME
from circle.compiler.values import Reader, shape
from circle.compiler.yamlnodes import Node, Scalar
from circle.compiler.yamlnodes import Sequence as SequenceNode
from circle.errors import CompileError, Problem
from circle.pipeline.types import Workflow

log = logging.getLogger(__name__)

@dataclass
class _Entry:
    """One file's name, order keys and compiled workflows."""

    name: str
    path: str
    depends_on: list[tuple[str, Node]] = field(default_factory=list)
    runs_on: list[str] = field(default_factory=lambda: [SUCCESS])
    workflows: list[Workflow] = field(default_factory=list)


def compile_files(files: Sequence[PipelineFile], meta: Metadata, **options: Any) -> list[Workflow]:
    """Compile every file for the build `meta`; one file compiles as compile_pipeline does (no ordering)."""
    if len(files) == 1:
        workflows = compile_pipeline(files[0].text, meta, filename=files[0].path, **options)
        long = _long_names(files[0].path, [w.name for w in workflows])
        if long:
            raise CompileError(long)
        return workflows
    entries, problems = _order(files)
    for entry, file in zip(entries, files):
        try:
            entry.workflows = compile_pipeline(file.text, meta, filename=file.path, **options)
        except CompileError as err:
            problems += err.problems
        problems += _long_names(file.path, [_workflow_name(entry.name, w, len(entry.workflows))
                                            for w in entry.workflows])
    if problems:
        raise CompileError(_in_order(problems))
    return _ordered(_runnable(entries))


def lint_files(files: Sequence[PipelineFile], *, trusted: bool = True) -> list[Problem]:
    """Return the problems of each file and of their `depends_on` graph, by file and position."""
    problems = [p for file in files for p in lint(file.text, filename=file.path, trusted=trusted)]
    if len(files) > 1:
        problems += _order(files)[1]
    return _in_order(problems)


def _order(files: Sequence[PipelineFile]) -> tuple[list[_Entry], list[Problem]]:
    """Read each file's `depends_on` and `runs_on`, and check the graph they make."""
    entries, problems = [], []
    for file in files:
        reader = Reader(file.path, lenient=True)
        entry = _Entry(_stem(file.path), file.path)
        root = load_root(file.text, reader)
        if root is not None:
            entry.depends_on = _depends_on(root.get("depends_on"), reader)
            entry.runs_on = _runs_on(root.get("runs_on"), reader)
        else:
            reader.problems.clear()  # the file's own check (lint or compile) reports why it does not load
        problems += reader.problems
        entries.append(entry)
    return entries, problems + _check_graph(entries)


def _in_order(problems: list[Problem]) -> list[Problem]:
    """Return the distinct problems by file and position."""
    return sorted(set(problems), key=lambda p: (p.file, p.line, p.col, p.message))


def _depends_on(node: Node | None, reader: Reader) -> list[tuple[str, Node]]:
    """Read a workflow's `depends_on`: a name or a list of names, each kept with its node."""
    if node is None or isinstance(node, Scalar) and node.is_null():
        return []
    items = node.items if isinstance(node, SequenceNode) else [node]
    out: list[tuple[str, Node]] = []
    for item in items:
        if isinstance(item, Scalar) and not item.is_null():
            out.append((item.text, item))
        else:
            reader.problem(item, f"items of the workflow's `depends_on` must be workflow names, not {shape(item)}")
    return out


def _runs_on(node: Node | None, reader: Reader) -> list[str]:
    """Read a workflow's `runs_on`: `success`, `failure` or both (default `success`)."""
    values = reader.strings(node, "the workflow's `runs_on`")
    for value in values:
        if value not in OUTCOMES:
            reader.problem(node, f"`runs_on` takes success and failure, not `{value}`")
    return values or [SUCCESS]


def _check_graph(entries: list[_Entry]) -> list[Problem]:
    """Report two files with one workflow name, unknown `depends_on` names and dependency cycles."""
    problems: list[Problem] = []
    by_name: dict[str, _Entry] = {}
    for entry in entries:
        if entry.name in by_name:
            problems.append(Problem(entry.path, 1, 1, f"this file's workflow is named `{entry.name}`, "
                                                      f"like {by_name[entry.name].path}'s; rename one of them"))
        by_name.setdefault(entry.name, entry)
    for entry in entries:
        for name, node in entry.depends_on:
            if name == entry.name:
                problems.append(Problem(entry.path, node.line, node.col, f"workflow `{name}` depends on itself"))
            elif name not in by_name:
                known = ", ".join(sorted(by_name)) or "none"
                problems.append(Problem(entry.path, node.line, node.col,
                                        f"`depends_on` names `{name}`, which is no workflow of this build "
                                        f"(there are: {known})"))
    if not problems:
        problems += _cycles(entries, by_name)
    return problems


def _cycles(entries: list[_Entry], by_name: dict[str, _Entry]) -> list[Problem]:
    """Report the first dependency cycle found, at the `depends_on` entry that closes it."""
    done: set[str] = set()
    path: list[str] = []

    def visit(entry: _Entry) -> Problem | None:
        path.append(entry.name)
        for name, node in entry.depends_on:
            if name in path:
                cycle = " → ".join(path[path.index(name):] + [name])
                return Problem(entry.path, node.line, node.col, f"workflow `depends_on` makes a cycle: {cycle}")
            if name not in done:
                found = visit(by_name[name])
                if found is not None:
                    return found
        path.pop()
        done.add(entry.name)
        return None

    for entry in entries:
        if entry.name not in done:
            problem = visit(entry)
            if problem is not None:
                return [problem]
    return []


def _runnable(entries: list[_Entry]) -> list[_Entry]:
    """Drop the files with nothing to run, and (repeatedly) those depending on a dropped one."""
    kept = [e for e in entries if e.workflows]
    while True:
        names = {e.name for e in kept}
        still = [e for e in kept if all(name in names for name, _ in e.depends_on)]
        if len(still) == len(kept):
            return still
        log.debug("workflows %s dropped: a dependency has nothing to run",
                  ", ".join(e.name for e in kept if e not in still))
        kept = still


def _ordered(entries: list[_Entry]) -> list[Workflow]:
    """Name each workflow after its file (and axis), resolve its dependencies, and list them in order."""
    names = {e.name: [_workflow_name(e.name, w, len(e.workflows)) for w in e.workflows] for e in entries}
    placed: set[str] = set()
    out: list[Workflow] = []
    pending = list(entries)
    while pending:
        ready = [e for e in pending if all(name in placed for name, _ in e.depends_on)]
        for entry in ready:
            for workflow, name in zip(entry.workflows, names[entry.name]):
                workflow.name = name
                workflow.depends_on = [n for dep, _ in entry.depends_on for n in names[dep]]
                workflow.runs_on = list(entry.runs_on)
                out.append(workflow)
            placed.add(entry.name)
        pending = [e for e in pending if e not in ready]
    return out


def _long_names(path: str, names: list[str]) -> list[Problem]:
    """Report the workflow names (file name and matrix axis) longer than the server stores."""
    return [Problem(path, 1, 1, f"the workflow name `{name[:40]}…` has {len(name)} characters; at most {MAX_NAME} "
                                "(shorten the file name or the matrix values)")
            for name in names if len(name) > MAX_NAME]


def _workflow_name(file_name: str, workflow: Workflow, count: int) -> str:
    """Return a workflow's name: its file's, with the matrix axis when the file has several."""
    if count > 1 and workflow.axis:
        return f"{file_name} (" + ", ".join(f"{k}={v}" for k, v in workflow.axis.items()) + ")"
    return file_name
