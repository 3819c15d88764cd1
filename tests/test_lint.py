"""The code stays clean under ruff and mypy (configured in pyproject.toml and setup.cfg)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean():
    """`ruff check` finds nothing in the code, the tests and the scripts."""
    done = _run("ruff", "check", "circle", "tests", "bench", "agent.py", "app.py")
    assert done.returncode == 0, f"ruff check failed:\n{done.stdout}{done.stderr}"


def test_mypy_is_clean():
    """mypy finds no type errors in circle."""
    done = _run("mypy")
    assert done.returncode == 0, f"mypy failed:\n{done.stdout}{done.stderr}"
