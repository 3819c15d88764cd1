"""Users and their API tokens (names, last use, optional expiry). Passwords are hashed off the event loop."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from circle import crypto
from circle.errors import Conflict, NotFound
from circle.extensions import db
from circle.models import Token, User
from circle.models.types import now
from circle.offload import off_loop
from circle.store import web_sessions
from circle.store.base import Crud, Page, flush

_users = Crud(User, "user")
_tokens = Crud(Token, "token")

get = _users.get
count = _users.count
update = _users.update
delete = _users.delete

# A token's last use is written at most this often (seconds), so a busy token does not write on every call.
LAST_USED_EVERY = 60


def get_by_login(login: str) -> User:
    """Return the user with this login or raise NotFound."""
    return _users.find(repr(login), User.login == login)


def list_all(page: Page | None = None) -> list[User]:
    """Return one page of users ordered by login."""
    return _users.list(order_by=(User.login,), page=page)


def hash_password(password: str) -> str:
    """Return the hash of `password`, computed off the event loop."""
    return off_loop(lambda: generate_password_hash(password))


def password_matches(password_hash: str, password: str) -> bool:
    """Tell whether `password` matches `password_hash`, checked off the event loop."""
    return off_loop(lambda: check_password_hash(password_hash, password))


def create(login: str, password: str = "", *, admin: bool = False, email: str = "") -> User:
    """Create a user; a taken login raises Conflict."""
    if db.session.scalar(select(User.id).where(User.login == login)) is not None:
        raise Conflict(f"a user with login {login!r} already exists")
    password_hash = hash_password(password) if password else ""
    return _users.create(login=login, password_hash=password_hash, admin=admin, email=email)


def set_password(user: User, password: str) -> User:
    """Replace the user's password and end every dashboard session of theirs."""
    web_sessions.delete_for_user(user.id)
    return _users.update(user, password_hash=hash_password(password))


def check_password(user: User, password: str) -> bool:
    """Tell whether `password` is the user's password."""
    return bool(user.password_hash) and password_matches(user.password_hash, password)


def issue_token(user: User, name: str = "", expires_in: int | None = None) -> tuple[Token, str]:
    """Create an API token for `user` (expiring `expires_in` seconds from now, if given); return it and its secret.

    Only the secret's hash is stored: the secret is shown once.
    """
    secret = crypto.new_token()
    expires = now() + expires_in if expires_in else 0
    token = _tokens.create(user_id=user.id, hash=crypto.hash_token(secret), name=name, expires=expires)
    return token, secret


def create_token(user: User, name: str = "") -> str:
    """Create a new API token for `user` that never expires and return its secret."""
    return issue_token(user, name)[1]


def get_by_token(secret: str) -> User:
    """Return the active user owning this unexpired API token, or raise NotFound; notes the token's use."""
    found = db.session.execute(select(Token, User).join(User, User.id == Token.user_id)
                               .where(Token.hash == crypto.hash_token(secret))).first()
    if found is None:
        raise NotFound("token not found")
    row, user = found.tuple()
    if not user.active or (row.expires and row.expires <= now()):
        raise NotFound("token not found")
    if now() - row.last_used >= LAST_USED_EVERY:
        row.last_used = now()
        flush("token")
    return user


def list_tokens(user: User) -> list[Token]:
    """Return the tokens of a user, oldest first."""
    return _tokens.list(Token.user_id == user.id, order_by=(Token.id,))


def delete_token(user: User, token_id: int) -> None:
    """Delete one of the user's tokens; another user's token is NotFound."""
    _tokens.delete(_tokens.find(f"{token_id}", Token.id == token_id, Token.user_id == user.id))
