"""`circle repo|build|secret|scm|agents`: client commands over the REST API.

They talk to CIRCLE_SERVER with the API token CIRCLE_TOKEN (or --server / --token). Answers are
human-readable tables; --json prints the server's JSON instead. A REPO is an id or "owner/name".
Errors are one sentence on stderr (circle.cli.main prints the CircleError raised here).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Callable, Iterable, Iterator

import requests

from circle.errors import (
    CircleError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    SettingsError,
    TooLarge,
    Unauthorized,
)
from circle.states import EVENTS

ERRORS: dict[int, type[CircleError]] = {400: InvalidInput, 401: Unauthorized, 403: Forbidden, 404: NotFound,
                                        409: Conflict, 413: TooLarge}
TIMEOUT = 30
PER_PAGE = 200
# Lines per log request: the server's largest page (GET …/logs/{pid}?limit=).
LOG_PAGE = 50_000


class Client:
    """A session with the circle server, authenticated with an API token."""

    def __init__(self, server: str, token: str) -> None:
        if not token:
            raise SettingsError("set CIRCLE_TOKEN (or pass --token) to an API token; `circle token LOGIN` prints one")
        self.server = server.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """Send one request; return the decoded answer or raise the CircleError matching the status."""
        return self._answer(self._send(method, path, body=body, params=params))

    def _send(self, method: str, path: str, *, body: Any = None,
              params: dict[str, Any] | None = None) -> requests.Response:
        """Send one request, turning a network failure into one sentence."""
        try:
            return self.session.request(method, self.server + path, json=body, params=params, timeout=TIMEOUT)
        except requests.Timeout:
            raise CircleError(f"the circle server at {self.server} did not answer within {TIMEOUT} s") from None
        except requests.RequestException:
            raise CircleError(f"cannot reach the circle server at {self.server}; is it running "
                              "(CIRCLE_SERVER)?") from None

    def _answer(self, resp: requests.Response) -> Any:
        """Decode a response or raise its error."""
        if resp.status_code >= 400:
            try:
                message = resp.json()["message"]
            except (ValueError, KeyError, TypeError):
                message = f"the server answered {resp.status_code} {resp.reason}"
            raise ERRORS.get(resp.status_code, CircleError)(message)
        if resp.status_code == 204:
            return None
        return resp.json()

    def every(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Return every item of a paginated list."""
        items: list[Any] = []
        page = 1
        while True:
            resp = self._send("GET", path, params={**(params or {}), "page": page, "per_page": PER_PAGE})
            batch = self._answer(resp)
            items.extend(batch)
            if not batch or len(items) >= int(resp.headers.get("X-Total-Count", len(items))):
                return items
            page += 1

    def log_lines(self, path: str) -> Iterator[dict[str, Any]]:
        """Yield every line of a proc's log, a page of LOG_PAGE lines per request (`?after=&limit=`)."""
        after = -1
        while True:
            page = self.call("GET", path, params={"after": after, "limit": LOG_PAGE})
            yield from page
            if len(page) < LOG_PAGE:
                return
            after = page[-1]["pos"]

    def repo_id(self, ref: str) -> int:
        """Return the id of a repo given as an id or as "owner/name"."""
        if ref.isdigit():
            return int(ref)
        found = self.call("GET", "/api/repos", params={"full_name": ref})
        if not found:
            raise NotFound(f"there is no repo {ref!r} you can read")
        return int(found[0]["id"])


