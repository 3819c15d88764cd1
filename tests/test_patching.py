"""circle.patching: gevent's monkey patches with one reading of the installed packages, its plugins still told."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = textwrap.dedent("""
    from importlib import metadata

    calls = []
    read = metadata.distributions
    metadata.distributions = lambda **params: calls.append(params) or read(**params)
    lookup = metadata.entry_points

    from circle.patching import patch_all

    patch_all()

    import socket
    import threading

    from gevent import monkey

    assert monkey.is_module_patched("socket") and monkey.is_module_patched("threading"), "not patched"
    assert metadata.entry_points is lookup, "importlib.metadata.entry_points left replaced"
    print(len(calls))
""")


def test_patch_all_reads_the_installed_packages_once_and_tells_their_plugins(tmp_path: Path):
    """One scan of the distributions (gevent alone makes 25), and an installed plugin is still called."""
    dist = tmp_path / "circle_probe_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: circle-probe-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[gevent.plugins.monkey.did_patch_all]\nprobe = circle_probe_plugin:told\n")
    (tmp_path / "circle_probe_plugin.py").write_text(
        "import os\n\ndef told(event):\n    open(os.environ['PROBE_OUT'], 'a').write(type(event).__name__)\n")
    told = tmp_path / "told"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path]), "PROBE_OUT": str(told)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1"]
    assert told.read_text() == "GeventDidPatchAllEvent"
