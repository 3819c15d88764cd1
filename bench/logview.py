"""The build page's log viewer with one big finished step log, in headless Chromium against a real server.

    .venv/bin/python bench/logview.py [--lines 100000] [--line 100]

Writes --lines lines of about --line characters as one step's log (through `log` RPC batches, as
bench/logs.py does), ends the step, opens the build page logged in as the admin and prints as JSON: seconds
until the first rows show, until the whole log is in (its end line shows), to jump to the last line by its
#L address, the longest main-thread task while loading (PerformanceObserver "longtask"; 0 when none took
50 ms, the browser's threshold for a long task), and the row elements in the DOM at the end.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bench.logs import harness, ingest, open_step  # noqa: E402
from web.browser import start_chromium  # noqa: E402

LONG_TASKS = ("window.__longest = 0; new PerformanceObserver((list) => { for (const e of list.getEntries())"
              " window.__longest = Math.max(window.__longest, e.duration); }).observe({entryTypes: ['longtask']});")


def until(driver: Any, script: str, started: float, timeout: float = 120) -> float:
    """Poll `script` in the page until it is truthy; return the seconds since `started`."""
    deadline = time.monotonic() + timeout
    while not driver.execute_script(script):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for: {script}")
        time.sleep(0.01)
    return time.perf_counter() - started


def finished_step(server: harness.Server, lines: int, width: int) -> Callable[[str], str]:
    """Create a build whose one step wrote `lines` lines and ended; return a function of a URL suffix → page URL."""
    repo_id, number, agent, task_id = open_step(server, "bench/logview")
    ingest(agent, task_id, lines, 2500, width)
    finished = int(time.time())
    agent.call("update", id=task_id, state={"proc": "big", "exited": True, "exit_code": 0, "finished": finished})
    agent.call("done", id=task_id, state={"finished": finished, "exit_code": 0})
    pid = next(p["pid"] for p in server.build(repo_id, number)["procs"] if p["name"] == "big")
    return lambda suffix: f"{server.url}/repos/{repo_id}/builds/{number}?pid={pid}{suffix}"


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="lines of the step's log (default 100000)")
    parser.add_argument("--line", type=int, default=100, help="characters per line (default 100)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="circle-bench-logview-"))
    port = harness.free_port()
    server = harness.Server(data_dir=tmp, port=port, env=harness.clean_env(
        CIRCLE_DATA_DIR=str(tmp), CIRCLE_HOST=f"http://127.0.0.1:{port}", CIRCLE_LOG_LEVEL="warning",
        CIRCLE_LEASE_SECONDS="36000"))
    server.start(agents=0)
    driver = None
    try:
        page = finished_step(server, args.lines, args.line)
        driver = start_chromium(tmp / "chromium")
        driver.get(server.url + "/login")
        driver.find_element("name", "login").send_keys("admin")
        driver.find_element("name", "password").send_keys(server.password)
        driver.find_element("css selector", "form button[type=submit]").click()
        until(driver, "return location.pathname === '/'", time.perf_counter())
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": LONG_TASKS})
        started = time.perf_counter()
        driver.get(page(""))
        first = until(driver, "return document.querySelector('#log .line') !== null", started)
        whole = until(driver, "return document.querySelector('#log .log-end') !== null", started)
        longest = driver.execute_script("return window.__longest")
        jumped = time.perf_counter()
        driver.execute_script(f"location.hash = '#L{args.lines}'")
        last = f"#log .line.hl[data-n='{args.lines}']"
        jump = until(driver, f"return document.querySelector(\"{last}\") !== null", jumped)
        print(json.dumps({
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "lines": args.lines, "line_chars": args.line,
            "first_rows_s": round(first, 2), "whole_log_s": round(whole, 2), "jump_to_last_line_s": round(jump, 3),
            "longest_main_thread_task_ms": round(longest), "rows_in_dom": driver.execute_script(
                "return document.querySelectorAll('#log .line').length")}, indent=2))
    finally:
        if driver is not None:
            driver.quit()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
