"""Pipeline YAML (Drone 0.8 and Woodpecker styles) → the IR of circle.pipeline.types.

    text ─ yamlnodes.load ─▶ node tree (positions, anchors, merges)
         ─ matrix ─▶ axes
         ─ per axis: substitute ─▶ drone08 / woodpecker front end ─▶ model.PipelineDef
         ─ constraints (when) ─ environment + secrets + clone ─ stages ─▶ [Workflow]

Pure: no Flask, database or docker imports. Every user mistake is a CompileError carrying
positioned Problems; `lint` returns the same problems without needing build metadata.
`schema.pipeline_schema()` is the JSON Schema of the files, built from the same key tables.
"""
from __future__ import annotations

from circle.compiler.clone import DEFAULT_CLONE_IMAGE
from circle.compiler.compile import compile_pipeline
from circle.compiler.linter import lint
from circle.compiler.metadata import Metadata
from circle.compiler.secrets import SecretSpec

__all__ = ["DEFAULT_CLONE_IMAGE", "Metadata", "SecretSpec", "compile_pipeline", "lint"]
