"""Users and their API tokens."""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from circle import crypto
from circle.errors import Conflict, NotFound
from circle.extensions import db
from circle.models import Token, User
from circle.models.types import now
from circle.store.base import Crud, Page, flush

_users = Crud(User, "user")
_tokens = Crud(Token, "token")

get = _users.get
count = _users.count
update = _users.update
delete = _users.delete


def get_by_login(login: str) -> User:
    """Return the user with this login or raise NotFound."""
    return _users.find(repr(login), User.login == login)


def list_all(page: Page | None = None) -> list[User]:
    """Return one page of users ordered by login."""
    return _users.list(order_by=(User.login,), page=page)


def create(login: str, password: str = "", *, admin: bool = False, email: str = "") -> User:
    """Create a user; a taken login raises Conflict."""
    if db.session.scalar(select(User.id).where(User.login == login)) is not None:
        raise Conflict(f"a user with login {login!r} already exists")
    password_hash = generate_password_hash(password) if password else ""
    return _users.create(login=login, password_hash=password_hash, admin=admin, email=email)


def set_password(user: User, password: str) -> User:
    """Replace the user's password."""
    return _users.update(user, password_hash=generate_password_hash(password))


def check_password(user: User, password: str) -> bool:
    """Tell whether `password` is the user's password."""
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def create_token(user: User, name: str = "") -> str:
    """Create a new API token for `user` and return it; only its hash is stored."""
    token = crypto.new_token()
    _tokens.create(user_id=user.id, hash=crypto.hash_token(token), name=name)
    return token


def get_by_token(token: str) -> User:
    """Return the active user owning this API token, or raise NotFound."""
    row = db.session.scalars(select(Token).where(Token.hash == crypto.hash_token(token))).first()
    user = db.session.get(User, row.user_id) if row else None
    if row is None or user is None or not user.active:
        raise NotFound("token not found")
    if now() - row.last_used > 60:
        row.last_used = now()
        flush("token")
    return user


def list_tokens(user: User) -> list[Token]:
    """Return the tokens (hashes and names) of a user."""
    return _tokens.list(Token.user_id == user.id)
