"""The zip of a build's logs is compressed page by page without holding the gevent server's loop."""
from __future__ import annotations

import json
import subprocess
import sys

# Streams a zip of two steps of five pages each while another greenlet counts its turns.
PROBE = """
from gevent import monkey; monkey.patch_all()
import json, gevent
from circle.api.logzip import stream_zip
turns = []
def other():
    while True:
        turns.append(1)
        gevent.sleep(0)
gevent.spawn(other)
gevent.sleep(0)
def pages(proc_id):
    return ([(pos, 0, f"line {pos}") for pos in range(page * 100, page * 100 + 100)] for page in range(5))
print(json.dumps([len(turns) for _ in stream_zip([(1, "w/a.log"), (2, "w/b.log")], pages)]))
"""


def test_other_greenlets_run_between_the_pages_of_a_zip() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    turns = json.loads(done.stdout)
    assert len(turns) > 10
    assert turns[-1] - turns[0] >= 9  # a turn for the others after each of the ten pages