def when(seconds: int | None) -> str:
    """Return a UNIX time as local 'YYYY-MM-DD HH:MM', or '-' for 0."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds)) if seconds else "-"


def table(headers: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """Return rows as an aligned text table."""
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


def fields(data: dict[str, Any], keys: Iterable[str]) -> str:
    """Return `key: value` lines of a mapping."""
    return "\n".join(f"{key}: {data.get(key)}" for key in keys)


def pairs(values: list[str], flag: str) -> dict[str, str]:
    """Parse repeated KEY=VALUE arguments."""
    result = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise InvalidInput(f"{flag} takes KEY=VALUE, not {value!r}")
        result[key] = rest
    return result


def _client(args: argparse.Namespace) -> Client:
    """Return the client for the server and token of the arguments or the environment."""
    from circle.config import load

    settings = load(generate=False)
    return Client(args.server or settings.server, args.token or settings.token)


def _show(args: argparse.Namespace, data: Any, render: Callable[[Any], str]) -> int:
    """Print the answer: JSON with --json, else the human rendering."""
    print(json.dumps(data, indent=2, sort_keys=True) if args.json else render(data))
    return 0


# --- repos -------------------------------------------------------------------------------------------------

def repo_ls(args: argparse.Namespace) -> int:
    """List the repos you can read."""
    return _show(args, _client(args).every("/api/repos"), lambda repos: table(
        ["ID", "REPO", "SCM", "BRANCH", "TRUSTED", "GATED", "TIMEOUT"],
        ([r["id"], r["full_name"], r["scm_id"], r["default_branch"], r["trusted"], r["gated"], r["timeout"]]
         for r in repos)))


def repo_add(args: argparse.Namespace) -> int:
    """Activate a repository of an SCM."""
    repo = _client(args).call("POST", "/api/repos", body={"scm_id": args.scm, "full_name": args.full_name})
    return _show(args, repo, lambda r: f"activated {r['full_name']} as repo {r['id']}\nhook: {r['hook_url']}")


def repo_info(args: argparse.Namespace) -> int:
    """Show one repo."""
    client = _client(args)
    repo = client.call("GET", f"/api/repos/{client.repo_id(args.repo)}")
    return _show(args, repo, lambda r: fields(r, (
        "id", "full_name", "scm_id", "clone_url", "default_branch", "hook_url", "allow_push", "allow_tag",
        "allow_pr", "allow_deploy", "trusted", "gated", "timeout")))


# --- builds ------------------------------------------------------------------------------------------------

def _build_rows(builds: list[dict[str, Any]]) -> str:
    """Render builds as a table."""
    return table(["NUMBER", "STATUS", "EVENT", "BRANCH", "COMMIT", "AUTHOR", "CREATED"],
                 ([b["number"], b["status"], b["event"], b["branch"], b["commit"][:8], b["author"],
                   when(b["created"])] for b in builds))


def _build_line(build: dict[str, Any]) -> str:
    """Render one build as a sentence."""
    return f"build #{build['number']} is {build['status']}" + (f": {build['error']}" if build.get("error") else "")


def build_ls(args: argparse.Namespace) -> int:
    """List a repo's builds, newest first."""
    client = _client(args)
    params = {k: v for k, v in (("branch", args.branch), ("status", args.status), ("event", args.event)) if v}
    builds = client.call("GET", f"/api/repos/{client.repo_id(args.repo)}/builds",
                         params={**params, "per_page": args.limit})
    return _show(args, builds, _build_rows)


def build_info(args: argparse.Namespace) -> int:
    """Show one build and its procs."""
    client = _client(args)
    build = client.call("GET", f"/api/repos/{client.repo_id(args.repo)}/builds/{args.number}")
    return _show(args, build, lambda b: fields(b, (
        "number", "status", "event", "ref", "commit", "message", "author", "sender", "parent", "error")) + "\n"
        + f"created: {when(b['created'])}  started: {when(b['started'])}  finished: {when(b['finished'])}\n\n"
        + table(["PID", "PPID", "NAME", "STATE", "EXIT", "MACHINE"],
                ([p["pid"], p["ppid"], p["name"], p["state"], p["exit_code"], p["machine"]] for p in b["procs"])))


def build_start(args: argparse.Namespace) -> int:
    """Start a manual build."""
    client = _client(args)
    body: dict[str, Any] = {k: v for k, v in (("branch", args.branch), ("commit", args.commit),
                                              ("config_id", args.config)) if v is not None}
    if args.param:
        body["params"] = pairs(args.param, "--param")
    builds = client.call("POST", f"/api/repos/{client.repo_id(args.repo)}/builds", body=body)
    return _show(args, builds, lambda bs: "\n".join(_build_line(b) for b in bs))


def build_act(args: argparse.Namespace) -> int:
    """Restart, fork, cancel, approve or decline a build."""
    client = _client(args)
    body = {"params": pairs(args.param, "--param")} if getattr(args, "param", None) else None
    build = client.call("POST", f"/api/repos/{client.repo_id(args.repo)}/builds/{args.number}/{args.action}",
                        body=body)
    return _show(args, build, _build_line)


def _write_log(lines: Iterator[dict[str, Any]]) -> None:
    """Print log lines as they arrive, one line each."""
    for line in lines:
        sys.stdout.write(line["out"] if line["out"].endswith("\n") else line["out"] + "\n")


