"""A real HTTP server on 127.0.0.1 in a background thread, for tests (fake code hosts, the app over HTTP)."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from socketserver import BaseServer
from typing import Iterator


@contextmanager
def serving(server: BaseServer) -> Iterator[str]:
    """Serve `server` (bound to a loopback address) in a thread; yield its base URL; shut it down afterwards."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        address, port = server.server_address[:2]
        yield f"http://{address}:{port}"
    finally:
        server.shutdown()
        server.server_close()
