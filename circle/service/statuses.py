"""Commit statuses back to the code host: one context per config, sent off the request path."""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from flask import Flask, current_app

from circle.errors import CircleError
from circle.models import Build

log = logging.getLogger(__name__)

# Remember the last status sent per build (bounded), so repeated events send nothing.
_MEMORY = 10_000
_sent: OrderedDict[int, str] = OrderedDict()
_lock = threading.Lock()


def _changed(build_id: int, state: str) -> bool:
    """Record `state` for a build; tell whether it differs from the last one sent."""
    with _lock:
        if _sent.get(build_id) == state:
            return False
        _sent[build_id] = state
        _sent.move_to_end(build_id)
        while len(_sent) > _MEMORY:
            _sent.popitem(last=False)
        return True


def _shows_statuses(build: Build) -> bool:
    """Tell whether the build's code host shows commit statuses at all (a local SCM does not)."""
    from circle.remote.factory import remote_class
    from circle.store import repos

    return remote_class(repos.scm_kind(build.repo_id)).shows_statuses


def report(build: Build) -> None:
    """Send the build's status to its SCM in the background when it changed."""
    if not build.commit or not _shows_statuses(build) or not _changed(build.id, build.status):
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's app, for the thread
    threading.Thread(target=_send, args=(app, build.id), name=f"circle-status-{build.id}", daemon=True).start()


def _send(app: Flask, build_id: int) -> None:
    """Post one commit status; failures are logged, never raised."""
    from circle.extensions import db
    from circle.service.metadata import build_link
    from circle.service.scms import remote_for
    from circle.service.testresults import status_description
    from circle.store import builds, configs, repos, scms

    with app.app_context():
        try:
            build = builds.get(build_id)
            repo = repos.get(build.repo_id)
            name = configs.get(build.config_id).name if build.config_id else "default"
            remote_for(scms.get(repo.scm_id)).status(repo.full_name, build.commit, build.status, f"circle/{name}",
                                                      build_link(repo, build), status_description(build))
        except CircleError as err:
            log.warning("build %s: commit status not sent: %s", build_id, err)
        except Exception:  # thread boundary: a status is best effort
            log.exception("build %s: commit status failed", build_id)
        finally:
            db.session.remove()
