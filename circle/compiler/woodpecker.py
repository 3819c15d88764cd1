"""The Woodpecker front end: a file with `steps:` (a list, or a map), a top-level `when:`,
`depends_on` between steps, plugin `settings:` and `from_secret` values. Woodpecker 1.x/2.x files
that still name their steps `pipeline:` come here too when they have a top-level `when:`.
"""
from __future__ import annotations

import logging

from circle.compiler.model import WOODPECKER, PipelineDef
from circle.compiler.sections import INERT_TOP, read_collection, read_common, top_condition, unknown_top
from circle.compiler.values import Reader
from circle.compiler.yamlnodes import Mapping
from circle.pipeline.types import KIND_STEP

log = logging.getLogger(__name__)

TOP_KEYS = ("steps", "pipeline", "services", "clone", "skip_clone", "workspace", "matrix", "when", "labels", "platform",
            "branches") + INERT_TOP


def parse(root: Mapping, reader: Reader) -> PipelineDef:
    """Read a Woodpecker pipeline file."""
    pipeline = PipelineDef(WOODPECKER)
    for name, key, value in reader.keys(root, (), "the pipeline file"):
        if name in ("steps", "pipeline"):
            pipeline.steps = read_collection(value, KIND_STEP, reader, f"`{name}`")
        elif name == "when":
            pipeline.filters.append(top_condition(value, reader))
        elif not read_common(name, key, value, pipeline, reader):
            unknown_top(name, key, value, TOP_KEYS, reader)
    return pipeline
