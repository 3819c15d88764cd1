"""A repository's pipeline files: where they are looked for, their text, and the `runs_on` rule between them.

Light on purpose (no YAML, no front end): the server's services read files and settle workflows with these
names at every build, while the compiler itself loads only when a build compiles (see circle.compiler).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from circle import states
from circle.errors import CompileError, Problem

SUCCESS, FAILURE = "success", "failure"
OUTCOMES = (SUCCESS, FAILURE)
# The states of a dependency that count as `failure` for `runs_on`.
DEPENDENCY_FAILED = (states.FAILURE, states.ERROR, states.KILLED)
# Where a repository's pipeline is looked for (the server's default config, `circle exec`): the first
# of these files, else every workflow file of DEFAULT_DIR.
DEFAULT_FILES = (".circle.yml", ".drone.yml", ".woodpecker.yml", ".woodpecker.yaml")
DEFAULT_DIR = ".woodpecker"
# The files of a directory that are workflows (Woodpecker reads these, and no subdirectory).
PIPELINE_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class PipelineFile:
    """One pipeline file read from the repo: its path and text."""

    path: str
    text: str


def decode(data: bytes, filename: str) -> str:
    """Return a pipeline file's text; raise CompileError at the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        col = len(data[data.rfind(b"\n", 0, err.start) + 1:err.start].decode("utf-8", "replace")) + 1
        problem = Problem(filename, line, col, f"the file is not UTF-8 text (byte 0x{data[err.start]:02X})")
        raise CompileError([problem]) from None


def runs_after(deps: Sequence[str], runs_on: Sequence[str]) -> bool:
    """Tell whether a workflow with `runs_on` runs once its dependencies ended in the states `deps`.

    `success` when every dependency succeeded, `failure` when one failed, errored or was killed; a skipped
    dependency is neither, so only `[success, failure]` runs after it.
    """
    if {SUCCESS, FAILURE} <= set(runs_on):
        return True
    if all(state == states.SUCCESS for state in deps):
        return SUCCESS in runs_on
    return FAILURE in runs_on and any(state in DEPENDENCY_FAILED for state in deps)
