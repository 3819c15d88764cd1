"""Pipeline YAML (Drone 0.8 and Woodpecker styles) → the IR of circle.pipeline.types.

    text ─ yamlnodes.load ─▶ node tree (positions, anchors, merges)
         ─ matrix ─▶ axes
         ─ per axis: substitute ─▶ drone08 / woodpecker front end ─▶ model.PipelineDef
         ─ constraints (when) ─ environment + secrets + clone ─ stages ─▶ [Workflow]

Pure: no Flask, database or docker imports. Every user mistake is a CompileError carrying
positioned Problems; `lint` returns the same problems without needing build metadata.
`schema.pipeline_schema()` is the JSON Schema of the files, built from the same key tables.

The names below load on first use (a module `__getattr__`, PEP 562): importing the package, or a light
module of it (files, metadata, secrets), does not import the front ends, so the server starts without the
compiler and loads it with the first build. Callers that want that write `compiler.compile_files(…)`.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from circle.compiler.clone import DEFAULT_CLONE_IMAGE as DEFAULT_CLONE_IMAGE
    from circle.compiler.compile import compile_pipeline as compile_pipeline
    from circle.compiler.linter import lint as lint
    from circle.compiler.metadata import Metadata as Metadata
    from circle.compiler.schema import pipeline_schema as pipeline_schema
    from circle.compiler.secrets import SecretSpec as SecretSpec
    from circle.compiler.workflows import compile_files as compile_files

# Each exported name → the module that defines it.
_EXPORTS = {"DEFAULT_CLONE_IMAGE": "clone", "Metadata": "metadata", "SecretSpec": "secrets",
            "compile_files": "workflows", "compile_pipeline": "compile", "lint": "linter",
            "pipeline_schema": "schema"}


def __getattr__(name: str) -> Any:
    """Import the module that defines an exported name, on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
