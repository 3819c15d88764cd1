"""What the compiler knows about one build: repo, commit, build, job, system, parameters, netrc.

`Metadata.environ()` turns it into the CI_* / DRONE_* variables of SPEC §7. The compiler adds
the workspace, the matrix axis and the build parameters on top of these.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from circle import states
from circle.origin import Origin

log = logging.getLogger(__name__)


@dataclass
class RepoInfo:
    """The repository being built."""

    full_name: str = ""
    owner: str = ""
    name: str = ""
    clone_url: str = ""
    link: str = ""
    private: bool = False
    default_branch: str = "main"
    trusted: bool = False


@dataclass
class CommitInfo:
    """The commit being built."""

    sha: str = ""
    ref: str = ""
    branch: str = ""
    message: str = ""
    author: str = ""
    author_email: str = ""
    author_avatar: str = ""
    link: str = ""
    files: list[str] | None = None  # changed files, when known (Woodpecker's `when: path`)

    @classmethod
    def from_origin(cls, origin: Origin) -> CommitInfo:
        """Return the commit a build's origin names."""
        return cls(sha=origin.commit, ref=origin.ref, branch=origin.branch, message=origin.message,
                   author=origin.author, author_email=origin.email, author_avatar=origin.avatar, link=origin.link,
                   files=origin.files)


@dataclass
class BuildInfo:
    """The build: its number, event and, depending on the event, tag, pull request or deploy target."""

    number: int = 0
    parent: int = 0
    event: str = states.PUSH
    created: int = 0
    started: int = 0
    status: str = states.SUCCESS
    link: str = ""
    deploy_to: str = ""
    tag: str = ""
    pull_request: int = 0
    source_branch: str = ""
    target_branch: str = ""
    cron: str = ""  # name of the cron job that started the build

    @classmethod
    def from_origin(cls, origin: Origin, **build: Any) -> BuildInfo:
        """Return the build info of an origin; `build` adds number, times, status and link."""
        return cls(event=origin.event, deploy_to=origin.deploy_to, tag=origin.tag, pull_request=origin.pr_number,
                   source_branch=origin.source_branch, target_branch=origin.target_branch, cron=origin.cron,
                   **build)


@dataclass
class SystemInfo:
    """The CI system running the build."""

    name: str = "circle"
    host: str = ""
    link: str = ""
    platform: str = "linux/amd64"
    machine: str = ""
    version: str = ""


@dataclass
class Netrc:
    """Credentials the clone step writes to $HOME/.netrc."""

    machine: str
    login: str
    password: str


