"""Defaults of a step's resource limits, shared by the sandbox and the settings table (which loads no backend)."""
from __future__ import annotations

# Processes the step user may have at once by default (CIRCLE_AGENT_LOCAL_PIDS): 1 200 parallel steps need about
# 4 800.
DEFAULT_PIDS = 16384
