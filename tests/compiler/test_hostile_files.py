"""Hostile pipeline files are refused with file:line:col and the limit: huge, alias bombs, deep, too many steps."""
from __future__ import annotations

import pytest

from circle.compiler.compile import compile_pipeline
from circle.compiler.document import MAX_FILE_BYTES, MAX_STEPS
from circle.compiler.metadata import Metadata
from circle.errors import CompileError


def _steps(count: int) -> str:
    """Return a Woodpecker file of `count` one-command steps."""
    return "steps:\n" + "".join(f"  s{i}:\n    image: busybox\n    commands: [echo {i}]\n" for i in range(count))


def _alias_bomb() -> str:
    """Return a 'billion laughs' file: nine levels of nine aliases each."""
    levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for index in range(1, 9):
        name, previous = chr(97 + index), chr(96 + index)
        levels.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    return "\n".join(levels) + "\nsteps:\n  b:\n    image: busybox\n    commands: *i\n"


HOSTILE = {
    "over 1 MiB": ("steps:\n  b:\n    image: busybox\n    commands:\n"
                   + f"      - echo {'y' * 100}\n" * (MAX_FILE_BYTES // 100), f"the limit is {MAX_FILE_BYTES}"),
    "alias bomb": (_alias_bomb(), "expands to more than"),
    "deep nesting": ("steps:\n  b:\n    image: busybox\n    environment:\n      X: " + "[" * 5000 + "]" * 5000,
                     "nesting deeper than"),
    "too many steps": (_steps(MAX_STEPS + 1), f"the pipeline has {MAX_STEPS + 1} steps; the limit is {MAX_STEPS}"),
    "huge matrix": ("matrix:\n" + "".join(f"  V{i}: [a, b, c]\n" for i in range(6)) + _steps(1),
                    "combinations; the limit is"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_refused(name):
    """Each is a CompileError naming the place and the limit (before any expansion is built)."""
    text, words = HOSTILE[name]
    with pytest.raises(CompileError) as caught:
        compile_pipeline(text, Metadata())
    assert words in str(caught.value) and ".circle.yml:" in str(caught.value)


def test_the_largest_allowed_pipeline_compiles():
    """MAX_STEPS steps are still one workflow of MAX_STEPS steps."""
    [workflow] = compile_pipeline(_steps(MAX_STEPS), Metadata())
    assert sum(len(stage.steps) for stage in workflow.config.stages) == MAX_STEPS + 1  # and the clone step
