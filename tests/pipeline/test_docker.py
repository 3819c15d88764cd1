"""The docker backend against a real engine: services by name, clone image, cleanup, flags."""
from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import docker as docker_sdk
import pytest

from circle.compiler.clone import CLONE_COMMANDS
from circle.pipeline.backends.docker import DockerBackend, auth_for, registry_host
from circle.pipeline.runtime import Runtime
from circle.pipeline.types import KIND_CLONE, KIND_SERVICE, Network, Registry, Step, Volume

pytestmark = pytest.mark.docker


@pytest.fixture
def docker(docker_images) -> DockerBackend:
    return DockerBackend()


def test_a_service_is_reachable_by_its_name(execute, ir, docker):
    service = ir.step("web", kind=KIND_SERVICE, detach=True, commands=[
        "mkdir -p /tmp/www", "echo hello-from-web > /tmp/www/index.html", "httpd -f -p 8080 -h /tmp/www"])
    client = ir.step("client", commands=[
        "for i in $(seq 1 300); do wget -q -O- http://web:8080/ && exit 0; sleep 0.1; done; exit 1"])
    result, rec, _ = execute(ir.pipeline([service], [client]), backend=docker)
    assert result.state == "success", rec.all_text()
    assert "hello-from-web" in rec.out("client")


def test_cancel_with_a_service_running_leaves_no_container_volume_or_network(ir, docker):
    rec = ir.Recorder()
    ready = rec.waiter("ready")
    config = ir.pipeline([ir.step("db", kind=KIND_SERVICE, detach=True, commands=["sleep 600"])],
                         [ir.step("test", commands=["echo ready", "sleep 600"])])
    runtime = Runtime(config, docker, rec)
    thread = threading.Thread(target=runtime.run, daemon=True)
    thread.start()
    assert ready.wait(60)
    runtime.cancel()
    thread.join(60)
    assert not thread.is_alive()
    assert rec.final("test").killed and rec.final("db").killed
    ir.assert_clean(docker)


def test_a_step_whose_container_dies_fails_and_is_cleaned_up(ir, docker):
    rec = ir.Recorder()
    ready = rec.waiter("ready")
    config = ir.pipeline([ir.step("db", kind=KIND_SERVICE, detach=True, commands=["sleep 600"])],
                         [ir.step("crash", commands=["echo ready", "sleep 600"])], [ir.step("after", out="never")])
    runtime = Runtime(config, docker, rec)
    thread = threading.Thread(target=runtime.run, daemon=True)
    thread.start()
    assert ready.wait(60)
    api = docker_sdk.APIClient()
    (victim,) = api.containers(filters={"label": "io.circle.pipeline.step=crash"})
    api.kill(victim["Id"])
    api.close()
    thread.join(60)
    assert not thread.is_alive()
    crash = rec.final("crash")
    assert crash.exit_code == 137 and not crash.killed
    assert rec.final("after").skipped
    ir.assert_clean(docker)


def test_clone_step_runs_in_the_git_image(execute, ir, docker, tmp_path: Path):
    origin = tmp_path / "origin"
    origin.mkdir()
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
    for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "first"]):
        subprocess.run(["git", *args], cwd=origin, env=env, check=True)
    (origin / "hello.txt").write_text("cloned in a container\n")
    subprocess.run(["git", "add", "hello.txt"], cwd=origin, check=True)
    subprocess.run(["git", "commit", "-qm", "second"], cwd=origin, env=env, check=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=origin, capture_output=True, text=True).stdout.strip()
    clone = Step(name="clone", kind=KIND_CLONE, image=ir.git, working_dir="/circle/src",
                 volumes=[f"{origin}:/origin:ro"], commands=list(CLONE_COMMANDS),
                 environment={"CI_REPO_REMOTE": "/origin", "CI_COMMIT_SHA": sha, "CI_COMMIT_REF": "refs/heads/main"})
    result, rec, _ = execute(ir.pipeline([clone], [ir.step("read", commands=["cat hello.txt"])]), backend=docker)
    assert result.state == "success", rec.all_text()
    assert "cloned in a container" in rec.out("read")


def test_container_config_maps_the_irs_volumes_networks_and_flags(ir, docker):
    config = ir.pipeline([])
    config.volumes, config.networks = [Volume("workspace"), Volume("cache")], [Network("default"), Network("extra")]
    docker.setup(config)
    try:
        plain = docker.container_config(ir.step("plain", commands=["true"]), "c0")
        special = docker.container_config(
            ir.step("special", commands=["true"], privileged=True, aliases=["db", "special"], networks=["extra"],
                    volumes=["workspace:/circle", "cache:/cache", "/srv/host:/host:ro"]), "c1")
    finally:
        docker.destroy(config)
    assert "Privileged" not in plain["host_config"] and special["host_config"]["Privileged"] is True
    assert plain["host_config"]["Binds"] == [f"{docker.docker_name('workspace')}:/circle"]
    assert special["host_config"]["Binds"] == [f"{docker.docker_name('workspace')}:/circle",
                                               f"{docker.docker_name('cache')}:/cache", "/srv/host:/host:ro"]
    assert list(plain["networking_config"]["EndpointsConfig"]) == [docker.docker_name("default")]
    endpoint = special["networking_config"]["EndpointsConfig"][docker.docker_name("extra")]
    assert endpoint["Aliases"] == ["special", "db"]
    assert special["working_dir"] == "/circle/src" and special["entrypoint"] == ["/bin/sh", "-c"]
    ir.assert_clean(docker)


def test_an_out_of_memory_kill_is_reported(execute, ir, docker):
    hog = ir.step("hog", mem_limit=16 << 20, commands=["x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo done"])
    result, rec, _ = execute(ir.pipeline([hog]), backend=docker)
    state = rec.final("hog")
    if not state.oom_killed:
        pytest.skip(f"this engine does not enforce memory limits (exit {state.exit_code})")
    assert result.state == "error" and "memory" in state.error


def test_plugin_steps_run_their_entrypoint_with_the_step_environment(execute, ir, docker):
    plugin = Step(name="plugin", image=ir.busybox, entrypoint=["/bin/sh", "-c", 'echo "channel=$PLUGIN_CHANNEL"'],
                  environment={"PLUGIN_CHANNEL": "#builds"})
    result, rec, _ = execute(ir.pipeline([plugin]), backend=docker)
    assert result.state == "success", rec.all_text()
    assert rec.out("plugin") == ["channel=#builds"]


def test_registry_credentials_are_chosen_by_the_image_host():
    registries = [Registry("https://index.docker.io/v1/", "hub", "p1"),
                  Registry("registry.example.com:5000", "me", "p2")]
    assert registry_host("busybox") == "docker.io"
    assert registry_host("library/busybox:1") == "docker.io"
    assert registry_host("localhost/x") == "localhost"
    assert auth_for("busybox:latest", registries) == {"username": "hub", "password": "p1"}
    assert auth_for("registry.example.com:5000/team/app:1", registries) == {"username": "me", "password": "p2"}
    assert auth_for("quay.io/team/app", registries) is None
