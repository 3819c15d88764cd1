"""`circle user add`, `circle user passwd` and `circle token`: accounts from the command line."""
from __future__ import annotations

import argparse
import secrets

from circle.errors import InvalidInput


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `user` and `token` commands."""
    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", help="create a user and print its API token (last line)")
    add.add_argument("login")
    add.add_argument("--admin", action="store_true", help="make the user an administrator")
    add.add_argument("--password", help="login password for the dashboard (default: generated and printed)")
    add.set_defaults(func=cmd_user_add)
    passwd = user_sub.add_parser("passwd", help="set a user's password and end their dashboard sessions")
    passwd.add_argument("login")
    passwd.add_argument("--password", help="the new password (default: generated and printed)")
    passwd.set_defaults(func=cmd_user_passwd)

    token = sub.add_parser("token", help="print a new API token for a user (last line)")
    token.add_argument("login")
    token.set_defaults(func=cmd_token)


def _app():
    """Return the server app of the existing installation, its database open and migrated."""
    from circle.cli.installation import open_installation

    return open_installation()


def cmd_user_add(args: argparse.Namespace) -> int:
    """Create a user; print its login, password when generated, and its token last."""
    from circle.store import users
    from circle.store.base import transaction

    login = args.login.strip()
    if not login or len(login) > 255 or any(c.isspace() for c in login):
        raise InvalidInput(f"invalid login {args.login!r}: use 1 to 255 characters without spaces")
    password = args.password or secrets.token_urlsafe(12)
    with _app().app_context(), transaction("user"):
        user = users.create(login, password, admin=args.admin)
        token = users.create_token(user, name="cli")
    print(f"created user {login}{' (admin)' if args.admin else ''}")
    if not args.password:
        print(f"password: {password}")
    print(token)
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    """Set a user's password (printed when generated); every dashboard session of theirs ends."""
    from circle.store import users
    from circle.store.base import transaction

    password = args.password or secrets.token_urlsafe(12)
    if len(password) < 8:
        raise InvalidInput("use a password of 8 characters or more")
    with _app().app_context(), transaction("user"):
        users.set_password(users.get_by_login(args.login), password)
    print(f"password of {args.login} changed; their dashboard sessions ended")
    if not args.password:
        print(f"password: {password}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """Print a new API token for an existing user."""
    from circle.store import users
    from circle.store.base import transaction

    with _app().app_context(), transaction("token"):
        token = users.create_token(users.get_by_login(args.login), name="cli")
    print(token)
    return 0
