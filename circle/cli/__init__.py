"""The `circle` command line: one argparse group, one module per family of commands."""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys

from circle import __version__
from circle.errors import CircleError

# Modules that each expose `register(subparsers)`; imported lazily so `circle lint` never loads Flask.
COMMAND_MODULES = ("circle.cli.server", "circle.cli.users", "circle.cli.pipeline", "circle.cli.exec",
                   "circle.cli.agent", "circle.cli.client", "circle.cli.crons", "circle.cli.retention")

# Commands that serve or poll for a long time and so run on gevent's patched stdlib.
GEVENT_COMMANDS = ("server", "agent")
# The module of commands that start often, so running one registers only it: the server's start then loads
# neither the REST client (requests) nor the pipeline runtime of `circle exec` (~85 ms of CPU).
OWNERS = {"server": "circle.cli.server", "db": "circle.cli.server", "agent": "circle.cli.agent"}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """Return the parser with every available command registered (only its own when `argv` names one of OWNERS)."""
    parser = argparse.ArgumentParser(prog="circle", description="circle continuous integration")
    parser.add_argument("--version", action="version", version=f"circle {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    owner = OWNERS.get(argv[0]) if argv else None
    for name in (owner,) if owner else COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one `circle` command; user mistakes become one sentence on stderr and exit 1."""
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except CircleError as err:
        print(f"circle: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("circle: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """Stop quietly when stdout's reader went away (`circle … | head`), with the status SIGPIPE would give."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail again
    return 128 + signal.SIGPIPE


def run() -> None:
    """Console-script entry point; long-running commands get gevent's monkey patches first."""
    if len(sys.argv) > 1 and sys.argv[1] in GEVENT_COMMANDS:
        from circle.patching import patch_all

        patch_all()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = _reader_gone()
    sys.exit(code)
