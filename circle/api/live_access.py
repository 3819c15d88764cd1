"""Who may keep a websocket open: its Origin is checked once, its caller's access before each message.

A browser always names the page that opens a websocket (Origin); it must be this server (CIRCLE_HOST
or the request's Host), so another site cannot read a feed with the visitor's cookie. Clients without
an Origin (scripts with a Bearer token) are not browsers and pass. The credential is kept, not the
user: each message re-checks it, so a deleted token, an ended session or a deleted user closes the
socket on the next message, and a repo is re-checked by id each time (a deleted repo whose id was
reused by another one is not readable by the old subscriber).
"""
from __future__ import annotations

import time

from flask import request

from circle.api import csrf
from circle.api.auth import TOKEN, Credential, presented, user_of
from circle.errors import Forbidden, NotFound, Unauthorized
from circle.models import User
from circle.service import permissions
from circle.store import repos
from circle.store.base import release


def check_origin() -> None:
    """Raise Forbidden when a browser opens the websocket from another site."""
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() not in csrf.allowed_origins():
        raise Forbidden(f"websockets from {origin[:100]} are not accepted")


class Access:
    """The credential of one websocket, re-checked whenever it is asked (at most every `recheck` seconds)."""

    def __init__(self, credential: Credential, recheck: float = 0.0) -> None:
        self.credential = credential
        self.recheck = recheck
        self._checked: float | None = None

    @classmethod
    def of_request(cls, recheck: float = 0.0) -> Access:
        """Return the access of the opening request (cookie, header or ?access_token=); Unauthorized without one."""
        check_origin()
        token = request.args.get("access_token", "")
        credential = Credential(TOKEN, token) if token else presented()
        if credential is None:
            raise Unauthorized("log in, or pass ?access_token=TOKEN")
        access = cls(credential, recheck)
        access.user()
        return access

    def user(self) -> User:
        """Return the caller as the credential stands now; Unauthorized when it no longer works."""
        try:
            return user_of(self.credential)
        finally:
            release()

    def may_read(self, repo_id: int | None) -> bool:
        """Tell whether the caller may still read repo `repo_id` (None: events of no repo, administrators only).

        Raises Unauthorized when the credential no longer works.
        """
        try:
            user = user_of(self.credential)
            return user.admin or (repo_id is not None and permissions.allows(user, repos.get(repo_id), "pull"))
        except NotFound:
            return False
        finally:
            release()

    def require(self, repo_id: int) -> None:
        """Raise Unauthorized or Forbidden unless the caller may still read the repo (asked anew past `recheck`)."""
        moment = time.monotonic()
        if self._checked is not None and moment - self._checked < self.recheck:
            return
        if not self.may_read(repo_id):
            raise Forbidden(f"repo {repo_id} is not readable any more")
        self._checked = moment
