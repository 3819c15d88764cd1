"""The agent loop: register, then `max_procs` workers each lease and run one task at a time."""
from __future__ import annotations

import logging
import os
import threading
from typing import Any

from circle import __version__
from circle.agent.options import AgentOptions
from circle.agent.task import TaskRun
from circle.pipeline.backends import resolve
from circle.pipeline.backends.sandbox import Sandbox, unavailable
from circle.rpc.client import MAX_BACKOFF, AgentRejected, RpcClient, ServerUnavailable
from circle.rpc.protocol import NOT_REGISTERED, NextParams, RegisterParams, RpcError

log = logging.getLogger(__name__)


def local_isolation(local: dict[str, Any]) -> tuple[int, str]:
    """Return the log level and the one sentence saying how this agent isolates local steps."""
    try:
        sandbox = Sandbox.for_user(str(local.get("user", "nobody")), int(local.get("pids", 4096)),
                                   bool(local.get("network", True)))
    except ValueError as err:
        return logging.ERROR, f"local steps cannot run: {err}"
    reason = unavailable(sandbox)
    if not reason:
        return logging.INFO, f"local steps run in a {sandbox.describe()}"
    if local.get("unsafe"):
        return logging.WARNING, f"local steps run WITHOUT a sandbox ({reason}; CIRCLE_AGENT_LOCAL_UNSAFE=true)"
    if os.geteuid() == 0:
        return logging.ERROR, f"this agent cannot sandbox local steps ({reason}) and runs as root: it refuses them all"
    return logging.WARNING, (f"this agent cannot sandbox local steps ({reason}): it runs trusted repos unsandboxed "
                             "and refuses untrusted ones")


class Agent:
    """One agent process (or one embedded agent inside the server)."""

    def __init__(self, options: AgentOptions, client: RpcClient | None = None) -> None:
        self.options = options
        self.client = client or RpcClient(options.servers, options.secret)
        self._stopping = threading.Event()
        self.failure = ""  # why the agent stopped on its own (its credentials were refused), in one sentence
        self._busy = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    def labels(self) -> dict[str, str]:
        """Return the labels this agent offers."""
        return {**self.options.labels, "platform": self.options.platform}

    def register(self) -> bool:
        """Register with a server, retrying until one answers; return False when the agent stopped first."""
        backend = resolve(self.options.backend)
        self.options.backend = backend
        params = RegisterParams(name=self.options.name, platform=self.options.platform, backend=backend,
                                capacity=self.options.max_procs, labels=self.labels(), version=__version__)
        try:
            self.client.retrying(lambda: self.client.register(params), what="register", give_up_after=float("inf"),
                                 stop=self._stopping)
        except ServerUnavailable:
            return False
        except AgentRejected as err:
            self._fail(f"{err}: check the agent secret (--secret or CIRCLE_AGENT_SECRET)")
            return False
        log.info("agent %r registered as %s with backend %s", self.options.name, self.client.agent_id, backend)
        if backend == "local":
            log.log(*local_isolation(self.options.local))
        return True

    def run(self) -> None:
        """Register, run the workers until `stop()`, then wait for running tasks to finish."""
        if not self.register():
            if not self.failure:
                log.info("agent %r stopped before a server answered", self.options.name)
            return
        workers = [threading.Thread(target=self._work, name=f"circle-agent-worker-{i}", daemon=True)
                   for i in range(max(1, self.options.max_procs))]
        for worker in workers:
            worker.start()
        self._stopping.wait()
        with self._idle:
            while self._busy:
                self._idle.wait()
        log.info("agent %r stopped", self.options.name)

    def stop(self) -> None:
        """Take no new tasks; `run()` returns once the running ones have finished."""
        self._stopping.set()

    def _fail(self, reason: str) -> None:
        """Stop because the server will not have this agent: say why once, and keep it in `failure`."""
        if not self.failure:
            self.failure = reason
            log.error("agent %r stops: %s", self.options.name, reason)
        self.stop()

    def _work(self) -> None:
        """Lease and run tasks until stopped; while no server answers, `retrying` waits with backoff."""
        delay = 0.25
        while not self._stopping.is_set():
            try:
                asking = NextParams(self.labels(), self.options.poll_seconds)
                task = self.client.retrying(lambda: self.client.next(asking), what="next",
                                            give_up_after=float("inf"), stop=self._stopping)
                delay = 0.25
            except RpcError as err:
                if err.code == NOT_REGISTERED:
                    self.register()
                    continue
                log.warning("agent %r: next refused (%s)", self.options.name, err)
                self._stopping.wait(delay)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            except ServerUnavailable:  # raised only once the agent is stopping
                continue
            except AgentRejected as err:
                self._fail(f"{err}: the agent's token was revoked, the agent deleted, "
                           "or another agent registered under its name")
                return
            if task is None:
                continue
            with self._lock:
                self._busy += 1
            try:
                TaskRun(self.client, task, self.options).run()
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()


def run_until_signalled(agent: Agent) -> str:
    """Run `agent` in the foreground until SIGTERM/SIGINT stop it gracefully; return why it stopped on its own."""
    import signal

    def _stop(signum: int, frame: object) -> None:
        log.info("signal %d: finishing running tasks, taking no new ones", signum)
        agent.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    thread = threading.Thread(target=agent.run, name="circle-agent", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.5)
    return agent.failure
