"""`matrix:`: a map of lists (every combination) or `include:` (an explicit list of axes).

Axes come in document order; with a map of lists the first key varies slowest. Values are kept
as written (`1.10` stays "1.10"), as Drone read them into strings.
"""
from __future__ import annotations

import itertools
import logging

from circle.compiler.values import Reader
from circle.compiler.yamlnodes import Node, Sequence

log = logging.getLogger(__name__)

MAX_AXES = 25  # variables in one matrix
MAX_COMBINATIONS = 256  # workflows one build may have (Drone 0.8 stopped at 25); each becomes a task


def parse_matrix(node: Node | None, reader: Reader) -> list[dict[str, str]]:
    """Return the list of axes (one dict per combination); no matrix gives [{}]."""
    mapping = reader.mapping(node, "`matrix`")
    if mapping is None:
        return [{}]
    entries = reader.keys(mapping, (), "`matrix`")
    include = [value for name, _, value in entries if name == "include"]
    if include:  # both upstreams use `include` alone and ignore any lists beside it
        return _included(include[0], reader) or [{}]
    if len(entries) > MAX_AXES:
        reader.problem(mapping, f"`matrix` has {len(entries)} variables; the limit is {MAX_AXES}")
        return [{}]
    names, values = [], []
    for name, _, value in entries:
        names.append(name)
        values.append(reader.strings(value, f"`{name}` of `matrix`") or [""])
    count = 1
    for options in values:
        count *= len(options)
    if count > MAX_COMBINATIONS:
        reader.problem(mapping, f"`matrix` makes {count} combinations; the limit is {MAX_COMBINATIONS}")
        return [{}]
    return [dict(zip(names, combo)) for combo in itertools.product(*values)] or [{}]


def _included(node: Node, reader: Reader) -> list[dict[str, str]]:
    """Read `include:`, a list of maps of strings."""
    if not isinstance(node, Sequence):
        reader.problem(node, "`include` of `matrix` must be a list of mappings")
        return []
    seq = node.items
    if len(seq) > MAX_COMBINATIONS:
        reader.problem(node, f"`matrix` lists {len(seq)} combinations; the limit is {MAX_COMBINATIONS}")
        return []
    axes = []
    for item in seq:
        mapping = reader.mapping(item, "an item of `matrix.include`")
        if mapping is None:
            continue
        entries = reader.keys(mapping, (), "an item of `matrix.include`")
        if len(entries) > MAX_AXES:
            reader.problem(mapping, f"this matrix item has {len(entries)} variables; the limit is {MAX_AXES}")
            continue
        axes.append({name: reader.string(value, f"`{name}` of a `matrix` item") for name, _, value in entries})
    return axes
