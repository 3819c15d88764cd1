"""The dashboard's one blueprint, shared by the page modules (session, repos, builds, scms, agents)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__)
