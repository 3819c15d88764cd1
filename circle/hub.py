"""The process-wide services one app holds: settings, pubsub, queue, log stream and agents' identities.

The PubSub comes from CIRCLE_PUBSUB_URL: in-process when empty, else a shared bus that is
connected here, so an app (and so `circle server`) does not start when the bus does not answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app

from circle.config import Settings
from circle.contacts import Contacts
from circle.identities import AgentIdentities
from circle.logstore import open_log_store
from circle.logstream import LogStream
from circle.pubsub import PubSub, create_pubsub
from circle.queue import Queue


@dataclass
class Hub:
    """The shared services of one server process."""

    settings: Settings
    pubsub: PubSub
    queue: Queue
    logs: LogStream
    identities: AgentIdentities
    contacts: Contacts = field(default_factory=Contacts)


def init_app(app: Flask, settings: Settings, *, lease_seconds: float = 30.0) -> Hub:
    """Create the services of `app` and attach them to it; raise SettingsError when the pubsub bus is unusable."""
    pubsub = create_pubsub(settings.pubsub_url)
    files = open_log_store(settings)
    queue = Queue(pubsub, lease_seconds=lease_seconds)
    hub_ = Hub(settings=settings, pubsub=pubsub, queue=queue,
               logs=LogStream(pubsub, max_bytes=settings.log_max_bytes, files=files),
               identities=AgentIdentities(pubsub, on_change=queue.dispatcher.let_go))
    app.extensions["circle"] = hub_
    return hub_


def hub() -> Hub:
    """Return the services of the current app."""
    return current_app.extensions["circle"]
