"""Webhook deliveries → builds (SPEC §5): authenticate, parse, apply the repo's switches and config filters.

A delivery that carries the forge's delivery id (DELIVERY_HEADERS) is recorded in hook_deliveries in the
transaction that creates its first build; the same id again for the same repo (a replay, or a forge's retry
after it timed out) answers "duplicate delivery" and builds nothing. Deliveries without an id always build.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Mapping

from circle import states
from circle.errors import CircleError, Conflict, IgnoreEvent, InvalidInput, NotFound, Unauthorized
from circle.models import Build, Repo
from circle.models.hook_delivery import MAX_DELIVERY_ID
from circle.remote import HookEvent, Remote
from circle.service import builds
from circle.service.hook_url import verify_hook_token
from circle.service.scms import remote_for
from circle.service.triggers import branch_matches
from circle.store import configs as config_store
from circle.store import hook_deliveries as delivery_store
from circle.store import repos as repo_store
from circle.store import scms as scm_store
from circle.store.base import transaction

log = logging.getLogger(__name__)

# Largest webhook body accepted; real deliveries are far smaller (GitHub trims commit lists).
MAX_BODY = 3 * 1024 * 1024
# Headers through which forges sign or authenticate a delivery; a repo with a hook secret requires one.
SIGNATURE_HEADERS = ("X-Hub-Signature-256", "X-Hub-Signature", "X-Gitea-Signature", "X-Gogs-Signature",
                     "X-Gitlab-Token", "X-Circle-Signature")
# Headers carrying a forge's unique id of one delivery (Gitea sends the first three, all alike).
DELIVERY_HEADERS = ("X-Gitea-Delivery", "X-Gogs-Delivery", "X-GitHub-Delivery", "X-Gitlab-Event-UUID",
                    "X-Request-UUID", "X-Circle-Delivery")
SKIP_CI = re.compile(r"\[(ci skip|skip ci)\]", re.IGNORECASE)
SWITCHES = {states.PUSH: "allow_push", states.TAG: "allow_tag", states.PULL_REQUEST: "allow_pr",
            states.DEPLOYMENT: "allow_deploy"}


@dataclass
class HookResult:
    """What a delivery did: the builds it created, or why it created none."""

    builds: list[Build] = field(default_factory=list)
    skipped: str = ""


class _Duplicate(Exception):
    """The repo already received a delivery with this id."""


def forge_of(scm_id: int) -> str:
    """Return the kind of code host (github, gitea, local…) an SCM id names, or "unknown"."""
    try:
        return scm_store.get(scm_id).kind
    except NotFound:
        return "unknown"


def delivery_id(headers: Mapping[str, str]) -> str:
    """Return the forge's id of this delivery, or "" when it sends none."""
    for name in DELIVERY_HEADERS:
        value = (headers.get(name) or "").strip()
        if value:
            if len(value) > MAX_DELIVERY_ID:
                raise InvalidInput(f"the {name} header is longer than {MAX_DELIVERY_ID} characters")
            return value
    return ""


def _remember(repo: Repo, delivery: str) -> None:
    """Record the delivery id in the open transaction; raise _Duplicate when the repo already has it."""
    try:
        delivery_store.create(repo.id, delivery)
    except Conflict:
        raise _Duplicate(delivery) from None


def _authenticated_repo(scm_id: int, repo_id: int, token: str) -> Repo:
    """Return the repo the hook URL names when its token is valid; 401 otherwise (also for an unknown repo)."""
    try:
        repo = repo_store.get(repo_id)
    except NotFound:
        repo = None
    if repo is None or repo.scm_id != scm_id or not verify_hook_token(repo, token):
        raise Unauthorized("the hook URL's access token is missing or wrong")
    if not repo.active:
        raise NotFound(f"repo {repo_id} is not active on SCM {scm_id}")
    return repo


def _check_signature(remote: Remote, repo: Repo, headers: Mapping[str, str], body: bytes) -> None:
    """Require the forge's signature when the repo has a hook secret (every forge circle supports signs)."""
    signed = any(name in headers for name in SIGNATURE_HEADERS)
    if not repo.hook_secret and not signed:
        return
    if not signed:
        raise Unauthorized("the delivery is not signed, but the repo has a hook secret")
    if not remote.verify(headers, body, repo.hook_secret or ""):
        raise Unauthorized("the delivery's signature does not match the hook secret")


def receive(scm_id: int, repo_id: int, token: str, headers: Mapping[str, str], body: bytes) -> HookResult:
    """Turn one webhook delivery into builds, or say why it builds nothing."""
    repo = _authenticated_repo(scm_id, repo_id, token)
    remote = remote_for(scm_store.get(scm_id))
    _check_signature(remote, repo, headers, body)
    try:
        event = remote.hook(headers, body)
    except IgnoreEvent as err:
        return HookResult(skipped=str(err) or "event ignored")
    if event.repo and event.repo.lower() != repo.full_name.lower():
        raise InvalidInput(f"the delivery is for {event.repo}, not {repo.full_name}")
    delivery = delivery_id(headers)
    try:
        with transaction("hook delivery"):
            if delivery:
                _remember(repo, delivery)
            return _build(repo, event, remote)
    except _Duplicate:
        log.info("repo %s: delivery %s received again; nothing built", repo.id, delivery)
        return HookResult(skipped=f"duplicate delivery: {repo.full_name} already received delivery {delivery}")


def _pull_request_files(remote: Remote, repo: Repo, event: HookEvent) -> list[str] | None:
    """Ask the forge which files a pull request changes; None (so `when: path` passes) when it cannot say."""
    try:
        return remote.changed_files(repo.full_name, event.number)
    except CircleError as err:
        log.warning("repo %s: the files of pull request #%s are unknown: %s", repo.id, event.number, err)
        return None


def _build(repo: Repo, event: HookEvent, remote: Remote) -> HookResult:
    """Apply SPEC §5 rules 3-5 and create the builds."""
    switch = SWITCHES.get(event.event)
    if switch is None:
        return HookResult(skipped=f"{event.event or event.kind} events do not build")
    if not getattr(repo, switch):
        return HookResult(skipped=f"{repo.full_name} does not build {event.event} events ({switch} is off)")
    if SKIP_CI.search(event.message or "") or SKIP_CI.search(event.title or ""):
        return HookResult(skipped="the commit message asks to skip CI")
    origin = event.origin()
    configs = config_store.list_by_repo(repo.id)
    if origin.event != states.TAG:
        configs = [c for c in configs if branch_matches(c, origin.branch)]
    if not configs:
        return HookResult(skipped=f"no config of {repo.full_name} builds branch {origin.branch!r}")
    if origin.event == states.PULL_REQUEST and origin.files is None:
        origin.files = _pull_request_files(remote, repo, event)
    gated = repo.gated and origin.event == states.PULL_REQUEST
    created = [builds.create(repo, config, origin, gated=gated) for config in configs]
    log.info("repo %s: %s %s created builds %s", repo.id, event.event, event.ref, [b.number for b in created])
    return HookResult(builds=created)

