"""Each step's environment, and the variables `${VAR}` substitution sees.

From weakest to strongest (a later source overrides an earlier one):

1. the matrix axis variables,
2. the build parameters of a manual build (`Metadata.params`),
3. the extra variables given to the compiler (`circle compile --env`),
4. the step's own `environment:` (its `from_secret` values included),
5. plugin settings as `PLUGIN_*` (not for a Drone 0.8 service or detached step: Drone passed them none),
6. the secrets the step asked for with `secrets:` (after the settings, as in Drone 0.8),
7. circle's own CI_* / DRONE_* variables, so that a step cannot fake the build it runs in
   (Drone 0.8 gave its metadata the last word too).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from circle.compiler.metadata import Metadata
from circle.compiler.model import SecretRef, StepDef
from circle.compiler.secrets import SecretStore
from circle.compiler.settings import encode_settings
from circle.compiler.values import Reader
from circle.pipeline.types import Workspace

log = logging.getLogger(__name__)


def builtin_environment(meta: Metadata, workspace: Workspace, job_number: int, workflow: str) -> dict[str, str]:
    """Return circle's variables for one workflow: metadata, job number, workflow name and workspace."""
    env = meta.environ()
    env["CI_JOB_NUMBER"] = env["DRONE_JOB_NUMBER"] = env["CI_WORKFLOW_NUMBER"] = str(job_number)
    env["CI_WORKFLOW_NAME"] = workflow
    full = workspace.full_path
    env["CI_WORKSPACE"] = env["DRONE_WORKSPACE"] = full
    env["CI_WORKSPACE_BASE"] = workspace.base
    return env


def apply_platform(builtins: dict[str, str], platform: str) -> None:
    """Make the platform variables name the pipeline's `platform:` (the agent that runs it matches it)."""
    for key in ("CI_SYSTEM_ARCH", "CI_SYSTEM_PLATFORM", "DRONE_SYSTEM_ARCH", "DRONE_SYSTEM_PLATFORM", "DRONE_ARCH"):
        builtins[key] = platform


def substitution_environment(builtins: Mapping[str, str], meta: Metadata, extra: Mapping[str, str],
                             axis: Mapping[str, str]) -> dict[str, str]:
    """Return what `${VAR}` may refer to: the same sources as a step, minus step-level ones."""
    env = dict(axis)
    env.update(meta.params)
    env.update(extra)
    env.update(builtins)
    return env


class StepEnvironment:
    """Compose the environment of the steps of one workflow."""

    def __init__(self, builtins: Mapping[str, str], meta: Metadata, extra: Mapping[str, str],
                 axis: Mapping[str, str], secrets: SecretStore, reader: Reader, detached_settings: bool) -> None:
        self.builtins = builtins
        self.detached_settings = detached_settings
        self.base = {**axis, **meta.params, **extra}
        self.secrets = secrets
        self.reader = reader

    def for_step(self, step: StepDef, image: str) -> dict[str, str]:
        """Return the environment of `step` when it runs `image`."""
        env = dict(self.base)
        for name, value in step.environment.items():
            if isinstance(value, SecretRef):
                secret = self.secrets.lookup(value.name, image)
                if secret is not None:
                    env[name] = secret
            else:
                env[name] = value
        if step.settings and (self.detached_settings or not step.detach):
            env.update(encode_settings(step.settings, lambda name: self.secrets.lookup(name, image), self.reader))
        for source, target in step.secrets:
            secret = self.secrets.lookup(source, image)
            if secret is not None:
                env[target.upper()] = secret
        env.update(self.builtins)
        env["CI_STEP_NAME"] = step.name
        return env
