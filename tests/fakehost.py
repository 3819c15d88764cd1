"""A fake code host: a real HTTP server on a loopback address answering canned API responses."""
from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl, urlsplit

from loopback import serving

Answer = tuple[int, dict[str, str], Any]


@dataclass
class Call:
    """One request the fake host received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """Decode the body as JSON."""
        return json.loads(self.body)


@dataclass
class FakeHost:
    """Routes (method, path regex) to answers and records every call."""

    url: str = ""
    routes: list[tuple[str, re.Pattern[str], Callable[[Call], Answer] | list[Answer]]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    def on(self, method: str, path: str, *answers: Answer | Callable[[Call], Answer]) -> None:
        """Answer `method path` (a full-match regex) with a function, or with answers in turn (the last repeats)."""
        target = answers[0] if len(answers) == 1 and callable(answers[0]) else list(answers)
        self.routes.insert(0, (method, re.compile(path), target))  # newest route wins

    def answer(self, call: Call) -> Answer:
        """Find the answer for a call (404 in GitHub's shape when nothing matches)."""
        for method, pattern, target in self.routes:
            if method == call.method and pattern.fullmatch(call.path):
                if callable(target):
                    return target(call)
                return target.pop(0) if len(target) > 1 else target[0]
        return 404, {}, {"message": "Not Found"}

    def made(self, method: str, path: str) -> list[Call]:
        """Return the calls made to `method path` (exact path)."""
        return [c for c in self.calls if c.method == method and c.path == path]


def _handler(host: FakeHost) -> type[BaseHTTPRequestHandler]:
    """Build the request handler class bound to a FakeHost."""

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            call = Call(
                self.command,
                parts.path,
                dict(parse_qsl(parts.query)),
                dict(self.headers.items()),
                self.rfile.read(length),
            )
            host.calls.append(call)
            status, headers, body = host.answer(call)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            if not isinstance(body, bytes):
                self.send_header("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


@contextmanager
def hosting(address: str = "127.0.0.1") -> Iterator[FakeHost]:
    """Run a fake code host on `address` (any of 127.0.0.0/8); yield it with its url set."""
    host = FakeHost()
    with serving(ThreadingHTTPServer((address, 0), _handler(host))) as url:
        host.url = url
        yield host
