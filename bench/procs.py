"""Processes the side-by-side bench starts (stopped by PID only) and what /proc says about them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
STARTED: list["Proc"] = []


class Proc:
    """One child process with its output in a file; only its PID (with tree=True: its descendants' too) is signalled."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path | None,
                 tree: bool = False) -> None:
        self.name = name
        self.tree = tree
        self.log_path = log_path
        self._log = open(log_path, "ab") if log_path else None
        self.spawned = time.perf_counter()
        self.popen = subprocess.Popen(argv, env=env, stdout=self._log or subprocess.DEVNULL,
                                      stderr=subprocess.STDOUT if self._log else None, stdin=subprocess.DEVNULL)
        self.pid = self.popen.pid
        STARTED.append(self)

    def alive(self) -> bool:
        """Return whether the process still runs."""
        return self.popen.poll() is None

    def stop(self, grace: float = 20.0) -> float:
        """SIGTERM this PID (and its descendants), SIGKILL what is left after `grace` s; return the seconds taken."""
        t0 = time.perf_counter()
        targets = descendants(self.pid) if self.tree and self.alive() else []
        if self.alive():
            targets.insert(0, self.pid)
        _send(targets, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while (self.alive() or any(_running(pid) for pid in targets[1:])) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in targets[1:] if _running(pid)] + ([self.pid] if self.alive() else [])
        if left:
            print(f"bench: {self.name}: pids {left} ignored SIGTERM for {grace:.0f} s; SIGKILL", file=sys.stderr)
            _send(left, signal.SIGKILL)
        if targets:
            self.popen.wait(10)
        if self._log:
            self._log.close()
        if self in STARTED:
            STARTED.remove(self)
        return time.perf_counter() - t0


def _send(pids: list[int], sig: int) -> None:
    """Send sig to each PID that still exists."""
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _running(pid: int) -> bool:
    """Return whether a process exists and is not a zombie."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def descendants(pid: int) -> list[int]:
    """Return the PIDs of every live descendant of pid (children before grandchildren), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, frontier = [], [pid]
    while frontier:
        children = [c for p in frontier for c in parents.get(p, [])]
        found.extend(children)
        frontier = children
    return found


def stop_all() -> None:
    """Stop every process still running that this bench started, newest first."""
    for proc in reversed(list(STARTED)):
        proc.stop()


def _stat_fields(pid: int) -> list[str] | None:
    """Return the fields of /proc/<pid>/stat after the command name, or None when the process is gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return data[data.rindex(")") + 2:].split()


def cpu_seconds(pid: int) -> dict[str, float] | None:
    """Return utime+stime of the process (`self`) and of its waited-for children (`children`), in seconds."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return {"self": (int(fields[11]) + int(fields[12])) / CLK_TCK,
            "children": (int(fields[13]) + int(fields[14])) / CLK_TCK}


def memory_mib(pid: int) -> dict[str, float] | None:
    """Return VmRSS (`rss_mib`) and VmHWM, the peak RSS (`hwm_mib`), of the process in MiB."""
    out: dict[str, float] = {}
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out["rss_mib" if key == "VmRSS" else "hwm_mib"] = round(int(value.split()[0]) / 1024, 1)
    return out


def machine_busy_seconds() -> float:
    """Return the busy CPU seconds of the whole machine (all cores) since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = values[:7]
    steal = values[7] if len(values) > 7 else 0
    return (user + nice + system + irq + softirq + steal) / CLK_TCK
