"""From a config to runnable workflows: fetch the pipeline text, compile it with the build's metadata."""
from __future__ import annotations

import logging
import time

from circle.compiler import compile_pipeline
from circle.compiler.secrets import SecretSpec
from circle.errors import CircleError, NotFound, RemoteError
from circle.models import Build, Config, Repo
from circle.offload import off_loop
from circle.pipeline.types import Registry, Workflow
from circle.service import metadata
from circle.store import scms as scm_store
from circle.store import secrets as secret_store

log = logging.getLogger(__name__)
FETCH_ATTEMPTS = 3


class ConfigUnavailable(CircleError):
    """The pipeline file of a config could not be read."""


def pipeline_text(repo: Repo, config: Config, build: Build) -> str:
    """Return the pipeline YAML of a config: stored content, or the file at the build's commit."""
    if config.content is not None:
        return config.content
    from circle.service.scms import remote_for

    assert config.path is not None  # a config has a path or content
    remote = remote_for(scm_store.get(repo.scm_id))
    ref = build.commit or build.ref
    for attempt in range(1, FETCH_ATTEMPTS + 1):
        try:
            return remote.file(repo.full_name, ref, config.path).decode("utf-8", errors="replace")
        except NotFound:
            raise ConfigUnavailable(f"the pipeline file {config.path} does not exist at {ref[:12]}") from None
        except RemoteError as err:
            if attempt == FETCH_ATTEMPTS:
                raise ConfigUnavailable(f"cannot read {config.path} from {repo.full_name}: {err}") from None
            log.warning("repo %s: reading %s failed (attempt %d): %s", repo.id, config.path, attempt, err)
            time.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable")


def secret_specs(repo: Repo) -> list[SecretSpec]:
    """Return the repo's secrets as the compiler takes them; the clone credential goes only to the clone step."""
    return [SecretSpec(name=s.name, value=s.value, events=list(s.events or []), images=list(s.images or []))
            for s in secret_store.list_by_repo(repo.id) if s.name not in metadata.CLONE_SECRETS]


def registries(repo: Repo) -> list[Registry]:
    """Return the repo's registry credentials for the IR."""
    return [Registry(address=r.address, username=r.username, password=r.password)
            for r in secret_store.list_registries(repo.id)]


def compile_build(repo: Repo, config: Config, build: Build) -> list[Workflow]:
    """Compile a config for a build; raises CompileError or ConfigUnavailable."""
    text = pipeline_text(repo, config, build)
    secret_specs_, registries_, trusted = secret_specs(repo), registries(repo), repo.trusted
    meta = metadata.for_build(repo, build)
    return off_loop(lambda: compile_pipeline(text, meta, filename=config.path or config.name,
                                              secrets=secret_specs_, registries=registries_, trusted=trusted))
