"""Helpers to read the cncd sample pipelines: their .env metadata and the scripts Drone 0.8 compiled."""
from __future__ import annotations

import base64
import json
import re
import shlex
from pathlib import Path

from circle.compiler import Metadata, SecretSpec
from circle.compiler.metadata import BuildInfo, CommitInfo, RepoInfo, SystemInfo
from circle.pipeline.types import Registry

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pipelines" / "drone08" / "cncd_samples"
PIPEC_LINK = "https://github.com/cncd/pipec"


def read_env(path: Path) -> dict[str, str]:
    """Return the KEY=VALUE pairs of a sample .env file (shell quoting honoured)."""
    env: dict[str, str] = {}
    if not path.exists():
        return env
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        env[key.strip()] = " ".join(shlex.split(value)) if value.strip() else ""
    return env


def metadata_of(env: dict[str, str]) -> tuple[Metadata, list[SecretSpec], list[Registry]]:
    """Return the build metadata, secrets and registries a sample .env describes."""
    owner, _, name = env.get("CI_REPO", "drone/envsubst").partition("/")
    meta = Metadata(
        repo=RepoInfo(full_name=env.get("CI_REPO", ""), owner=owner, name=name, clone_url=env.get("CI_REPO_REMOTE", ""),
                      link=env.get("CI_REPO_LINK", ""), private=env.get("CI_REPO_PRIVATE") == "true",
                      default_branch="master"),
        commit=CommitInfo(sha=env.get("CI_COMMIT_SHA", ""), ref=env.get("CI_COMMIT_REF", ""),
                          branch=env.get("CI_COMMIT_BRANCH", ""), message=env.get("CI_COMMIT_MESSAGE", ""),
                          author=env.get("CI_COMMIT_AUTHOR", "")),
        build=BuildInfo(number=int(env.get("CI_BUILD_NUMBER", "0") or 0), event=env.get("CI_BUILD_EVENT", "push"),
                        created=int(env.get("CI_BUILD_CREATED", "0") or 0),
                        started=int(env.get("CI_BUILD_STARTED", "0") or 0), link=env.get("CI_BUILD_LINK", "")),
        system=SystemInfo(link=PIPEC_LINK, platform="linux/amd64"),
    )
    secrets = [SecretSpec(k, v) for k, v in env.items() if not k.startswith("CI_")]
    registries = []
    if env.get("CI_REGISTRY_HOSTNAME"):
        registries.append(Registry(env["CI_REGISTRY_HOSTNAME"], env["CI_REGISTRY_USERNAME"],
                                   env["CI_REGISTRY_PASSWORD"]))
    return meta, secrets, registries


def drone_stages(path: Path) -> list[dict]:
    """Return Drone's compiled stages as [{"steps": [step dicts with "alias", "commands"]}]."""
    stages = json.loads(path.read_text())["pipeline"]
    for stage in stages:
        for step in stage["steps"]:
            script = (step.get("environment") or {}).get("CI_SCRIPT")
            step["commands"] = script_commands(base64.b64decode(script).decode()) if script else []
    return stages


def script_commands(script: str) -> list[str]:
    """Return the commands of a Drone 0.8 step script (sh or powershell flavour)."""
    lines = script.splitlines()
    commands = []
    for i, line in enumerate(lines):
        if line.startswith('echo + ') or line.startswith("Write-Output ('+ "):
            command = lines[i + 1]
            match = re.match(r"^& (.*); if \(\$LASTEXITCODE -ne 0\) \{exit \$LASTEXITCODE\}$", command)
            commands.append(match.group(1) if match else command)
    return commands
