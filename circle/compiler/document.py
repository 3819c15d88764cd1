"""A pipeline file as a whole: YAML text → one root mapping, its dialect, and the front end to read it."""
from __future__ import annotations

import logging
from collections.abc import Callable

from circle.compiler import drone08, woodpecker
from circle.compiler.model import DRONE08, WOODPECKER, PipelineDef
from circle.compiler.values import Reader, shape
from circle.compiler.yamlnodes import Mapping, Node, Scalar, Sequence, YamlError, load

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1024 * 1024  # a pipeline file larger than this is refused before YAML reads it
MAX_STEPS = 2000  # steps (and services) in one pipeline; each becomes a proc, a container and a log

FRONT_ENDS: dict[str, Callable[[Mapping, Reader], PipelineDef]] = {
    DRONE08: drone08.parse,
    WOODPECKER: woodpecker.parse,
}


def load_root(text: str, reader: Reader) -> Mapping | None:
    """Return the root mapping of `text`, or None after recording why there is none."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        reader.problem(None, f"the pipeline file is {size} bytes; the limit is {MAX_FILE_BYTES} (1 MiB)")
        return None
    try:
        documents = load(text)
    except YamlError as err:
        tab = _indenting_tab(text, err.line)
        if tab is not None:
            reader.problem_at(err.line, tab, "a tab is used for indentation; YAML indents with spaces only")
        else:
            reader.problem_at(err.line, err.col, err.message)
        return None
    documents = [d for d in documents if not (isinstance(d, Scalar) and d.is_null())]
    if not documents:
        reader.problem(None, "the file is empty: it needs `steps:` (or Drone's `pipeline:`)")
        return None
    kind = documents[0].key_node("kind") if isinstance(documents[0], Mapping) else None
    if kind is not None:
        reader.problem(kind, "this is a Drone 1.x file (`kind:`); circle reads Drone 0.8 files (`pipeline:`) "
                             "and Woodpecker files (`steps:`)")
        return None
    if len(documents) > 1:
        reader.problem(documents[1], "a second YAML document (`---`): circle reads one pipeline per file "
                                     "(multi-document files are Drone 1.0's format)")
        return None
    root = documents[0]
    if not isinstance(root, Mapping):
        reader.problem(root, f"a pipeline file is a mapping with `steps:` (or `pipeline:`), not {shape(root)}")
        return None
    return root


def _indenting_tab(text: str, line: int) -> int | None:
    """Return the 1-based column of a tab in the indentation of `line`, if there is one."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    row = lines[line - 1]
    indent = row[:len(row) - len(row.lstrip(" \t"))]
    return indent.index("\t") + 1 if "\t" in indent else None


def dialect_of(root: Mapping, reader: Reader) -> str | None:
    """Return which front end reads `root`, or None after recording why neither does."""
    steps, pipeline = root.key_node("steps"), root.key_node("pipeline")
    if steps is not None and pipeline is not None:
        reader.problem(pipeline, "the file has both `steps:` (Woodpecker) and `pipeline:` (Drone 0.8); keep one")
        return None
    if steps is None and pipeline is None:
        reader.problem(root, "the file has no `steps:` (or Drone's `pipeline:`)")
        return None
    section = root.get("steps" if steps is not None else "pipeline")
    if _is_empty(section):
        reader.problem(steps or pipeline, "the pipeline has no steps")
        return None
    count = len(section.pairs) if isinstance(section, Mapping) else len(getattr(section, "items", ()))
    if count > MAX_STEPS:
        reader.problem(steps or pipeline, f"the pipeline has {count} steps; the limit is {MAX_STEPS}")
        return None
    # Woodpecker before 3.0 still read `pipeline:`; a top-level `when:` (never Drone 0.8's) marks such a file
    return WOODPECKER if steps is not None or root.key_node("when") is not None else DRONE08


def parse_root(root: Mapping, dialect: str, reader: Reader) -> PipelineDef:
    """Read `root` with the front end of `dialect`."""
    return FRONT_ENDS[dialect](root, reader)


def _is_empty(node: Node | None) -> bool:
    """Return whether a section is null or an empty collection."""
    if node is None:
        return True
    if isinstance(node, Scalar):
        return node.is_null()
    if isinstance(node, Mapping):
        return not node.pairs
    return isinstance(node, Sequence) and not node.items
