"""The `circle` parser: a server, db or agent command registers only its own module; the others see every command."""
from __future__ import annotations

import subprocess
import sys

import pytest

from circle.cli import build_parser

PROBE = """
import sys
from circle.cli import build_parser
args = build_parser({argv!r}).parse_args({argv!r})
print(args.command, sorted(m for m in sys.modules if m in ('requests', 'circle.cli.rest', 'circle.pipeline.runtime')))
"""


@pytest.mark.parametrize("argv", [["server", "--port", "0"], ["db", "status"], ["agent", "--max-procs", "2"]])
def test_a_command_that_starts_often_loads_only_its_module(argv):
    """Parsing `circle server|db|agent …` imports neither the REST client nor the pipeline runtime."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(" ", 1) == [argv[0], "[]\n"]


def test_every_command_is_known_otherwise():
    """Without argv (and for the other commands) the parser has every command, so --help lists them all."""
    commands = build_parser().format_help()
    for name in ("server", "db", "agent", "exec", "lint", "repo", "build", "purge", "user"):
        assert name in commands
    assert build_parser(["exec", "--help"]).format_help() == commands
