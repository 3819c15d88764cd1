"""Real processes for end-to-end tests: a circle server, agents, and bare git repositories on disk."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

FINAL = {"success", "failure", "killed", "error", "skipped", "declined"}


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """Return this process's environment without CIRCLE_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIRCLE_")}
    env.update(extra)
    return env


@dataclass
class Server:
    """A `circle server` process on loopback with its bootstrap admin's token and password."""

    data_dir: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen | None = None
    token: str = ""
    password: str = ""
    output: list[str] = field(default_factory=list)
    scm_id: int = 0
    git_root: Path | None = None

    @property
    def url(self) -> str:
        """Return the base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def agent_secret(self) -> str:
        """Return the generated agent secret."""
        return (self.data_dir / "agent_secret").read_text().strip()

    def start(self, agents: int = 0) -> None:
        """Start the server and wait until it listens."""
        self.launch(agents)
        self.wait_listening()

    def launch(self, agents: int = 0) -> None:
        """Start the server process without waiting for it."""
        log = open(self.data_dir / "server.log", "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "circle", "server", "--port", str(self.port), "--agents", str(agents)],
            env=self.env, stdout=subprocess.PIPE, stderr=log, text=True)

    def wait_listening(self, timeout: float = 30) -> None:
        """Read the server's output (its admin credentials) until it says it listens; raise if it ends first."""
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            self.output.append(line)
            key, _, value = line.strip().partition(":")
            if key in ("token", "password"):
                setattr(self, key, value.strip())
            if "listening on" in line:
                return
            if not line and self.process.poll() is not None:
                break
        raise RuntimeError(f"server did not start: {''.join(self.output)}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server process."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call the REST API as the admin."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the REST API and return the JSON of a 2xx answer."""
        response = self.api(method, path, **kwargs)
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json() if response.content else None

    def build(self, repo_id: int, number: int) -> dict[str, Any]:
        """Return a build with its procs."""
        return self.ok("GET", f"/api/repos/{repo_id}/builds/{number}")

    def wait_build(self, repo_id: int, number: int, states: set[str] = FINAL, timeout: float = 60,
                   every: float = 0.1) -> dict[str, Any]:
        """Poll a build every `every` seconds until its status is in `states`."""
        deadline = time.monotonic() + timeout
        while True:
            build = self.build(repo_id, number)
            if build["status"] in states or time.monotonic() > deadline:
                return build
            time.sleep(every)

    def log_text(self, repo_id: int, number: int, name: str) -> str:
        """Return the plain-text log of the step called `name`."""
        build = self.build(repo_id, number)
        pid = next(p["pid"] for p in build["procs"] if p["name"] == name and p["ppid"])
        return self.api("GET", f"/api/repos/{repo_id}/builds/{number}/logs/{pid}?format=text").text


def start_agent(server: Server, name: str, workdir: Path, *extra: str) -> subprocess.Popen:
    """Start a `circle agent` process on the local backend."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = open(workdir / f"{name}.log", "a")
    return subprocess.Popen(
        [sys.executable, "-m", "circle", "agent", "--server", server.url, f"--secret={server.agent_secret}",
         "--backend", "local", "--name", name, "--workdir", str(workdir), *extra],
        env=clean_env(CIRCLE_LOG_LEVEL="info"), stdout=log, stderr=subprocess.STDOUT)


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return its output."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=clean_env(GIT_AUTHOR_NAME="Alice", GIT_AUTHOR_EMAIL="alice@example.com",
                                        GIT_COMMITTER_NAME="Alice", GIT_COMMITTER_EMAIL="alice@example.com")
                          ).stdout.strip()


def embedded_server(data_dir: Path, agents: int = 1) -> Server:
    """Start a server on a free port with `agents` embedded local agents and its data in `data_dir`."""
    port = free_port()
    server = Server(data_dir=data_dir, port=port, env=clean_env(
        CIRCLE_DATA_DIR=str(data_dir), CIRCLE_AGENT_BACKEND="local", CIRCLE_HOST=f"http://127.0.0.1:{port}"))
    server.start(agents=agents)
    return server


def make_repo(root: Path, full_name: str, files: dict[str, str]) -> Path:
    """Create a bare repo `root/full_name.git` whose main branch holds `files`; return the work clone."""
    bare = root / f"{full_name}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    git(bare.parent, "init", "-q", "--bare", bare.name)
    git(bare, "symbolic-ref", "HEAD", "refs/heads/main")
    work = root.parent / "work" / full_name
    work.parent.mkdir(parents=True, exist_ok=True)
    git(work.parent, "clone", "-q", str(bare), work.name)
    commit(work, files, "first commit")
    return work


def activate_local(server: Server, root: Path, full_name: str, files: dict[str, str]) -> tuple[int, Path]:
    """Put `files` in a new repo under `root`, served by the server's local SCM of `root` (registered on first use),
    and activate it; return the repo's id and its work clone."""
    work = make_repo(root, full_name, files)
    scm = next((s for s in server.ok("GET", "/api/scms") if s["url"] == str(root)), None)
    if scm is None:
        scm = server.ok("POST", "/api/scms", json={"kind": "local", "name": f"disk-{root.name}", "url": str(root)})
    repo = server.ok("POST", "/api/repos", json={"scm_id": scm["id"], "full_name": full_name})
    return repo["id"], work


def commit(work: Path, files: dict[str, str], message: str, branch: str = "main") -> str:
    """Write `files`, commit them and push `branch`; return the sha."""
    for path, text in files.items():
        target = work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", message)
    git(work, "push", "-q", "origin", f"HEAD:{branch}")
    return git(work, "rev-parse", "HEAD")
