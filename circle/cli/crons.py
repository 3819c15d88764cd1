"""`circle cron ls|add|set|rm`: a repo's cron jobs over the REST API (CRON is an id or a name)."""
from __future__ import annotations

import argparse
from typing import Any

from circle.cli.client import _client, _common, _group, _show
from circle.cli.rest import Client, table, when
from circle.errors import InvalidInput, NotFound


def _rows(jobs: list[dict[str, Any]]) -> str:
    """Render cron jobs as a table."""
    return table(["ID", "NAME", "SCHEDULE", "BRANCH", "NEXT", "ERROR"],
                 ([j["id"], j["name"], j["schedule"], j["branch"] or "(default)", when(j["next"]), j["error"]]
                  for j in jobs))


def _line(job: dict[str, Any]) -> str:
    """Render one cron job as a sentence."""
    return f"cron job {job['name']} ({job['id']}) builds {job['branch'] or 'the default branch'} " \
           f"on {job['schedule']!r}, next at {when(job['next'])}"


def _cron_url(client: Client, repo: str, cron: str | None = None) -> str:
    """Return the URL of a repo's cron jobs, or of one given by id or name."""
    base = f"/api/repos/{client.repo_id(repo)}/crons"
    if cron is None:
        return base
    if cron.isdigit():
        return f"{base}/{cron}"
    for job in client.every(base):
        if job["name"] == cron:
            return f"{base}/{job['id']}"
    raise NotFound(f"{repo} has no cron job named {cron!r}")


def cron_ls(args: argparse.Namespace) -> int:
    """List a repo's cron jobs."""
    client = _client(args)
    return _show(args, client.every(_cron_url(client, args.repo)), _rows)


def cron_add(args: argparse.Namespace) -> int:
    """Add a cron job."""
    client = _client(args)
    body = {"name": args.name, "schedule": args.schedule, "branch": args.branch or ""}
    return _show(args, client.call("POST", _cron_url(client, args.repo), body=body), _line)


def cron_set(args: argparse.Namespace) -> int:
    """Change a cron job's name, schedule or branch."""
    client = _client(args)
    body = {k: v for k, v in (("name", args.name), ("schedule", args.schedule), ("branch", args.branch))
            if v is not None}
    if not body:
        raise InvalidInput("`circle cron set` needs --name, --schedule or --branch")
    return _show(args, client.call("PATCH", _cron_url(client, args.repo, args.cron), body=body), _line)


def cron_rm(args: argparse.Namespace) -> int:
    """Delete a cron job."""
    client = _client(args)
    client.call("DELETE", _cron_url(client, args.repo, args.cron))
    return _show(args, {"deleted": args.cron}, lambda _: f"deleted cron job {args.cron}")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `cron` client commands."""
    common = _common()
    cron = _group(sub, "cron", "list and manage a repo's scheduled builds")
    ls = cron.add_parser("ls", parents=[common], help="list a repo's cron jobs")
    ls.add_argument("repo")
    ls.set_defaults(func=cron_ls)
    add = cron.add_parser("add", parents=[common], help="add a cron job")
    add.add_argument("repo")
    add.add_argument("name")
    add.add_argument("schedule", help="'MIN HOUR DAY MONTH WEEKDAY' (UTC), @hourly, @daily, … or '@every 30s'")
    add.add_argument("--branch", help="default: the repo's default branch")
    add.set_defaults(func=cron_add)
    change = cron.add_parser("set", parents=[common], help="change a cron job")
    change.add_argument("repo")
    change.add_argument("cron", help="id or name")
    change.add_argument("--name")
    change.add_argument("--schedule")
    change.add_argument("--branch", help="'' = the repo's default branch")
    change.set_defaults(func=cron_set)
    rm = cron.add_parser("rm", parents=[common], help="delete a cron job")
    rm.add_argument("repo")
    rm.add_argument("cron", help="id or name")
    rm.set_defaults(func=cron_rm)
