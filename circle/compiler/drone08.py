"""The Drone 0.8 front end: a file whose steps sit in the ordered `pipeline:` map.

Drone 0.8 kept steps that share a name (each ran); circle keeps them too and renames later
duplicates when they survive filtering. Unknown step keys are plugin settings. Woodpecker's
legacy files (before 1.0) used the same layout and are read here as well, unless they have a
top-level `when:` (document.dialect_of gives those to the Woodpecker front end).
"""
from __future__ import annotations

import logging

from circle.compiler.model import DRONE08, PipelineDef
from circle.compiler.sections import INERT_TOP, read_collection, read_common, unknown_top
from circle.compiler.values import Reader
from circle.compiler.yamlnodes import Mapping
from circle.pipeline.types import KIND_STEP

log = logging.getLogger(__name__)

TOP_KEYS = ("pipeline", "services", "clone", "skip_clone", "workspace", "matrix", "branches", "labels",
            "platform") + INERT_TOP


def parse(root: Mapping, reader: Reader) -> PipelineDef:
    """Read a Drone 0.8 pipeline file."""
    pipeline = PipelineDef(DRONE08)
    for name, key, value in reader.keys(root, (), "the pipeline file"):
        if name == "pipeline":
            pipeline.steps = read_collection(value, KIND_STEP, reader, "`pipeline`", duplicates_ok=True)
        elif not read_common(name, key, value, pipeline, reader):
            unknown_top(name, key, value, TOP_KEYS, reader)
    return pipeline
