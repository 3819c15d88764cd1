"""`circle … | head`: a reader that goes away ends the command quietly, as SIGPIPE ends other tools."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_closed_pipe_ends_the_command_without_a_traceback(tmp_path: Path):
    steps = "".join(f"  s{i}:\n    image: alpine\n    commands: [echo {i}]\n" for i in range(2000))
    (tmp_path / ".circle.yml").write_text("pipeline:\n" + steps)
    command = subprocess.Popen([sys.executable, "-m", "circle", "compile", str(tmp_path / ".circle.yml")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert command.stdout is not None and command.stderr is not None
    first = command.stdout.readline()  # like `head -1`: read a line, then go away
    command.stdout.close()
    errors = command.stderr.read().decode()
    assert command.wait(60) == 141, errors
    assert first and errors == ""
