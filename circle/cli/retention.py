"""`circle purge`: delete finished builds (and their logs and artifacts) past an age, now."""
from __future__ import annotations

import argparse
import re

from circle.errors import InvalidInput

AGE = re.compile(r"(\d+)d?")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `purge` command."""
    purge = sub.add_parser("purge", help="delete finished builds older than an age, keeping the newest per branch")
    purge.add_argument("--older-than", required=True, metavar="DAYS",
                       help="delete builds created more than this many days ago: 30d (or 30)")
    purge.add_argument("--keep-min", type=int, metavar="N",
                       help="keep the newest N builds of each branch (default CIRCLE_RETENTION_KEEP_MIN)")
    purge.add_argument("--repo", metavar="OWNER/NAME", help="only this repo (default every repo)")
    purge.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    purge.set_defaults(func=cmd_purge)


def days(text: str) -> int:
    """Return the days of an age like `30d`, or raise InvalidInput."""
    match = AGE.fullmatch(text.strip())
    if not match or int(match.group(1)) < 1:
        raise InvalidInput(f"--older-than {text!r} is not an age in days: write it like 30d")
    return int(match.group(1))


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete (or count) the builds past the age in every repo or one; print what was freed."""
    from circle.cli.installation import open_installation
    from circle.service import retention

    older_than = days(args.older_than)
    if args.keep_min is not None and args.keep_min < 0:
        raise InvalidInput("--keep-min must be 0 or more")
    app = open_installation()
    with app.app_context():
        default = retention.global_policy()
        keep_min = default.keep_min if args.keep_min is None else args.keep_min
        policy = retention.Policy(days=older_than, keep_min=keep_min, artifact_days=0)
        freed = retention.purge(full_name=args.repo, policy=policy, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {retention.describe(freed)} older than {older_than} days, keeping {keep_min} per branch")
    return 0
