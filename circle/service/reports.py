"""Store a step's uploaded file: a JUnit report becomes the build's test results, anything else an artifact.

A report is parsed off the gevent hub (circle.offload). One that is not valid JUnit (or that declares a
DTD or entities, which are refused unexpanded) is kept as a plain artifact, and the step's log gets
one warning line saying why; the build goes on either way.
"""
from __future__ import annotations

import logging
import time

from circle.errors import TooLarge
from circle.hub import hub
from circle.models import File, Proc
from circle.offload import off_loop
from circle.service import artifacts
from circle.service.junit import NotJUnit, parse
from circle.store import builds as build_store
from circle.store import files as file_store
from circle.store import logs as log_store
from circle.store import tests as test_store

log = logging.getLogger(__name__)

REPORT = "report"
ARTIFACT = "artifact"


def store_file(proc: Proc, name: str, mime: str, data: bytes, *, report: bool, note: bool = True) -> File:
    """Store a file a step uploaded with its SHA-256; parse it into test results when it is a report.

    A file past an artifact limit is refused (TooLarge) and stored nowhere. With `note` the step's log gets a
    line for a refusal or a report that is not JUnit; without (a step's own upload while it runs, its lines
    still arriving: a line written now would take the place of one of them) only the answer says so.
    Hashing and parsing come first, so the lock the limits take (service.artifacts) is held only for the writes.
    """
    digest = artifacts.sha256(data)
    cases, not_junit = None, None
    if report:
        output_max = hub().settings.report_output_max
        try:
            cases = off_loop(lambda: parse(data, output_max=output_max))
        except NotJUnit as err:
            not_junit = err
    build = build_store.get(proc.build_id)
    refused = artifacts.refusal(build, name, len(data))
    if refused:
        log.info("build %s step %s: %s", build.id, proc.pid, refused)
        if note:
            warn(proc, f"error: {refused}")
        raise TooLarge(refused)
    row = file_store.create(build_id=proc.build_id, proc_id=proc.id, pid=proc.pid, name=name, mime=mime,
                            size=len(data), data=data, kind=ARTIFACT, sha256=digest)
    if not_junit is not None:
        log.info("build %s step %s: %s is not a JUnit report: %s", proc.build_id, proc.pid, name, not_junit)
        if note:
            warn(proc, f"warning: {name} is kept as an artifact, not read as a test report: {not_junit}")
        return row
    if cases is None:
        return row
    stored = test_store.add_results(build, proc.pid, row.id, cases)
    file_store.update(row, kind=REPORT)
    log.info("build %s step %s: %d test results from %s", build.id, proc.pid, stored, name)
    return row


def warn(proc: Proc, text: str) -> None:
    """Append one line of circle's own to a step's log, after the lines stored so far."""
    last = log_store.stored_extent(proc.id)[1]
    seconds = max(0, int(time.time()) - proc.started) if proc.started else 0
    hub().logs.write(proc.id, [(last + 1, seconds, text)])
