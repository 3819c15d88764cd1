"""The build-metadata flags shared by `circle compile` and `circle exec`.

Run in a plain directory the defaults describe a push of the current checkout: branch and commit
come from `git` when the directory is a git work tree (the clone URL is then the work tree
itself, so `circle exec` builds what is checked out), else branch "main" and no commit.
"""
from __future__ import annotations

import argparse
import logging
import os
import subprocess
import time
from pathlib import Path

from circle.compiler.metadata import BuildInfo, CommitInfo, Metadata, RepoInfo
from circle.compiler.secrets import SecretSpec
from circle.errors import InvalidInput
from circle.states import EVENTS, PUSH, TAG

log = logging.getLogger(__name__)


def add_metadata_flags(parser: argparse.ArgumentParser) -> None:
    """Add --event --branch --ref --commit --repo --secret --env to `parser`."""
    group = parser.add_argument_group("build metadata")
    group.add_argument("--event", choices=EVENTS, default=PUSH, help="build event (default push)")
    group.add_argument("--branch", help="branch (default: the checked-out branch, else main)")
    group.add_argument("--ref", help="git ref (default refs/heads/BRANCH, or refs/tags/TAG for --event tag)")
    group.add_argument("--commit", help="commit sha (default: HEAD of the checkout)")
    group.add_argument("--repo", metavar="OWNER/NAME", help="repository full name (default local/DIRNAME)")
    group.add_argument("--secret", action="append", default=[], metavar="NAME=VALUE",
                       help="a secret offered to steps that ask for it (repeatable)")
    group.add_argument("--env", action="append", default=[], metavar="K=V",
                       help="a variable for ${VAR} substitution and every step (repeatable)")


def metadata_from_args(args: argparse.Namespace) -> tuple[Metadata, list[SecretSpec], dict[str, str]]:
    """Return the metadata, secrets and extra environment the flags describe."""
    secrets = [SecretSpec(name=k, value=v) for k, v in _pairs(args.secret, "--secret")]
    env = dict(_pairs(args.env, "--env"))
    return _metadata(args, Path.cwd()), secrets, env


def _metadata(args: argparse.Namespace, cwd: Path) -> Metadata:
    """Return the metadata for the flags, filling gaps from the git checkout at `cwd`."""
    toplevel, head_sha, head_branch = _checkout(cwd)
    event = args.event
    ref = args.ref or ""
    branch = args.branch or _branch_of(ref) or head_branch
    if branch in ("", "HEAD"):
        branch = "main"
    tag = ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else ""
    if event == TAG and not tag:
        tag = _git(cwd, "describe", "--tags", "--exact-match") or branch
        ref = ref or f"refs/tags/{tag}"
    ref = ref or f"refs/heads/{branch}"
    full_name = args.repo or f"local/{(Path(toplevel) if toplevel else cwd).name}"
    if full_name.count("/") != 1 or full_name.startswith("/") or full_name.endswith("/"):
        raise InvalidInput(f"--repo must look like OWNER/NAME, not {full_name!r}")
    owner, name = full_name.split("/")
    sha = args.commit or head_sha
    author, author_email, message = _commit(cwd, sha) if sha and toplevel else ("", "", "")
    now = int(time.time())
    return Metadata(
        repo=RepoInfo(full_name=full_name, owner=owner, name=name, clone_url=toplevel,
                      default_branch=branch, trusted=True),
        commit=CommitInfo(sha=sha, ref=ref, branch=branch, message=message, author=author,
                          author_email=author_email),
        build=BuildInfo(number=1, event=event, created=now, started=now, tag=tag),
    )


def _checkout(cwd: Path) -> tuple[str, str, str]:
    """Return the git work tree's top directory, HEAD's sha and branch, empty when unknown (one git call, as
    each costs a process start; two in a repository without commits)."""
    lines = _git(cwd, "rev-parse", "--show-toplevel", "HEAD", "--abbrev-ref", "HEAD").splitlines()
    if len(lines) == 3:
        return lines[0], lines[1], lines[2]
    return _git(cwd, "rev-parse", "--show-toplevel"), "", ""


def _commit(cwd: Path, sha: str) -> tuple[str, str, str]:
    """Return the author, author email and message of commit `sha` (empty when unknown)."""
    author, _, rest = _git(cwd, "log", "-1", "--format=%an%x00%ae%x00%B", sha).partition("\0")
    email, _, message = rest.partition("\0")
    return author.strip(), email.strip(), message.strip()


def _branch_of(ref: str) -> str:
    """Return the branch a refs/heads/ ref names, else empty."""
    return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else ""


def _pairs(items: list[str], flag: str) -> list[tuple[str, str]]:
    """Split NAME=VALUE items, rejecting those without a name."""
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"{flag} expects NAME=VALUE, got {item!r}")
        pairs.append((key, value))
    return pairs


def _git(cwd: Path, *argv: str) -> str:
    """Return the stripped output of a git command in `cwd`, or empty when it fails."""
    try:
        done = subprocess.run(["git", *argv], cwd=cwd, capture_output=True, text=True, timeout=10,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"}, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        log.debug("git %s failed: %s", argv, err)
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
