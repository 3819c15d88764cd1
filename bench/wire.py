"""The bench's client side of circle: REST calls on a keep-alive session, and /ws/events followed in a thread."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from typing import Any

import requests
import websocket

FINAL = {"success", "failure", "killed", "error", "skipped", "declined"}


class BenchError(RuntimeError):
    """The bench cannot go on (a server refused something, or a build never finished)."""


class Api:
    """REST calls as the admin on one keep-alive connection (one per thread, like Buildbot's bench client)."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.trust_env = False

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Make one call and return the JSON of its 2xx answer."""
        response = self.session.request(method, self.url + path, timeout=60, **kwargs)
        if response.status_code >= 300:
            raise BenchError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    def trigger_api(self, repo_id: int) -> int:
        """Start a manual build through POST /api/repos/{id}/builds; return its number."""
        return self.call("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]

    def trigger_hook(self, hook: dict[str, Any]) -> int:
        """POST one signed push delivery, as the local SCM's post-receive hook sends it; return the build number."""
        body = json.dumps({"ref": "refs/heads/main", "before": "0" * 40, "after": hook["sha"],
                           "repo": hook["repo"], "pusher": "bench"}).encode()
        mac = hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Circle-Event": "push",
                   "X-Circle-Delivery": str(uuid.uuid4()), "X-Circle-Signature": "sha256=" + mac}
        response = self.session.post(hook["url"], data=body, headers=headers, timeout=60)
        if response.status_code != 201:
            raise BenchError(f"the hook delivery answered {response.status_code}: {response.text[:300]}")
        return response.json()["builds"][0]["number"]

    def build(self, repo_id: int, number: int) -> dict[str, Any]:
        """Return one build with its procs."""
        return self.call("GET", f"/api/repos/{repo_id}/builds/{number}")

    def poll_until_final(self, repo_id: int, number: int, every: float, timeout: float = 120) -> tuple[str, int]:
        """GET the build every `every` seconds until it is final; return (status, polls made)."""
        deadline = time.perf_counter() + timeout
        polls = 0
        while True:
            polls += 1
            status = self.build(repo_id, number)["status"]
            if status in FINAL:
                return status, polls
            if time.perf_counter() > deadline:
                raise BenchError(f"build {repo_id}/{number} not finished after {timeout:.0f} s")
            time.sleep(every)

    def close(self) -> None:
        """Close the connection."""
        self.session.close()


class Events:
    """/ws/events subscribed before the runs: when each build was first seen final, and with which status."""

    def __init__(self, url: str, token: str) -> None:
        self.socket = websocket.create_connection(url.replace("http", "ws", 1) + "/ws/events",
                                                  header=[f"Authorization: Bearer {token}"], timeout=30)
        self.socket.settimeout(None)
        self.final: dict[tuple[int, int], tuple[float, str]] = {}
        self.changed = threading.Condition()
        self.closed = False
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        """Record the arrival time of each build's first final status."""
        try:
            while True:
                event = json.loads(self.socket.recv())
                now = time.perf_counter()
                if event.get("type") == "build" and event["build"]["status"] in FINAL:
                    with self.changed:
                        self.final.setdefault((event["repo_id"], event["build"]["number"]),
                                              (now, event["build"]["status"]))
                        self.changed.notify_all()
        except (websocket.WebSocketException, OSError, ValueError):
            with self.changed:
                self.closed = True
                self.changed.notify_all()

    def wait(self, keys: set[tuple[int, int]], timeout: float = 120) -> list[tuple[float, str]]:
        """Wait until every build in keys was seen final; return their (arrival time, status)."""
        with self.changed:
            if not self.changed.wait_for(lambda: keys <= self.final.keys() or self.closed, timeout):
                missing = len(keys - self.final.keys())
                raise BenchError(f"{missing} of {len(keys)} builds not seen final on /ws/events in {timeout:.0f} s")
            if not keys <= self.final.keys():
                raise BenchError("the /ws/events websocket closed")
            return [self.final[k] for k in keys]

    def close(self) -> None:
        """Close the websocket."""
        self.socket.close()
