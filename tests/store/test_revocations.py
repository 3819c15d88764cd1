"""The count of committed access changes: it moves for users, tokens, sessions, permissions and deleted repos only."""
from __future__ import annotations

from typing import Callable

import pytest
from flask import Flask

from circle.extensions import db
from circle.models import Repo, User
from circle.store import repos, revocations, scms, users, web_sessions
from circle.store.base import transaction


@pytest.fixture
def owner(app: Flask) -> User:
    """A user with a token, a session and a repo they administer."""
    user = users.create("ada")
    users.create_token(user)
    web_sessions.create(user)
    return user


def _repo(owner: User) -> Repo:
    """Create a repo administered by `owner`."""
    scm = scms.create(kind="local", name="disk", url="/x", owner_id=owner.id)
    repo = repos.create(scm_id=scm.id, full_name="acme/app", owner="acme", name="app", clone_url="/x/acme/app")
    repos.set_perm(owner.id, repo.id, pull=True, push=True, admin=True)
    return repo


def _moves(change: Callable[[], object]) -> bool:
    """Tell whether committing `change` (one transaction) moved the count."""
    before = revocations.generation()
    with transaction():
        change()
    return revocations.generation() != before


def test_access_changes_move_the_count(owner: User):
    """Deleting a token, ending sessions, changing a user or a permission, deleting a repo: each counts."""
    repo = _repo(owner)
    assert _moves(lambda: users.delete_token(owner, users.list_tokens(owner)[0].id))
    assert _moves(lambda: web_sessions.delete_for_user(owner.id))
    assert _moves(lambda: users.update(owner, admin=True))
    assert _moves(lambda: repos.set_perm(owner.id, repo.id, pull=True, push=False, admin=False))
    assert _moves(lambda: repos.delete(repo))
    assert _moves(lambda: users.delete(owner))


def test_other_writes_and_rollbacks_leave_the_count(owner: User):
    """A repo's build counter or settings are no access change, nor is a revocation that rolled back."""
    repo = _repo(owner)
    assert not _moves(lambda: repos.update(repo, timeout=30))
    assert not _moves(lambda: repos.next_number(repo))

    before = revocations.generation()
    with pytest.raises(RuntimeError), transaction():
        users.delete_token(owner, users.list_tokens(owner)[0].id)
        raise RuntimeError("undo")
    assert revocations.generation() == before
    assert users.list_tokens(owner) and db.session.get(User, owner.id) is not None