def build_logs(args: argparse.Namespace) -> int:
    """Print the log of one step, or of every step of the build (paging through each log)."""
    client = _client(args)
    base = f"/api/repos/{client.repo_id(args.repo)}/builds/{args.number}"
    if args.pid is not None:
        if args.json:
            return _show(args, list(client.log_lines(f"{base}/logs/{args.pid}")), str)
        _write_log(client.log_lines(f"{base}/logs/{args.pid}"))
        return 0
    steps = [p for p in client.call("GET", base)["procs"] if p["ppid"]]
    if args.json:
        return _show(args, {p["pid"]: list(client.log_lines(f"{base}/logs/{p['pid']}")) for p in steps}, str)
    for proc in steps:
        print(f"== {proc['name']} (pid {proc['pid']}, {proc['state']}) ==")
        _write_log(client.log_lines(f"{base}/logs/{proc['pid']}"))
    return 0


# --- secrets, SCMs, agents ---------------------------------------------------------------------------------

def secret_ls(args: argparse.Namespace) -> int:
    """List a repo's secrets (never their values)."""
    client = _client(args)
    secrets = client.every(f"/api/repos/{client.repo_id(args.repo)}/secrets")
    return _show(args, secrets, lambda ss: table(
        ["NAME", "EVENTS", "IMAGES"], ([s["name"], ",".join(s["events"]), ",".join(s["images"]) or "*"]
                                       for s in ss)))


def secret_add(args: argparse.Namespace) -> int:
    """Add a secret; VALUE '-' reads it from standard input."""
    client = _client(args)
    value = sys.stdin.read().rstrip("\n") if args.value == "-" else args.value
    body: dict[str, Any] = {"name": args.name, "value": value}
    if args.event:
        body["events"] = args.event
    if args.image:
        body["images"] = args.image
    secret = client.call("POST", f"/api/repos/{client.repo_id(args.repo)}/secrets", body=body)
    return _show(args, secret, lambda s: f"added secret {s['name']} for {', '.join(s['events'])}")


def secret_rm(args: argparse.Namespace) -> int:
    """Delete a secret."""
    client = _client(args)
    client.call("DELETE", f"/api/repos/{client.repo_id(args.repo)}/secrets/{args.name}")
    return _show(args, {"deleted": args.name}, lambda _: f"deleted secret {args.name}")


def scm_ls(args: argparse.Namespace) -> int:
    """List your SCMs."""
    return _show(args, _client(args).every("/api/scms"), lambda scms: table(
        ["ID", "KIND", "NAME", "URL", "USERNAME"], ([s["id"], s["kind"], s["name"], s["url"], s["username"]]
                                                    for s in scms)))


def scm_add(args: argparse.Namespace) -> int:
    """Register an SCM."""
    body = {"kind": args.kind, "name": args.name, "url": args.url}
    body.update({k: v for k, v in (("username", args.username), ("password", args.password),
                                   ("token", args.scm_token)) if v})
    scm = _client(args).call("POST", "/api/scms", body=body)
    return _show(args, scm, lambda s: f"registered {s['kind']} SCM {s['name']!r} as SCM {s['id']}")


def agents(args: argparse.Namespace) -> int:
    """List the agents, or add one with its own token (printed last), or delete one (administrators)."""
    client = _client(args)
    if args.action in ("add", "rm") and not args.target:
        raise InvalidInput(f"`circle agents {args.action}` needs {'a NAME' if args.action == 'add' else 'an ID'}")
    if args.action == "add":
        agent = client.call("POST", "/api/agents", body={"name": args.target})
        return _show(args, agent, lambda a: f"created agent {a['name']} ({a['id']}); its token, shown once:\n"
                                            f"{a['token']}")
    if args.action == "rm":
        client.call("DELETE", f"/api/agents/{args.target}")
        return _show(args, {"deleted": args.target}, lambda _: f"deleted agent {args.target}")
    return _show(args, client.every("/api/agents"), lambda rows: table(
        ["ID", "NAME", "PLATFORM", "BACKEND", "CAPACITY", "RUNNING", "LAST CONTACT", "LABELS"],
        ([a["id"], a["name"], a["platform"], a["backend"], a["capacity"], len(a["tasks"]), when(a["last_contact"]),
          ",".join(f"{k}={v}" for k, v in sorted(a["labels"].items()))] for a in rows)))


# --- the parser --------------------------------------------------------------------------------------------

