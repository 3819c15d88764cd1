"""`circle repo|build|secret|scm|agents`: client commands over the REST API.

They talk to CIRCLE_SERVER with the API token CIRCLE_TOKEN (or --server / --token). Answers are
human-readable tables; --json prints the server's JSON instead. A REPO is an id or "owner/name".
Errors are one sentence on stderr (circle.cli.main prints the CircleError raised here).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Iterator

from circle.cli.rest import Client, fields, pairs, table, when
from circle.errors import InvalidInput
from circle.states import EVENTS


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


def repo_repair(args: argparse.Namespace) -> int:
    """Rotate a repo's hook URL and secret and register the webhook again."""
    client = _client(args)
    repo = client.call("POST", f"/api/repos/{client.repo_id(args.repo)}/repair")
    return _show(args, repo, lambda r: f"repaired the hook of {r['full_name']}\nhook: {r['hook_url']}")


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
        + table(["PID", "PPID", "NAME", "STATE", "EXIT", "ATTEMPTS", "MACHINE"],
                ([p["pid"], p["ppid"], p["name"], p["state"], p["exit_code"], p.get("attempts", 0), p["machine"]]
                 for p in b["procs"]))
        + "".join(f"\nwaiting: {w['proc']}: {w['reason']}" for w in b.get("waiting", [])))


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
    build = client.call("POST", f"/api/repos/{client.repo_id(args.repo)}/builds/{args.number}/{_action_path(args)}",
                        body=body)
    return _show(args, build, _build_line)


def _action_path(args: argparse.Namespace) -> str:
    """Return the path of a build action below the build: `restart` may name one workflow or only the failed ones."""
    if args.action == "restart" and args.workflow is not None:
        return f"workflows/{args.workflow}/restart"
    if args.action == "restart" and args.failed:
        return "restart?failed=true"
    return str(args.action)


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


def build_tests(args: argparse.Namespace) -> int:
    """Print a build's test counts and its cases (only the failed and errored with --failed), all pages."""
    client = _client(args)
    url = f"/api/repos/{client.repo_id(args.repo)}/builds/{args.number}/tests"
    params: dict[str, Any] = {"status": "failed"} if args.failed else {}
    first = client.call("GET", url, params=params)
    cases = [c for s in first["suites"] for c in s["cases"]]
    while first["suites"] and len(cases) < first["matching"]:
        page = client.call("GET", url, params={**params, "offset": len(cases)})
        if not page["suites"]:
            break
        cases += [c for s in page["suites"] for c in s["cases"]]
    if args.json:
        return _show(args, {**first, "suites": None, "cases": cases}, str)
    print(f"{first['total']} tests: {first['passed']} passed, {first['failed']} failed, {first['errors']} errors, "
          f"{first['skipped']} skipped ({first['duration']:.2f}s)")
    if cases:
        print(table(["STATUS", "TEST", "TIME", "MESSAGE"], (
            [c["status"], "::".join(p for p in (c["classname"], c["name"]) if p), f"{c['time']:.3f}s",
             c["message"].splitlines()[0] if c["message"] else ""] for c in cases)))
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
    """List the agents, add one with its own token (printed last), pause, resume or delete one (administrators)."""
    client = _client(args)
    if args.action != "ls" and not args.target:
        raise InvalidInput(f"`circle agents {args.action}` needs {'a NAME' if args.action == 'add' else 'an ID'}")
    if args.action == "add":
        agent = client.call("POST", "/api/agents", body={"name": args.target})
        return _show(args, agent, lambda a: f"created agent {a['name']} ({a['id']}); its token, shown once:\n"
                                            f"{a['token']}")
    if args.action == "rm":
        client.call("DELETE", f"/api/agents/{args.target}")
        return _show(args, {"deleted": args.target}, lambda _: f"deleted agent {args.target}")
    if args.action in ("pause", "resume"):
        agent = client.call("PATCH", f"/api/agents/{args.target}", body={"paused": args.action == "pause"})
        return _show(args, agent, lambda a: f"agent {a['name']} ({a['id']}) is {_agent_state(a)}")
    return _show(args, client.every("/api/agents"), lambda rows: table(
        ["ID", "NAME", "STATE", "PLATFORM", "BACKEND", "CAPACITY", "RUNNING", "LAST CONTACT", "LABELS"],
        ([a["id"], a["name"], _agent_state(a), a["platform"], a["backend"], a["capacity"], len(a["tasks"]),
          when(a["last_contact"]), ",".join(f"{k}={v}" for k, v in sorted(a["labels"].items()))] for a in rows)))


def _agent_state(agent: dict[str, Any]) -> str:
    """Return paused, online or offline for an agent of GET /api/agents."""
    return "paused" if agent.get("paused") else "online" if agent.get("online") else "offline"


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
    """Add `build ls/info/start/restart/fork/cancel/approve/decline/logs/tests`."""
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
        if action == "restart":
            only = parser.add_mutually_exclusive_group()
            only.add_argument("--failed", action="store_true", help="run only the failed workflows again")
            only.add_argument("--workflow", type=int, metavar="PID", help="run only this workflow again")
        parser.set_defaults(func=build_act, action=action)
    logs = build.add_parser("logs", parents=[common], help="print a step's log (default: every step)")
    logs.add_argument("repo")
    logs.add_argument("number", type=int)
    logs.add_argument("pid", type=int, nargs="?")
    logs.set_defaults(func=build_logs)
    tests = build.add_parser("tests", parents=[common], help="show a build's test results")
    tests.add_argument("repo")
    tests.add_argument("number", type=int)
    tests.add_argument("--failed", action="store_true", help="only the failed and errored tests")
    tests.set_defaults(func=build_tests)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `repo`, `build`, `secret`, `scm` and `agents` client commands."""
    common = _common()
    repo = _group(sub, "repo", "list, activate, show and repair repos")
    repo.add_parser("ls", parents=[common], help="list your repos").set_defaults(func=repo_ls)
    add = repo.add_parser("add", parents=[common], help="activate a repository of an SCM")
    add.add_argument("scm", type=int, help="SCM id")
    add.add_argument("full_name", help="owner/name as the SCM names it")
    add.set_defaults(func=repo_add)
    info = repo.add_parser("info", parents=[common], help="show a repo")
    info.add_argument("repo")
    info.set_defaults(func=repo_info)
    repair = repo.add_parser("repair", parents=[common],
                             help="rotate the hook URL and secret and register the webhook again")
    repair.add_argument("repo")
    repair.set_defaults(func=repo_repair)

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
                           help="list the agents; `add NAME` makes one with its own token, `rm ID` deletes one, "
                                "`pause ID` lets one finish its work and take nothing new, `resume ID` undoes it")
    agent.add_argument("action", nargs="?", choices=("ls", "add", "rm", "pause", "resume"), default="ls")
    agent.add_argument("target", nargs="?", help="NAME for add, ID for rm, pause and resume")
    agent.set_defaults(func=agents)
