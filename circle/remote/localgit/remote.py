"""The local SCM: a directory of bare git repositories on the server's disk.

Repository names are paths relative to the directory without ".git" ("team/app" for
<root>/team/app.git); the clone URL is the repository's absolute path. activate() installs a
post-receive hook that POSTs each updated ref to the hook URL, so a plain `git push` builds.
Commit statuses are kept in circle only. Only admins may register this kind: it reads the
server's disk.
"""
from __future__ import annotations

import getpass
import logging
from pathlib import Path
from typing import Any, Mapping

from circle import states
from circle.errors import InvalidInput, NotFound
from circle.remote import signature
from circle.remote.base import Remote
from circle.remote.hosts import HostPolicy
from circle.remote.localgit import git, objects, receive_hook
from circle.remote.payload import MAX_CHANGED_FILES, file_list, header, load_json, need, short_ref, text
from circle.remote.types import (
    KIND_IGNORE,
    KIND_PUSH,
    KIND_TAG,
    Commit,
    HookEvent,
    Perm,
    RemoteRepo,
    RemoteUser,
)

log = logging.getLogger(__name__)

FORGE = "local git"


class LocalRemote(Remote):
    """Bare repositories under one directory of the server."""

    kind = "local"
    requires_admin = True
    shows_statuses = False

    def __init__(self, url: str, *, username: str = "", password: str = "", token: str = "",
                 hosts: HostPolicy | None = None, **options: Any) -> None:
        # `hosts` is taken like every kind takes it, and means nothing here: a local SCM opens no connection.
        if options:
            raise InvalidInput(f"unknown local SCM option(s): {', '.join(sorted(options))}")
        path = Path(url.removeprefix("file://")).expanduser()
        if not path.is_absolute():
            raise InvalidInput(f"the local SCM needs an absolute directory path, not '{url}'")
        if not path.is_dir():
            raise InvalidInput(f"{path} is not a directory on the server")
        self.root = path.resolve()

    def name_of(self, git_dir: Path) -> str:
        """Return a repository's name: its path under root without ".git"."""
        return git_dir.relative_to(self.root).as_posix().removesuffix(".git")

    def git_dir(self, full_name: str) -> Path:
        """Return the bare repository a name refers to, or raise NotFound."""
        parts = full_name.strip("/").split("/")
        if not full_name.strip("/") or any(p in ("", ".", "..") or p.startswith("-") for p in parts):
            raise InvalidInput(f"'{full_name}' is not a repository name")
        for candidate in (self.root / f"{full_name.strip('/')}.git", self.root / full_name.strip("/")):
            if git.is_bare(candidate) and candidate.resolve().is_relative_to(self.root):
                return candidate
        raise NotFound(f"there is no bare repository {full_name} under {self.root}")

    def user(self) -> RemoteUser:
        """Return the server's OS user, which owns the repositories."""
        return RemoteUser(login=getpass.getuser())

    def repo(self, full_name: str) -> RemoteRepo:
        """Describe one bare repository."""
        return self._describe(self.git_dir(full_name))

    def _describe(self, git_dir: Path) -> RemoteRepo:
        """Build the RemoteRepo of a bare repository."""
        name = self.name_of(git_dir)
        head = git.run(git_dir, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        owner, _, short = name.rpartition("/")
        return RemoteRepo(
            full_name=name,
            owner=owner,
            name=short,
            clone_url=str(git_dir),
            default_branch=head.stdout.decode().strip() or "main",
            private=True,
            link="",
        )

    def repos(self) -> list[RemoteRepo]:
        """List every bare repository under the directory."""
        return [self._describe(d) for d in git.find_bare(self.root)]

    def perm(self, full_name: str) -> Perm:
        """Grant everything: access is decided by who may register a local SCM."""
        self.git_dir(full_name)
        return Perm(pull=True, push=True, admin=True)

    def file_ref(self, full_name: str, ref: str, path: str) -> bytes:
        """Return a file's bytes at a ref, or raise NotFound."""
        git_dir, sha, clean = self._at(full_name, ref, path)
        found = objects.reader(git_dir).read(f"{sha}:{clean}")
        if found is None or found.kind != "blob":
            raise NotFound(f"{path} not found in {full_name} at {ref}")
        return found.data

    def dir(self, full_name: str, sha: str, path: str) -> list[str]:
        """List the files directly inside a directory at a commit, or raise NotFound."""
        git_dir, commit, clean = self._at(full_name, sha, path)
        found = objects.reader(git_dir).read(f"{commit}:{clean}")
        if found is None or found.kind != "tree":
            raise NotFound(f"{path} is no directory in {full_name} at {sha}")
        return [f"{clean}/{name}" for name in objects.tree_files(found)]

    def _at(self, full_name: str, ref: str, path: str) -> tuple[Path, str, str]:
        """Return the git dir, the commit of `ref` and `path` stripped of slashes; refuse paths leaving the tree."""
        git_dir = self.git_dir(full_name)
        clean = path.strip("/")
        if not clean or any(p in ("", ".", "..") for p in clean.split("/")):
            raise InvalidInput(f"'{path}' is not a file path inside a repository")
        return git_dir, ref if git.is_sha(ref) else self._commit_object(git_dir, ref, full_name).sha, clean

    def _commit_object(self, git_dir: Path, rev: str, full_name: str) -> objects.GitObject:
        """Return the commit a revision names (a tag peeled to its commit), or raise NotFound."""
        found = objects.reader(git_dir).read(f"{git.check_rev(rev)}^{{commit}}")
        if found is None:
            raise NotFound(f"{full_name} has no commit, branch or tag {rev}")
        return found

    def branch_head(self, full_name: str, branch: str) -> str:
        """Return the sha of refs/heads/<branch>."""
        git_dir = self.git_dir(full_name)
        try:
            return self._commit_object(git_dir, f"refs/heads/{branch}", full_name).sha
        except NotFound:
            raise NotFound(f"{full_name} has no branch {branch}") from None

    def commit(self, full_name: str, ref: str) -> Commit:
        """Read a commit's metadata."""
        return objects.parse_commit(self._commit_object(self.git_dir(full_name), ref, full_name))

    def status(self, full_name: str, sha: str, state: str, context: str, link: str, description: str = "") -> None:
        """Keep nothing: a local repository shows no statuses; circle records the build state."""
        if state not in states.STATES:
            raise InvalidInput(f"'{state}' is not a build state")
        log.debug("local SCM: %s@%s is %s (%s)", full_name, sha, state, context)

    def activate(self, full_name: str, hook_url: str, secret: str) -> None:
        """Install the post-receive hook that POSTs each updated ref to hook_url, signed with secret."""
        if not secret:
            raise InvalidInput("a hook secret is needed to activate a repository")
        receive_hook.install(self.git_dir(full_name), self.name_of(self.git_dir(full_name)), hook_url, secret)

    def deactivate(self, full_name: str, hook_url: str) -> None:
        """Remove the repo's targets from the post-receive hook, on any host (the hook too when none is left)."""
        receive_hook.remove(self.git_dir(full_name), hook_url)

    def parse(self, headers: Mapping[str, str], body: bytes) -> HookEvent:
        """Parse a delivery of the post-receive hook, reading the commit from the repository."""
        name = header(headers, "X-Circle-Event")
        if not name:
            raise InvalidInput("a local git hook needs an X-Circle-Event header")
        data = load_json(body, FORGE)
        full_name = str(need(data, FORGE, "repo"))
        try:
            git_dir = self.git_dir(full_name)
        except NotFound:
            raise InvalidInput(f"the hook names {full_name}, which is not a repository under {self.root}") from None
        ref = str(need(data, FORGE, "ref"))
        before, after = text(data, "before"), text(data, "after")
        branch, tag = short_ref(ref)
        pusher = text(data, "pusher")
        base: dict[str, Any] = {
            "ref": ref,
            "branch": branch,
            "tag": tag,
            "before": before,
            "after": after,
            "repo": full_name,
            "clone_url": str(git_dir),
            "sender": pusher,
        }
        if name != "push":
            return HookEvent(kind=KIND_IGNORE, reason=f"local git '{name}' events build nothing", **base)
        if not git.is_sha(after):
            raise InvalidInput(f"the hook's 'after' is not a commit sha: {after[:80]!r}")
        if not after.strip("0"):  # all zeros (SHA-1 or SHA-256): the ref was deleted
            return HookEvent(kind=KIND_IGNORE, reason=f"{ref} was deleted: nothing to build", **base)
        if not branch and not tag:
            return HookEvent(kind=KIND_IGNORE, reason=f"a push to {ref} is neither a branch nor a tag", **base)
        commit = self.commit(full_name, after)  # peels an annotated tag to its commit
        kind = KIND_TAG if tag else KIND_PUSH
        return HookEvent(
            kind=kind,
            event=kind,
            sha=commit.sha,
            message=commit.message,
            author=commit.author,
            author_name=commit.author_name,
            author_email=commit.author_email,
            files=self._changed(git_dir, before, after),
            **{**base, "sender": pusher or commit.author},
        )

    def _changed(self, git_dir: Path, before: str, after: str) -> list[str] | None:
        """Return the files a push changed (None when unknown or too many; none for a new ref)."""
        if not git.is_sha(before) or not before.strip("0"):
            return None
        try:
            return file_list(objects.changed_paths(objects.reader(git_dir), before, after, MAX_CHANGED_FILES))
        except objects.TooManyPaths:
            return None

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        """Check X-Circle-Signature (sha256=<hex HMAC of the body>)."""
        return signature.matches_hmac(secret, body, header(headers, "X-Circle-Signature"), prefix="sha256=")
