"""Serving the app with gevent's WSGI server, plus the background services that run beside it."""
from __future__ import annotations

import logging
import signal

import gevent
import gevent.event
from flask import Flask
from gevent.pywsgi import WSGIServer

log = logging.getLogger(__name__)


def serve(app: Flask, host: str, port: int, *, agents: int = 0) -> None:
    """Serve HTTP and websockets on host:port until SIGINT or SIGTERM."""
    server = WSGIServer((host, port), app, log=None, error_log=logging.getLogger("circle.http"))
    server.start()
    log.info("circle listening on http://%s:%d", host, server.server_port)
    print(f"circle is listening on http://{host}:{server.server_port}", flush=True)
    stop = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, stop.set)
    gevent.signal_handler(signal.SIGINT, stop.set)
    if agents:
        log.warning("embedded agents are not available in this version; run with --agents 0")
    stop.wait()
    log.info("stopping")
    server.stop(timeout=5)
