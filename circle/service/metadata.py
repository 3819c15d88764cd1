"""Build metadata for the compiler: what a pipeline sees of its repo, commit, build and system."""
from __future__ import annotations

from circle import states
from circle.compiler.metadata import BuildInfo, CommitInfo, Metadata, Netrc, RepoInfo, SystemInfo
from circle.hub import hub
from circle.models import Build, Repo, Secret
from circle.origin import Origin
from circle.store import secrets as secret_store

# The secret holding the clone credential of a repo (written at activation when the SCM has one).
NETRC_SECRET = "netrc_password"
NETRC_USER_SECRET = "netrc_username"
CLONE_SECRETS = (NETRC_SECRET, NETRC_USER_SECRET)


def build_link(repo: Repo, build: Build) -> str:
    """Return the dashboard URL of a build."""
    return f"{hub().settings.host}/repos/{repo.id}/builds/{build.number}"


def _netrc(repo: Repo, secrets: list[Secret]) -> Netrc | None:
    """Return the repo's clone credentials (from its `secrets`), or None for public repos without them."""
    values = {s.name: s.value for s in secrets if s.name in CLONE_SECRETS}
    password = values.get(NETRC_SECRET)
    if password is None:
        return None
    login = values.get(NETRC_USER_SECRET, "oauth2")
    machine = repo.clone_url.split("://", 1)[-1].split("/", 1)[0].split("@")[-1]
    return Netrc(machine=machine, login=login, password=password)


def for_build(repo: Repo, build: Build, secrets: list[Secret] | None = None) -> Metadata:
    """Return the compiler metadata of one build (`secrets`: the repo's, when already read)."""
    settings = hub().settings
    origin = Origin.from_columns(build)
    return Metadata(
        repo=RepoInfo(full_name=repo.full_name, owner=repo.owner, name=repo.name, clone_url=repo.clone_url,
                      link=repo.link, private=repo.private, default_branch=repo.default_branch,
                      trusted=repo.trusted),
        commit=CommitInfo.from_origin(origin),
        build=BuildInfo.from_origin(origin, number=build.number, parent=build.parent, created=build.created,
                                    started=build.started, status=states.SUCCESS, link=build_link(repo, build)),
        system=SystemInfo(name="circle", host=settings.host, link=settings.host),
        params=origin.params,
        netrc=_netrc(repo, secret_store.list_by_repo(repo.id) if secrets is None else secrets),
    )