@dataclass
class Metadata:
    """Everything about one build that a pipeline may see or be filtered on."""

    repo: RepoInfo = field(default_factory=RepoInfo)
    commit: CommitInfo = field(default_factory=CommitInfo)
    build: BuildInfo = field(default_factory=BuildInfo)
    job_number: int = 1
    system: SystemInfo = field(default_factory=SystemInfo)
    params: dict[str, str] = field(default_factory=dict)
    netrc: Netrc | None = None
    upload_url: str = ""

    def environ(self) -> dict[str, str]:
        """Return the CI_* and DRONE_* variables describing this build (workspace and axis excluded)."""
        ci = self._ci_environ()
        env = {"CI": "true", "CIRCLE": "true", "DRONE": "true"}
        env.update(ci)
        env.update({"DRONE_" + key[3:]: value for key, value in ci.items()})
        env.update(self._drone_extras())
        env.update(self._woodpecker_extras())
        if self.upload_url:
            env["CIRCLE_UPLOAD_URL"] = self.upload_url
        return env

    def _ci_environ(self) -> dict[str, str]:
        """Return the CI_* variables; each also gets a DRONE_* twin."""
        repo, commit, build, system = self.repo, self.commit, self.build, self.system
        env = {
            "CI_REPO": repo.full_name,
            "CI_REPO_OWNER": repo.owner,
            "CI_REPO_NAME": repo.name,
            "CI_REPO_LINK": repo.link,
            "CI_REPO_REMOTE": repo.clone_url,
            "CI_REMOTE_URL": repo.clone_url,
            "CI_REPO_PRIVATE": _flag(repo.private),
            "CI_REPO_DEFAULT_BRANCH": repo.default_branch,
            "CI_REPO_TRUSTED": _flag(repo.trusted),
            "CI_COMMIT_SHA": commit.sha,
            "CI_COMMIT_REF": commit.ref,
            "CI_COMMIT_REFSPEC": self._refspec(),
            "CI_COMMIT_BRANCH": commit.branch,
            "CI_COMMIT_MESSAGE": commit.message,
            "CI_COMMIT_AUTHOR": commit.author,
            "CI_COMMIT_AUTHOR_NAME": commit.author,
            "CI_COMMIT_AUTHOR_EMAIL": commit.author_email,
            "CI_COMMIT_AUTHOR_AVATAR": commit.author_avatar,
            "CI_COMMIT_LINK": commit.link,
            "CI_BUILD_NUMBER": str(build.number),
            "CI_PARENT_BUILD_NUMBER": str(build.parent),
            "CI_BUILD_EVENT": build.event,
            "CI_BUILD_STATUS": build.status,
            "CI_BUILD_LINK": build.link,
            "CI_BUILD_CREATED": str(build.created),
            "CI_BUILD_STARTED": str(build.started),
            "CI_JOB_NUMBER": str(self.job_number),
            "CI_JOB_STARTED": str(build.started),
            "CI_SYSTEM": system.name,
            "CI_SYSTEM_NAME": system.name,
            "CI_SYSTEM_LINK": system.link,
            "CI_SYSTEM_HOST": system.host,
            "CI_SYSTEM_ARCH": system.platform,
            "CI_SYSTEM_PLATFORM": system.platform,
            "CI_SYSTEM_VERSION": system.version,
            "CI_MACHINE": system.machine,
        }
        if build.event == states.TAG or build.tag:
            env["CI_TAG"] = env["CI_COMMIT_TAG"] = build.tag
        if build.event == states.PULL_REQUEST:
            env["CI_PULL_REQUEST"] = env["CI_COMMIT_PULL_REQUEST"] = str(build.pull_request)
            env["CI_COMMIT_SOURCE_BRANCH"] = build.source_branch
            env["CI_COMMIT_TARGET_BRANCH"] = build.target_branch
        if build.event == states.DEPLOYMENT:
            env["CI_BUILD_DEPLOY_TARGET"] = env["CI_BUILD_TARGET"] = build.deploy_to
        if build.event == states.CRON:
            env["CI_CRON"] = build.cron
        return env

    def _drone_extras(self) -> dict[str, str]:
        """Return the DRONE_* names Drone 0.8 set that have no CI_* twin."""
        extras = {
            "DRONE_BRANCH": self.commit.branch,
            "DRONE_COMMIT": self.commit.sha,
            "DRONE_ARCH": self.system.platform,
            "DRONE_REPO_BRANCH": self.repo.default_branch,
            "DRONE_REPO_SCM": "git",
        }
        if self.build.event == states.DEPLOYMENT:
            extras["DRONE_DEPLOY_TO"] = self.build.deploy_to
        return extras

    def _woodpecker_extras(self) -> dict[str, str]:
        """Return the Woodpecker >= 1.0 names (CI_PIPELINE_*, CI_REPO_URL…) that have no DRONE_* twin."""
        repo, commit, build = self.repo, self.commit, self.build
        files = commit.files
        return {
            "CI_REPO_URL": repo.link,
            "CI_REPO_CLONE_URL": repo.clone_url,
            "CI_REPO_SCM": "git",
            "CI_COMMIT_URL": commit.link,
            "CI_PIPELINE_NUMBER": str(build.number),
            "CI_PIPELINE_PARENT": str(build.parent),
            "CI_PIPELINE_EVENT": build.event,
            "CI_PIPELINE_STATUS": build.status,
            "CI_PIPELINE_URL": build.link,
            "CI_PIPELINE_FORGE_URL": commit.link,
            "CI_PIPELINE_DEPLOY_TARGET": build.deploy_to,
            "CI_PIPELINE_CREATED": str(build.created),
            "CI_PIPELINE_STARTED": str(build.started),
            "CI_PIPELINE_FILES": json.dumps(files, separators=(",", ":")) if files else "",
            "CI_FORGE_URL": _site(repo.link),
            "CI_SYSTEM_URL": self.system.link,
        }

    def _refspec(self) -> str:
        """Return `source:target` for pull requests, else empty (Drone 0.8's CI_COMMIT_REFSPEC)."""
        if self.build.event == states.PULL_REQUEST and self.build.source_branch:
            return f"{self.build.source_branch}:{self.build.target_branch}"
        return ""

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this metadata."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Metadata:
        """Build metadata from its JSON object; unknown keys are ignored."""
        netrc = data.get("netrc")
        return cls(
            repo=_load(RepoInfo, data.get("repo")),
            commit=_load(CommitInfo, data.get("commit")),
            build=_load(BuildInfo, data.get("build")),
            job_number=int(data.get("job_number", 1)),
            system=_load(SystemInfo, data.get("system")),
            params={str(k): str(v) for k, v in (data.get("params") or {}).items()},
            netrc=_load(Netrc, netrc) if netrc else None,
            upload_url=str(data.get("upload_url", "")),
        )


def _site(link: str) -> str:
    """Return the scheme and host of a web link (`https://git.example.com`), or empty."""
    parts = urlsplit(link)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _flag(value: bool) -> str:
    """Return "true" or "false"."""
    return "true" if value else "false"


def _load(cls: type, data: dict[str, Any] | None) -> Any:
    """Build dataclass `cls` from the known keys of `data`."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in (data or {}).items() if k in names})
