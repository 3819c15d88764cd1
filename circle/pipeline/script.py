"""The shell script a step's commands become: `set -e`, then each command echoed as `+ cmd` (unless told not to).

Both the local and the docker backend run it with `sh -e`, so a step behaves the same on either.
The clone step is no exception: the compiler gives it its git commands (circle.compiler.clone), which print
one readable line per action themselves, so its script echoes nothing (`Step.trace` false).
The script sends its stderr to its stdout: one stream keeps the order in which lines were written
(docker copies a container's two streams separately and may swap lines written close together).
"""
from __future__ import annotations

import shlex


def step_script(commands: list[str], trace: bool = True) -> str:
    """Return a `sh -e` script that runs the commands, echoing each as `+ cmd` before it when `trace`."""
    body = [f"printf '%s\\n' {shlex.quote('+ ' + command)}\n{command}\n" if trace else f"{command}\n"
            for command in commands]
    return "set -e\nexec 2>&1\n" + "".join(body)
