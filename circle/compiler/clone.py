"""The clone step: a POSIX sh script that needs only git, for the local backend and any image with sh + git.

It runs with the workspace directory as its working directory: it initialises a repository
there, fetches CI_COMMIT_REF (or the sha) from CI_REPO_REMOTE and checks out CI_COMMIT_SHA.
With netrc credentials in CI_NETRC_* it first writes "$HOME/.netrc". Settings of a custom git
clone step are honoured: PLUGIN_DEPTH (0 = full history), PLUGIN_TAGS, PLUGIN_RECURSIVE.
Its log is one `+ git …` line per action (`CLONE_COMMANDS` print them; the step has `trace` off).
"""
from __future__ import annotations

import logging

from circle.compiler.images import repository
from circle.compiler.metadata import Netrc

log = logging.getLogger(__name__)

DEFAULT_CLONE_IMAGE = "docker.io/alpine/git:latest"
CLONE_STEP_NAME = "clone"

# Custom clone images known to be git cloners: they get circle's script (their own entrypoint
# would not run on the local backend), keeping the image and its settings.
GIT_PLUGINS = ("plugins/git", "drone/git", "woodpeckerci/plugin-git", "woodpecker-plugins/git", "plugin-git")

# Each action prints one readable `+ git …` line with the values it uses (the step's script echoes nothing
# itself: `trace` is off), and the netrc is written without a word, so its contents never reach the log.
CLONE_COMMANDS = [
    # The credentials live only while the clone step runs: later steps never find them in a HOME.
    'trap \'rm -f "$HOME/.netrc"\' EXIT',
    'if [ -n "${CI_NETRC_MACHINE:-}" ]; then umask 077; '
    'printf "machine %s\\nlogin %s\\npassword %s\\n" "$CI_NETRC_MACHINE" "$CI_NETRC_USERNAME" "$CI_NETRC_PASSWORD" '
    '> "$HOME/.netrc"; umask 022; fi',
    'if [ ! -d .git ]; then printf "+ git init\\n"; git -c init.defaultBranch=main init -q .; fi',
    'if git remote get-url origin >/dev/null 2>&1; then CIRCLE_REMOTE=set-url; else CIRCLE_REMOTE=add; fi; '
    'printf "+ git remote %s origin %s\\n" "$CIRCLE_REMOTE" "$CI_REPO_REMOTE"; '
    'git remote "$CIRCLE_REMOTE" origin "$CI_REPO_REMOTE"',
    'CIRCLE_FETCH_FLAGS=""; '
    'if [ "${PLUGIN_DEPTH:-0}" != "0" ]; then CIRCLE_FETCH_FLAGS="--depth=$PLUGIN_DEPTH"; fi; '
    'if [ "${PLUGIN_TAGS:-false}" = "true" ]; then CIRCLE_FETCH_FLAGS="$CIRCLE_FETCH_FLAGS --tags"; fi; '
    'printf "+ git fetch"; for CIRCLE_FLAG in $CIRCLE_FETCH_FLAGS; do printf " %s" "$CIRCLE_FLAG"; done; '
    'printf " origin %s\\n" "${CI_COMMIT_REF:-$CI_COMMIT_SHA}"; '
    'git fetch -q $CIRCLE_FETCH_FLAGS origin "+${CI_COMMIT_REF:-$CI_COMMIT_SHA}"',
    'printf "+ git checkout %s\\n" "${CI_COMMIT_SHA:-FETCH_HEAD}"; git checkout -q -f "${CI_COMMIT_SHA:-FETCH_HEAD}"',
    'if [ "${PLUGIN_RECURSIVE:-false}" = "true" ]; then printf "+ git submodule update --init --recursive\\n"; '
    'git submodule update -q --init --recursive; fi',
]


def is_git_plugin(image: str) -> bool:
    """Return whether a custom clone `image` is a known git clone plugin."""
    name = repository(image)
    return any(name == plugin or name.endswith("/" + plugin) for plugin in GIT_PLUGINS)


def netrc_environment(netrc: Netrc | None) -> dict[str, str]:
    """Return the CI_NETRC_* (and Drone's DRONE_NETRC_*) variables for the clone step."""
    if netrc is None:
        return {}
    values = {"MACHINE": netrc.machine, "USERNAME": netrc.login, "PASSWORD": netrc.password}
    return {f"{prefix}_NETRC_{k}": v for prefix in ("CI", "DRONE") for k, v in values.items()}
