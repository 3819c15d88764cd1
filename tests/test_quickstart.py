"""The README's first hour, executed: `make run` in a fresh copy of the repository prints the admin's password
before anything else, that password logs in, and the quick-start block run as written gives a green build."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests

from e2e.harness import FINAL, clean_env, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- quickstart -->\n```sh\n(.*?)```\n<!-- /quickstart -->", re.S)
IDENTITY = {"GIT_AUTHOR_NAME": "Newcomer", "GIT_AUTHOR_EMAIL": "new@example.com",
            "GIT_COMMITTER_NAME": "Newcomer", "GIT_COMMITTER_EMAIL": "new@example.com"}


def quickstart() -> str:
    """Return the commands of the README's marked quick-start block."""
    match = BLOCK.search(README.read_text())
    assert match, "README.md has no <!-- quickstart --> ```sh block"
    return match.group(1)


def fresh_copy(target: Path) -> Path:
    """Copy the repository's tracked files to `target`, with a .venv that make considers installed (its python
    and circle run this interpreter on the copy)."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    bin_dir = target / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, run in (("python", f'exec {sys.executable} "$@"'), ("circle", f'exec {sys.executable} -m circle "$@"')):
        (bin_dir / name).write_text(f"#!/bin/sh\n{run}\n")
        (bin_dir / name).chmod(0o755)
    (target / ".venv" / ".installed").touch()
    return target


@pytest.fixture
def newcomer(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], subprocess.Popen, list[str], int]]:
    """`make run` (on a free port) in a fresh copy; yield the copy, its environment, the process, what it printed
    up to "listening on", and the port."""
    copy = fresh_copy(tmp_path / "circle")
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    # Steps run on the local backend: this machine's docker engine cannot pull the README's `alpine`.
    env = clean_env(HOME=str(home), PYTHONPATH=str(copy), CIRCLE_AGENT_BACKEND="local", **IDENTITY)
    for name in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS"):  # a newcomer types `make run` in a shell, not inside make
        env.pop(name, None)
    server = subprocess.Popen(["make", "run", f"RUN_ARGS=--port {port}"], cwd=copy, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    printed: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if not line and server.poll() is not None:
            break
        printed.append(line.rstrip("\n"))
        if "listening on" in line:
            break
    try:
        assert any("listening on" in line for line in printed), printed
        yield copy, env, server, printed, port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def test_make_run_then_the_quick_start_gives_a_green_build(newcomer) -> None:
    """The password comes right after the command line and logs in; the quick start builds its push green."""
    copy, env, _, printed, port = newcomer
    url = f"http://127.0.0.1:{port}"
    first = next(i for i, line in enumerate(printed) if line == "created the first user; this is shown once:")
    assert printed[0] == f".venv/bin/circle server --port {port}", printed
    # Above the admin's password only the command line and circle's lines about migrating the database.
    assert 1 <= first <= 3 and all("INFO circle.database: " in line for line in printed[1:first]), printed
    assert printed[first + 1] == "  login:    admin" and printed[first + 2].startswith("  password: "), printed
    password = printed[first + 2].split(":", 1)[1].strip()

    browser = requests.Session()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(f"{url}/login", timeout=30).text).group(1)
    login = browser.post(f"{url}/login", data={"login": "admin", "password": password, "csrf_token": csrf},
                         allow_redirects=False, timeout=30)
    assert login.status_code == 302 and login.headers["Location"] == "/", login.text

    done = subprocess.run(["bash", "-e", "-c", quickstart()], cwd=copy, text=True, capture_output=True, timeout=120,
                          env={**env, "CIRCLE_SERVER": url})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "registered local SCM 'disk' as SCM 1" in done.stdout and "activated demo/hello" in done.stdout

    deadline = time.monotonic() + 60
    while True:
        builds = browser.get(f"{url}/api/repos/1/builds", timeout=30).json()
        if builds and builds[0]["status"] in FINAL or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [(b["number"], b["event"], b["status"]) for b in builds] == [(1, "push", "success")], builds
    procs = browser.get(f"{url}/api/repos/1/builds/1", timeout=30).json()["procs"]
    pid = next(p["pid"] for p in procs if p["name"] == "hello")
    log = browser.get(f"{url}/api/repos/1/builds/1/logs/{pid}?format=text", timeout=30).text
    assert f"hello from demo/hello at {builds[0]['commit']}" in log, log


def test_installing_warns_of_nothing(tmp_path: Path) -> None:
    """setuptools builds the package (templates and static files included) without a deprecation warning: the
    data directories are namespace packages ("Package 'circle.web.static' is absent from the packages …")."""
    copy = fresh_copy(tmp_path / "circle")
    done = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "build_py"], cwd=copy,
                          env=clean_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not re.search(r"Deprecat|absent|would be ignored", done.stdout + done.stderr), done.stderr
    built = copy / "build" / "lib" / "circle" / "web"
    assert (built / "templates" / "base.html").is_file() and (built / "static" / "js" / "page.js").is_file()


def test_the_readme_points_inside_the_repository() -> None:
    """The README says how to log in, where the API is described and how to run the database tests; it names no
    file outside the repository."""
    text = README.read_text()
    assert "/api/openapi.json" in text and "log in as `admin`" in text
    assert "CIRCLE_TEST_POSTGRES_URL=" in text and "CIRCLE_TEST_MYSQL_URL=" in text
    assert not re.search(r"\.\./|SPEC\.md|DESIGN\.md", text)
