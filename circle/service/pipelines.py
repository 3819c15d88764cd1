"""From a config to runnable workflows: fetch the pipeline text, compile it with the build's metadata."""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, TypeVar

from circle import compiler
from circle.compiler.files import DEFAULT_DIR, DEFAULT_FILES, PIPELINE_SUFFIXES, PipelineFile, decode
from circle.compiler.secrets import SecretSpec
from circle.errors import CircleError, NotFound, NotSupported, RemoteError
from circle.models import Build, Config, Repo, Secret
from circle.offload import off_loop
from circle.pipeline.types import Registry, Workflow
from circle.remote.base import Remote
from circle.service import metadata
from circle.store import scms as scm_store
from circle.store import secrets as secret_store

log = logging.getLogger(__name__)
FETCH_ATTEMPTS = 3
# Pipeline text up to this size compiles on the event loop (≤ ~1 ms here): the hop to a thread would cost more.
INLINE_COMPILE_BYTES = 4096


class ConfigUnavailable(CircleError):
    """The pipeline file of a config could not be read."""


# A config with this path (every repo's default config) reads DEFAULT_FILES, then DEFAULT_DIR.
DEFAULT_PATH = DEFAULT_FILES[0]

T = TypeVar("T")


def pipeline_files(repo: Repo, config: Config, ref: str) -> list[PipelineFile]:
    """Return the pipeline files of a config: stored content, a file, or every `*.yml`/`*.yaml` of a directory.

    The default path falls back as `circle exec` does: .circle.yml, .drone.yml, .woodpecker.yml,
    .woodpecker.yaml, then the files of .woodpecker/. A path ending in `/` is read as a directory only
    (a forge may answer a directory's listing where a file was asked for).
    """
    if config.content is not None:
        return [PipelineFile(config.name, config.content)]
    from circle.service.scms import remote_for

    assert config.path is not None  # a config has a path or content
    remote = remote_for(scm_store.get(repo.scm_id))
    path = config.path.strip("/")
    candidates = DEFAULT_FILES if path == DEFAULT_PATH else () if config.path.endswith("/") else (path,)
    for candidate in candidates:
        try:
            return [_read(remote, repo, ref, candidate)]
        except NotFound:
            continue
    folder = DEFAULT_DIR if path == DEFAULT_PATH else path
    try:
        names = sorted(n for n in _fetch(repo, folder, lambda: remote.dir(repo.full_name, ref, folder))
                       if n.endswith(PIPELINE_SUFFIXES))
    except (NotFound, NotSupported):
        names = []
    if not names:
        wanted = ", ".join(candidates) + f" or {folder}/*.yml" if path == DEFAULT_PATH else path
        raise ConfigUnavailable(f"the pipeline file {wanted} does not exist at {ref[:12]}")
    return [_read(remote, repo, ref, name) for name in names]


def _read(remote: Remote, repo: Repo, ref: str, path: str) -> PipelineFile:
    """Read one pipeline file at `ref`; raise NotFound when it is missing, CompileError when it is not UTF-8."""
    data = _fetch(repo, path, lambda: remote.file(repo.full_name, ref, path))
    return PipelineFile(path, decode(data, path))


def _fetch(repo: Repo, path: str, call: Callable[[], T]) -> T:
    """Run one read of the remote, again after a RemoteError (twice at most); NotFound passes through."""
    for attempt in range(1, FETCH_ATTEMPTS + 1):
        try:
            return call()
        except RemoteError as err:
            if attempt == FETCH_ATTEMPTS:
                raise ConfigUnavailable(f"cannot read {path} from {repo.full_name}: {err}") from None
            log.warning("repo %s: reading %s failed (attempt %d): %s", repo.id, path, attempt, err)
            time.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable")


def secret_specs(rows: list[Secret]) -> list[SecretSpec]:
    """Return a repo's secrets as the compiler takes them; the clone credential goes only to the clone step."""
    return [SecretSpec(name=s.name, value=s.value, events=list(s.events or []), images=list(s.images or []))
            for s in rows if s.name not in metadata.CLONE_SECRETS]


def registries(repo: Repo) -> list[Registry]:
    """Return the repo's registry credentials for the IR."""
    return [Registry(address=r.address, username=r.username, password=r.password)
            for r in secret_store.list_registries(repo.id)]


def pipeline_schema() -> dict[str, Any]:
    """Return the JSON Schema of pipeline files (for circle.api.openapi)."""
    return compiler.pipeline_schema()


def inline(files: list[PipelineFile]) -> bool:
    """Tell whether pipeline files are small enough to compile on the event loop."""
    return sum(len(f.text) for f in files) <= INLINE_COMPILE_BYTES


def compile_build(repo: Repo, config: Config, build: Build,
                  files: list[PipelineFile] | None = None) -> tuple[list[Workflow], bool]:
    """Compile a config for a build (its `files`, read here when not given), and tell whether it has several files.

    Raises CompileError or ConfigUnavailable.
    """
    if files is None:
        files = pipeline_files(repo, config, build.commit or build.ref)
    secret_rows = secret_store.list_by_repo(repo.id)
    secret_specs_, registries_, trusted = secret_specs(secret_rows), registries(repo), repo.trusted
    meta = metadata.for_build(repo, build, secret_rows)

    def work() -> list[Workflow]:
        return compiler.compile_files(files, meta, secrets=secret_specs_, registries=registries_, trusted=trusted)

    return work() if inline(files) else off_loop(work), len(files) > 1
