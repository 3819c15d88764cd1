"""`circle agent`: a standalone agent process (the same code as `python agent.py`)."""
from __future__ import annotations

import argparse
import logging


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `agent` command."""
    agent = sub.add_parser(
        "agent", help="run an agent that takes work from a server",
        description="Run an agent that takes work from one or several servers of one database. Given several "
                    "URLs, the agent talks to one at a time and moves on to the next when it stops answering "
                    "(no connection, a timeout, an HTTP error such as 502/503/504; never for a JSON-RPC error), "
                    "running tasks included. One URL of a load balancer in front of the servers works as well.")
    agent.add_argument("--server", action="append", default=[], metavar="URL",
                       help="a server URL; repeat it or separate URLs with commas for several servers of one "
                            "database (default CIRCLE_SERVER, comma-separated, or http://127.0.0.1:8000)")
    agent.add_argument("--secret", help="agent secret (default CIRCLE_AGENT_SECRET)")
    agent.add_argument("--backend", choices=("auto", "docker", "local", "dummy"),
                       help="how steps run (default CIRCLE_AGENT_BACKEND or auto)")
    agent.add_argument("--max-procs", type=int, help="workflows at once (default CIRCLE_AGENT_MAX_PROCS or 1)")
    agent.add_argument("--label", action="append", default=[], metavar="K=V", help="a label (repeatable)")
    agent.add_argument("--name", help="agent name (default: the host name)")
    agent.add_argument("--workdir", help="where workspaces of the local backend go (default: a temp dir)")
    agent.set_defaults(func=cmd_agent)


def cmd_agent(args: argparse.Namespace) -> int:
    """Run the agent until SIGTERM/SIGINT."""
    from circle.agent.options import AgentOptions, parse_labels, parse_servers
    from circle.agent.runner import Agent, run_until_signalled
    from circle.config import agent_poll_seconds, local_options, raw_values
    from circle.errors import InvalidInput, SettingsError

    settings = raw_values()
    secret = args.secret or settings["CIRCLE_AGENT_SECRET"]
    if not secret:
        raise SettingsError("the agent needs the server's agent secret: --secret or CIRCLE_AGENT_SECRET")
    max_procs = args.max_procs if args.max_procs is not None else settings["CIRCLE_AGENT_MAX_PROCS"]
    if max_procs < 1:
        raise InvalidInput("--max-procs must be 1 or more")
    labels = {**parse_labels(settings["CIRCLE_AGENT_LABELS"]), **parse_labels(args.label)}
    options = AgentOptions(servers=parse_servers(args.server or settings["CIRCLE_SERVER"]), secret=secret,
                           backend=args.backend or settings["CIRCLE_AGENT_BACKEND"], max_procs=max_procs,
                           labels=labels, workdir=args.workdir, local=local_options(settings),
                           poll_seconds=agent_poll_seconds(settings))
    if args.name:
        options.name = args.name
    logging.getLogger().setLevel(str(settings["CIRCLE_LOG_LEVEL"]).upper())
    # A refused agent has said why in one logged sentence; its exit status says it failed.
    return 1 if run_until_signalled(Agent(options)) else 0
