"""Who may keep a websocket open: its Origin is checked once, its caller's access as messages go out.

A browser always names the page that opens a websocket (Origin); it must be this server (CIRCLE_HOST
or the request's Host), so another site cannot read a feed with the visitor's cookie. Clients without
an Origin (scripts with a Bearer token) are not browsers and pass. The credential is kept, not the
user, and asked anew once its answers are `recheck` seconds old: a deleted token, an ended session or
a deleted user closes the socket on the first message past that, and "may read repo R" is remembered
for as long. A change of access committed by this server process (circle.store.revocations) drops the
answers at once, so a revocation made here holds from the next message, one made by another server
process within `recheck` seconds. A repo is asked by id, so a deleted repo whose id was reused by
another one is not readable by the old subscriber (its deletion drops the answers too).
"""
from __future__ import annotations

import time

from flask import request

from circle.api import csrf
from circle.api.auth import TOKEN, Credential, presented, user_of
from circle.errors import Forbidden, Unauthorized
from circle.models import User
from circle.service import permissions
from circle.store import revocations
from circle.store.base import release


def check_origin() -> None:
    """Raise Forbidden when a browser opens the websocket from another site."""
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() not in csrf.allowed_origins():
        raise Forbidden(f"websockets from {origin[:100]} are not accepted")


class Access:
    """The credential of one websocket and what it may read, asked anew once the answers are `recheck` seconds old."""

    def __init__(self, credential: Credential, recheck: float = 0.0) -> None:
        self.credential = credential
        self.recheck = recheck
        self._asked: float | None = None
        self._generation = -1
        self._user_id = 0
        self._admin = False
        self._readable: dict[int | None, bool] = {}

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

    def _refresh(self) -> None:
        """Ask the credential anew and forget what it could read, unless that was asked recently and nothing changed."""
        moment = time.monotonic()
        generation = revocations.generation()
        if self._asked is not None and moment - self._asked < self.recheck and generation == self._generation:
            return
        self._readable.clear()
        self._asked = None
        user = self.user()
        self._user_id, self._admin = user.id, user.admin
        self._asked, self._generation = moment, generation

    def may_read(self, repo_id: int | None) -> bool:
        """Tell whether the caller may still read repo `repo_id` (None: events of no repo, administrators only).

        Raises Unauthorized when the credential no longer works.
        """
        self._refresh()
        if repo_id not in self._readable:
            self._readable[repo_id] = self._admin or (repo_id is not None and self._may_pull(repo_id))
        return self._readable[repo_id]

    def _may_pull(self, repo_id: int) -> bool:
        """Ask whether the (non-admin) caller may read repo `repo_id` now."""
        try:
            return permissions.user_may(self._user_id, repo_id, permissions.PULL)
        finally:
            release()

    def require(self, repo_id: int) -> None:
        """Raise Unauthorized or Forbidden unless the caller may still read the repo."""
        if not self.may_read(repo_id):
            raise Forbidden(f"repo {repo_id} is not readable any more")
