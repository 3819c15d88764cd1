"""lint: every problem of a pipeline file, without build metadata.

The file is read as written: `${VAR}` stays unexpanded (only its syntax is checked), so values
that hold one are not type-checked, and every step is checked whatever its `when` says.
compile_pipeline runs the same checks first, then checks again what each axis substitutes.
"""
from __future__ import annotations

import logging

from circle.compiler.document import dialect_of, load_root, parse_root
from circle.compiler.matrix import parse_matrix
from circle.compiler.model import StepDef
from circle.compiler.stages import check_dependencies
from circle.compiler.steps import StepReader
from circle.compiler.substitute import TreeSubstituter
from circle.compiler.trust import check_trust
from circle.compiler.values import Reader
from circle.compiler.yamlnodes import Mapping, Node, Scalar, Sequence
from circle.errors import Problem

log = logging.getLogger(__name__)


def lint(text: str, *, filename: str, trusted: bool = True) -> list[Problem]:
    """Return the problems of pipeline `text` (empty when it is valid), in file order."""
    reader = Reader(filename, lenient=True)
    root = load_root(text, reader)
    if root is None:
        return reader.problems
    dialect = dialect_of(root, reader)
    parse_matrix(root.get("matrix"), reader)
    if dialect is not None:
        check_file(root, dialect, reader, trusted)
    return sorted_problems(reader.problems)


def check_file(root: Mapping, dialect: str, reader: Reader, trusted: bool) -> list[StepDef]:
    """Check every step of the unsubstituted file; return the steps (of `pipeline:`/`steps:`) as read."""
    substituter = TreeSubstituter({}, keep_unknown=True)
    substituter.apply(root)
    for node, message in substituter.errors:
        reader.problem(node, message)
    pipeline = parse_root(root, dialect, reader)
    steps = StepReader(dialect, reader)
    defs = [steps.step(entry) for entry in pipeline.steps]
    others = [steps.step(entry) for entry in [*pipeline.services, *(pipeline.clone or [])]]
    for step in [*defs, *others]:
        for name, value in step.settings:
            _check_duplicate_keys(value, reader, f"setting `{name}` of {step.kind} `{step.name}`")
    check_dependencies(defs, reader)
    if not trusted:
        check_trust([*others, *defs], reader)
    return defs


def _check_duplicate_keys(node: Node, reader: Reader, what: str) -> None:
    """Report every key that appears twice in one mapping anywhere inside a setting's value."""
    if isinstance(node, Sequence):
        for item in node.items:
            _check_duplicate_keys(item, reader, what)
    elif isinstance(node, Mapping):
        seen: set[str] = set()
        for key, value in node.pairs:
            if isinstance(key, Scalar):
                if key.text in seen:
                    reader.problem(key, f"`{key.text}` appears twice in a mapping of {what}")
                seen.add(key.text)
            _check_duplicate_keys(value, reader, what)


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    """Return the distinct problems by position."""
    return sorted(set(problems), key=lambda p: (p.line, p.col, p.message))
