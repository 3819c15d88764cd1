"""Buildbot measured by its own harness, ../shared/bench/buildbot/run.sh, whose JSON is read back."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import procs
from bench.wire import BenchError

RUN_SH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "buildbot" / "run.sh"


def run(run_sh: Path, quick: bool, deadline: float, extra: list[str]) -> dict[str, Any]:
    """Run Buildbot's bench (setup.sh builds its venv on first use) within the time left; return its JSON."""
    if not run_sh.exists():
        raise BenchError(f"Buildbot's harness is not at {run_sh}; pass --buildbot-run-sh")
    left = deadline - time.monotonic()
    if left < 60:
        raise BenchError("less than a minute left for Buildbot; raise --max-seconds")
    fd, out_path = tempfile.mkstemp(prefix="buildbot-", suffix=".json")
    os.close(fd)
    argv = [str(run_sh), "--max-seconds", str(int(left - 30)), *(["--quick"] if quick else []), *extra]
    try:
        # run.sh → timeout → bench.py → master and workers: stopping it signals each of those PIDs.
        runner = procs.Proc("buildbot run.sh", argv, {**os.environ, "OUT": out_path}, None, tree=True)
        try:
            code = runner.popen.wait(left + 60)
        except subprocess.TimeoutExpired:
            raise BenchError("Buildbot's bench overran the time limit") from None
        finally:
            runner.stop(grace=40)
        if code != 0:
            raise BenchError(f"Buildbot's bench exited with {code}")
        return json.loads(Path(out_path).read_text())
    finally:
        os.unlink(out_path)
