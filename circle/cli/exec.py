"""`circle exec`: compile a pipeline file and run it here, without a server.

The build metadata comes from the flags and the git checkout (circle.cli.metadata_flags): the clone
step fetches the checked-out commit from the work tree itself. Each workflow (matrix axis, or file of a
`.woodpecker/` directory, after those it `depends_on`) runs in turn on the chosen backend; lines print
as `[step] line` as they arrive, and one summary line per step. Ctrl-C cancels the running pipeline: its
steps are stopped and everything it created is removed.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from circle.cli.metadata_flags import add_metadata_flags, metadata_from_args
from circle.cli.pipeline import read_files
from circle.compiler import DEFAULT_CLONE_IMAGE
from circle.compiler.files import DEFAULT_DIR, DEFAULT_FILES, PipelineFile, runs_after
from circle.compiler.workflows import compile_files
from circle.errors import InvalidInput, NotFound
from circle.pipeline.collect import Collected
from circle.pipeline.errors import PipelineError
from circle.pipeline.types import KIND_CLONE, Config, LogLine, Step, StepState
from circle.states import SKIPPED, SUCCESS, step_state

if TYPE_CHECKING:  # imported by `circle exec` itself, so that the other commands start faster
    from circle.pipeline.result import RunResult
    from circle.pipeline.runtime import Runtime

EXIT_INTERRUPTED = 130


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `exec` command."""
    parser = sub.add_parser("exec", help="run a pipeline here, without a server")
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help="pipeline file or directory of workflow files (default .circle.yml, .drone.yml, "
                             ".woodpecker.yml, .woodpecker.yaml, then .woodpecker/)")
    parser.add_argument("--backend", choices=("auto", "local", "docker"), default="auto",
                        help="how steps run: local processes or docker containers (default auto)")
    parser.add_argument("--clone-image", default=DEFAULT_CLONE_IMAGE,
                        help=f"image of the clone step on docker (default {DEFAULT_CLONE_IMAGE})")
    parser.add_argument("--timeout", type=float, metavar="MINUTES", help="stop the pipeline after MINUTES")
    add_metadata_flags(parser)
    parser.set_defaults(func=cmd_exec)


class ConsoleTracer:
    """Print each line as `[step] line` and one summary line per finished step."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._started: dict[str, float] = {}

    def state(self, step: Step, state: StepState) -> None:
        """Print a summary when a step ends or is skipped."""
        if not state.exited:
            self._started[step.name] = time.monotonic()
            return
        if state.skipped:
            summary = SKIPPED
        else:
            seconds = time.monotonic() - self._started.pop(step.name, time.monotonic())
            label = step_state(skipped=False, exited=True, killed=state.killed, error=state.error,
                               exit_code=state.exit_code)
            summary = f"{label} (exit code {state.exit_code}, {seconds:.2f}s)"
        self.out.write(f"[{step.name}] --- {summary}\n")
        self.out.flush()

    def line(self, step: Step, line: LogLine) -> None:
        """Print one output line."""
        self.out.write(f"[{step.name}] {line.out}\n")

    def file(self, step: Step, found: Collected) -> None:
        """Say which file a server would have received."""
        kind = "report" if found.report else "artifact"
        self.out.write(f"[{step.name}] --- {kind} {found.name} ({len(found.data)} bytes)\n")


def pipeline_files(name: str | None) -> list[PipelineFile]:
    """Return what to run: FILE (a file or a directory of workflow files), else the first of DEFAULT_FILES
    here, else every workflow file of .woodpecker/."""
    if name:
        return read_files(name)
    for candidate in DEFAULT_FILES:
        if Path(candidate).is_file():
            return read_files(candidate)
    if Path(DEFAULT_DIR).is_dir():
        return read_files(DEFAULT_DIR)
    raise NotFound(f"no pipeline file here: none of {', '.join(DEFAULT_FILES)} or {DEFAULT_DIR}/*.yml exists")


def share_local_remotes(config: Config) -> None:
    """Let clone containers read a work tree on this host: mount it read-only at its own path."""
    for step in config.steps():
        remote = step.environment.get("CI_REPO_REMOTE", "")
        if step.kind == KIND_CLONE and os.path.isabs(remote) and os.path.isdir(remote):
            step.volumes.append(f"{remote}:{remote}:ro")
            # The work tree belongs to the user, the container runs as root: let git read it anyway.
            step.environment.update({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory",
                                     "GIT_CONFIG_VALUE_0": "*"})


def run_interruptibly(runtime: Runtime) -> tuple[RunResult, bool]:
    """Run the pipeline in a thread; Ctrl-C cancels it. Return the result and whether it was interrupted."""
    results: list[RunResult] = []
    errors: list[BaseException] = []
    done = threading.Event()  # Thread.join can lose track of the thread when Ctrl-C lands inside it

    def work() -> None:
        try:
            results.append(runtime.run())
        except BaseException as err:  # handed to the main thread, which raises it
            errors.append(err)
        finally:
            done.set()

    threading.Thread(target=work, name="circle-exec", daemon=True).start()
    interrupted = False
    while not done.is_set():
        try:
            done.wait(0.2)
        except KeyboardInterrupt:
            if not interrupted:
                print("circle: cancelling, removing what the pipeline created…", file=sys.stderr)
            interrupted = True
            runtime.cancel()
    if errors:
        raise errors[0]
    return results[0], interrupted


def cmd_exec(args: argparse.Namespace) -> int:
    """Compile FILE with the metadata flags and run every workflow (file and matrix axis) in order; 0 when all
    that ran succeeded."""
    from circle.pipeline.backends import get_backend, resolve
    from circle.pipeline.runtime import Runtime

    files = pipeline_files(args.file)
    meta, secrets, env = metadata_from_args(args)
    workflows = compile_files(files, meta, secrets=secrets, trusted=True, env=env, clone_image=args.clone_image)
    if not workflows:
        print(f"circle: {args.file or files[0].path} has nothing to run for this build", file=sys.stderr)
        return 0
    try:
        backend_name = resolve(args.backend)
    except PipelineError as err:
        raise InvalidInput(str(err)) from err
    failed = False
    ended: dict[str, str] = {}  # workflow name → final state, for the `depends_on` of later ones
    for workflow in workflows:
        deps = [ended[name] for name in workflow.depends_on]
        if deps and not runs_after(deps, workflow.runs_on):
            print(f"=== {workflow.name} skipped: {', '.join(workflow.depends_on)} ended {', '.join(deps)}", flush=True)
            ended[workflow.name] = SKIPPED
            continue
        if len(workflows) > 1:
            axis = " ".join(f"{k}={v}" for k, v in workflow.axis.items()) if len(files) == 1 else ""
            print(f"=== {workflow.name or 'workflow'} {axis}".rstrip(), flush=True)
        if backend_name == "docker":
            share_local_remotes(workflow.config)
        # The caller's own file on the caller's checkout, as the caller: the agent's sandbox is not needed.
        runtime = Runtime(workflow.config, get_backend(backend_name, sandbox=False), ConsoleTracer(sys.stdout),
                          timeout=args.timeout * 60 if args.timeout else None)
        result, interrupted = run_interruptibly(runtime)
        sys.stdout.flush()
        if interrupted:
            return EXIT_INTERRUPTED
        ended[workflow.name] = result.state
        if result.state != SUCCESS:
            failed = True
            reason = f": {result.error}" if result.error else ""
            print(f"circle: pipeline {result.state} (exit code {result.exit_code}){reason}", file=sys.stderr)
    return 1 if failed else 0
