"""`circle lint FILE`, `circle compile FILE [metadata flags]` and `circle schema`."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from circle.cli.metadata_flags import add_metadata_flags, metadata_from_args
from circle.compiler import DEFAULT_CLONE_IMAGE
from circle.compiler.files import PIPELINE_SUFFIXES, PipelineFile, decode
from circle.compiler.workflows import compile_files, lint_files
from circle.errors import CompileError, InvalidInput

log = logging.getLogger(__name__)
OUTPUT_PIECE = 1 << 16  # characters per write of print_json


def register(sub: Any) -> None:
    """Add the `lint` and `compile` commands to the subparsers `sub`."""
    lint_parser = sub.add_parser("lint", help="check a pipeline file", description="Check a pipeline file; "
                                 "print one FILE:LINE:COL: message line per problem.")
    lint_parser.add_argument("file", metavar="FILE", help="a pipeline file, or a directory of workflow files")
    lint_parser.add_argument("--untrusted", action="store_true",
                             help="also report options only trusted repositories may use (privileged, host volumes…)")
    lint_parser.set_defaults(func=run_lint)

    compile_parser = sub.add_parser("compile", help="print the compiled pipeline (IR) as JSON",
                                    description="Compile a pipeline file for a build and print "
                                                '[{"axis": {...}, "config": {...}}, ...].')
    compile_parser.add_argument("file", metavar="FILE", help="a pipeline file, or a directory of workflow files")
    add_metadata_flags(compile_parser)
    compile_parser.add_argument("--untrusted", action="store_true", help="compile as for an untrusted repository")
    compile_parser.add_argument("--clone-image", default=DEFAULT_CLONE_IMAGE, help="image of the default clone step")
    compile_parser.set_defaults(func=run_compile)

    schema_parser = sub.add_parser("schema", help="print the JSON Schema of pipeline files",
                                   description="Print the JSON Schema (draft 2020-12) of the pipeline files "
                                               "circle reads, for editors to check files against.")
    schema_parser.set_defaults(func=run_schema)


def run_lint(args: argparse.Namespace) -> int:
    """Print the problems of FILE (or of every workflow file of a directory), or "FILE: ok"; exit 1 on problems."""
    try:
        problems = lint_files(read_files(args.file), trusted=not args.untrusted)
    except CompileError as err:  # a file that is not UTF-8 text
        problems = err.problems
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{args.file}: ok")
    return 1 if problems else 0


def run_compile(args: argparse.Namespace) -> int:
    """Print the workflows of FILE (or of a directory's files, in dependency order) as JSON, or its problems."""
    meta, secrets, env = metadata_from_args(args)
    try:
        workflows = compile_files(read_files(args.file), meta, secrets=secrets, env=env,
                                  trusted=not args.untrusted, clone_image=args.clone_image)
    except CompileError as err:
        for problem in err.problems:
            print(problem)
        return 1
    print_json([w.to_json() for w in workflows])
    return 0


def run_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of a pipeline file."""
    from circle.compiler.schema import pipeline_schema

    print_json(pipeline_schema())
    return 0


def print_json(data: Any) -> None:
    """Print `data` as indented JSON: encoded at once (json.dump writes every token on its own, one system call
    each when stdout is unbuffered), written in pieces (so a reader that goes away is noticed, `| head`)."""
    text = json.dumps(data, indent=2) + "\n"
    for start in range(0, len(text), OUTPUT_PIECE):
        sys.stdout.write(text[start:start + OUTPUT_PIECE])


def read_files(path: str) -> list[PipelineFile]:
    """Return FILE, or every `*.yml`/`*.yaml` directly inside the directory FILE (one workflow each)."""
    if not Path(path).is_dir():
        return [PipelineFile(path, _read(path))]
    names = sorted(p for p in Path(path).iterdir() if p.suffix in PIPELINE_SUFFIXES and p.is_file())
    if not names:
        raise InvalidInput(f"{path} holds no *.yml or *.yaml file")
    return [PipelineFile(str(name), _read(str(name))) for name in names]


def _read(path: str) -> str:
    """Return the text of a pipeline file, or raise a one-sentence error (CompileError when it is not UTF-8)."""
    try:
        return decode(Path(path).read_bytes(), path)
    except FileNotFoundError:
        raise InvalidInput(f"{path} does not exist") from None
    except OSError as err:
        raise InvalidInput(f"cannot read {path}: {err.strerror}") from None
