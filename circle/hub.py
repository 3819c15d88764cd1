"""The process-wide services one app holds: settings, pubsub, queue and log stream."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from circle.config import Settings
from circle.logstream import LogStream
from circle.pubsub import PubSub
from circle.queue import Queue


@dataclass
class Hub:
    """The shared services of one server process."""

    settings: Settings
    pubsub: PubSub
    queue: Queue
    logs: LogStream


def init_app(app: Flask, settings: Settings, *, lease_seconds: float = 30.0) -> Hub:
    """Create the services of `app` and attach them to it."""
    pubsub = PubSub()
    hub_ = Hub(settings=settings, pubsub=pubsub, queue=Queue(pubsub, lease_seconds=lease_seconds),
               logs=LogStream(pubsub))
    app.extensions["circle"] = hub_
    return hub_


def hub() -> Hub:
    """Return the services of the current app."""
    return current_app.extensions["circle"]
