"""Serving the app with gevent's WSGI server, plus what runs beside it: the heartbeat, the reaper, embedded agents,
the check of the public URL (circle.public_url)."""
from __future__ import annotations

import logging
import signal
import socket
import threading
from typing import Any

import gevent
import gevent.event
from flask import Flask
from gevent.pywsgi import OldMessage, WSGIHandler, WSGIServer

from circle import public_url
from circle.errors import CircleError
from circle.remote.localgit import objects as git_objects
from circle.request_headers import read_headers

log = logging.getLogger(__name__)

# Connections the kernel queues before the server accepts them (thousands of agents reconnect at once).
LISTEN_BACKLOG = 4096


class Handler(WSGIHandler):
    """gevent's request handler with a cheaper header reader and no access-log line formatted for nobody."""

    def MessageClass(self, stream: Any, *_: Any) -> OldMessage:  # noqa: N802  (gevent's name)
        """Read the request's header lines."""
        return read_headers(stream)

    def handle_one_response(self) -> None:
        """Run the app for one request; a websocket's connection never carries another request.

        The websocket library answers the upgrade on the socket itself, so gevent would read the client's
        close frame as the next HTTP request (logged as an invalid method) when the server ended the socket.
        """
        super().handle_one_response()
        if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            self.close_connection = True

    def log_request(self) -> None:
        """Log nothing: the server runs without an access log (log=None)."""


class Server(WSGIServer):
    """gevent's WSGI server with Nagle off: responses written in two parts must not wait for a delayed ACK."""

    handler_class = Handler

    def handle(self, sock: socket.socket, address: tuple) -> None:
        """Serve one connection."""
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


def listen(host: str, port: int) -> socket.socket:
    """Open the listening socket (port 0: any free one); raise CircleError in one sentence when it cannot be had."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        listener = socket.socket(family, kind, proto)
    except OSError as err:
        raise CircleError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(LISTEN_BACKLOG)
    except OSError as err:
        listener.close()
        raise CircleError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    return listener


def reachable_url(listener: socket.socket) -> str:
    """Return the http URL of a listening socket as this host reaches it (a wildcard address as loopback)."""
    host, port = listener.getsockname()[:2]
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _embedded_agents(app: Flask, port: int, count: int) -> list:
    """Start `count` agents in this process that talk to this server over loopback.

    Each is named after its server (`embedded-1@host:port`): a restart finds its old row again, and several
    servers on one database keep apart agents (an agent's name is its identity).
    """
    if not count:
        return []  # the agent's modules (the RPC client, requests, the pipeline runtime) stay unloaded
    from circle.agent.options import AgentOptions, parse_labels
    from circle.agent.runner import Agent

    settings = app.config["CIRCLE_SETTINGS"]
    agents = []
    for index in range(1, count + 1):
        options = AgentOptions(servers=[f"http://127.0.0.1:{port}"], secret=settings.agent_secret,
                               backend=settings.agent_backend, max_procs=settings.agent_max_procs,
                               labels=parse_labels(settings.agent_labels),
                               name=f"embedded-{index}@{socket.gethostname()}:{port}",
                               poll_seconds=settings.agent_poll_seconds,
                               workdir=str(settings.data_dir / "workspaces"), local=settings.agent_local)
        agent = Agent(options)
        threading.Thread(target=agent.run, name=f"circle-embedded-agent-{index}", daemon=True).start()
        agents.append(agent)
    return agents


def serve(app: Flask, listener: socket.socket, *, agents: int = 0) -> None:
    """Serve HTTP and websockets on a listening socket (see `listen`) until SIGINT or SIGTERM."""
    from circle.service.reaper import Reaper
    from circle.service.servers import Heartbeat

    heartbeat = Heartbeat(app)
    heartbeat.start()
    server = Server(listener, app, log=None, error_log=logging.getLogger("circle.http"))
    server.start()
    url = reachable_url(listener)
    log.info("circle listening on %s", url)
    print(f"circle is listening on {url}", flush=True)
    gevent.spawn(public_url.check, app.config["CIRCLE_SETTINGS"].host, server.server_port)
    reaper = Reaper(app)
    reaper.start()
    embedded = _embedded_agents(app, server.server_port, agents)
    stop = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, stop.set)
    gevent.signal_handler(signal.SIGINT, stop.set)
    stop.wait()
    log.info("stopping")
    for agent in embedded:
        agent.stop()
    reaper.stop()
    server.stop(timeout=2)
    heartbeat.stop()
    git_objects.close_all()  # the local SCM's git cat-file processes, stopped and reaped
