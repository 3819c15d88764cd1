"""The backend registry: names, `auto`, lazy import of the docker SDK."""
from __future__ import annotations

import subprocess
import sys

import pytest

from circle.pipeline.backends import docker_available, get_backend, resolve
from circle.pipeline.backends.dummy import DummyBackend
from circle.pipeline.backends.local import LocalBackend
from circle.pipeline.errors import UnknownBackend


def test_names_give_fresh_backends_of_their_kind(tmp_path):
    first, second = get_backend("local", root=str(tmp_path)), get_backend("local")
    assert isinstance(first, LocalBackend) and first is not second and first.root == str(tmp_path)
    assert isinstance(get_backend("DUMMY"), DummyBackend)


def test_options_a_backend_does_not_take_are_ignored():
    backend = get_backend("dummy", root="/unused", base_url="unix:///unused", setup_error="boom")
    assert backend.setup_error == "boom"


def test_unknown_names_are_refused_with_the_choices():
    with pytest.raises(UnknownBackend, match="local, docker, dummy, auto"):
        get_backend("kubernetes")


def test_auto_is_local_when_no_engine_answers(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert not docker_available()
    assert resolve("auto") == resolve("") == "local"


def test_a_refused_tcp_engine_is_not_available():
    assert not docker_available("tcp://127.0.0.1:1")


def test_auto_is_docker_when_an_engine_answers(docker_images):
    assert docker_available() and resolve("auto") == "docker"


def test_the_local_backend_never_imports_the_docker_sdk():
    code = ("import sys; from circle.pipeline.backends import get_backend; import circle.pipeline.runtime; "
            "get_backend('local'); get_backend('dummy'); print('docker' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
