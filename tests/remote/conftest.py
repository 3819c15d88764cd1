"""Fixtures of the remote tests: a fake code host on 127.0.0.1 (tests/fakehost.py) and a closed port."""
from __future__ import annotations

import socket
from typing import Iterator

import pytest

from fakehost import FakeHost, hosting


@pytest.fixture
def fake_host() -> Iterator[FakeHost]:
    """Start a fake code host on 127.0.0.1 for one test."""
    with hosting() as host:
        yield host


@pytest.fixture
def closed_port() -> int:
    """Return a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