def _common() -> argparse.ArgumentParser:
    """Return the options every client command takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--server", help="server URL (default: CIRCLE_SERVER)")
    common.add_argument("--token", help="API token (default: CIRCLE_TOKEN)")
    common.add_argument("--json", action="store_true", help="print the server's JSON")
    return common


def _group(sub: argparse._SubParsersAction, name: str, text: str) -> argparse._SubParsersAction:
    """Add a command group and return its sub-commands."""
    group = sub.add_parser(name, help=text)
    return group.add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)


def _build_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `build ls/info/start/restart/fork/cancel/approve/decline/logs`."""
    build = _group(sub, "build", "list, start and manage builds")
    ls = build.add_parser("ls", parents=[common], help="list a repo's builds")
    ls.add_argument("repo")
    ls.add_argument("--branch")
    ls.add_argument("--status")
    ls.add_argument("--event", choices=EVENTS)
    ls.add_argument("--limit", type=int, default=25, help="how many (default 25, at most 200)")
    ls.set_defaults(func=build_ls)
    info = build.add_parser("info", parents=[common], help="show a build and its steps")
    info.add_argument("repo")
    info.add_argument("number", type=int)
    info.set_defaults(func=build_info)
    start = build.add_parser("start", parents=[common], help="start a manual build")
    start.add_argument("repo")
    start.add_argument("--branch", help="default: the repo's default branch")
    start.add_argument("--commit", help="default: the branch's head")
    start.add_argument("--config", type=int, help="config id (default: every config matching the branch)")
    start.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    start.set_defaults(func=build_start)
    for action, text in (("restart", "run a finished build again"), ("fork", "start a new build of the same commit"),
                         ("cancel", "kill a pending or running build"), ("approve", "let a blocked build run"),
                         ("decline", "refuse a blocked build")):
        parser = build.add_parser(action, parents=[common], help=text)
        parser.add_argument("repo")
        parser.add_argument("number", type=int)
        if action == "fork":
            parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
        parser.set_defaults(func=build_act, action=action)
    logs = build.add_parser("logs", parents=[common], help="print a step's log (default: every step)")
    logs.add_argument("repo")
    logs.add_argument("number", type=int)
    logs.add_argument("pid", type=int, nargs="?")
    logs.set_defaults(func=build_logs)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `repo`, `build`, `secret`, `scm` and `agents` client commands."""
    common = _common()
    repo = _group(sub, "repo", "list, activate and show repos")
    repo.add_parser("ls", parents=[common], help="list your repos").set_defaults(func=repo_ls)
    add = repo.add_parser("add", parents=[common], help="activate a repository of an SCM")
    add.add_argument("scm", type=int, help="SCM id")
    add.add_argument("full_name", help="owner/name as the SCM names it")
    add.set_defaults(func=repo_add)
    info = repo.add_parser("info", parents=[common], help="show a repo")
    info.add_argument("repo")
    info.set_defaults(func=repo_info)

    _build_commands(sub, common)

    secret = _group(sub, "secret", "manage a repo's secrets")
    ls = secret.add_parser("ls", parents=[common], help="list a repo's secrets")
    ls.add_argument("repo")
    ls.set_defaults(func=secret_ls)
    add = secret.add_parser("add", parents=[common], help="add a secret")
    add.add_argument("repo")
    add.add_argument("name")
    add.add_argument("value", help="the value, or - to read it from standard input")
    add.add_argument("--event", action="append", choices=EVENTS, help="events that get it (repeatable)")
    add.add_argument("--image", action="append", help="image globs that get it (repeatable)")
    add.set_defaults(func=secret_add)
    rm = secret.add_parser("rm", parents=[common], help="delete a secret")
    rm.add_argument("repo")
    rm.add_argument("name")
    rm.set_defaults(func=secret_rm)

    scm = _group(sub, "scm", "list and register code hosts")
    scm.add_parser("ls", parents=[common], help="list your SCMs").set_defaults(func=scm_ls)
    add = scm.add_parser("add", parents=[common], help="register an SCM")
    add.add_argument("kind", choices=("local", "github", "gitlab", "gitea", "gogs", "bitbucket"))
    add.add_argument("name")
    add.add_argument("url", help="the forge's base URL, or a directory of bare repositories for local")
    add.add_argument("--username")
    add.add_argument("--password")
    add.add_argument("--scm-token", help="the SCM's API token")
    add.set_defaults(func=scm_add)

    agent = sub.add_parser("agents", parents=[common],
                           help="list the agents; `add NAME` makes one with its own token, `rm ID` deletes one")
    agent.add_argument("action", nargs="?", choices=("ls", "add", "rm"), default="ls")
    agent.add_argument("target", nargs="?", help="NAME for add, ID for rm")
    agent.set_defaults(func=agents)
