"""Password hashing under the gevent server runs off the event loop: other greenlets keep running meanwhile."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Under gevent's patches, hash passwords in one greenlet while another counts its turns; print the count
# the counter reached during the hashing (0 would mean the hashing held the event loop).
PROBE = """
from gevent import monkey
monkey.patch_all()
import gevent
from circle.store import users

turns = 0
def count():
    global turns
    while True:
        turns += 1
        gevent.sleep(0)

counter = gevent.spawn(count)
gevent.sleep(0)
before = turns
digest = users.hash_password("correct horse")
assert users.password_matches(digest, "correct horse") and not users.password_matches(digest, "wrong")
print(turns - before)
counter.kill()
"""


def test_hashing_a_password_lets_other_greenlets_run():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 0


# An error raised by the offloaded work reaches the caller as itself, and gevent's hub prints nothing of it.
RAISING = """
from gevent import monkey
monkey.patch_all()
from circle.offload import off_loop

def invalid():
    raise ValueError("the pipeline is invalid")

try:
    off_loop(invalid)
except ValueError as err:
    print("caught:", err)
"""


def test_an_error_of_offloaded_work_is_raised_in_the_caller_and_not_printed():
    result = subprocess.run([sys.executable, "-c", RAISING], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.stdout.strip() == "caught: the pipeline is invalid", result
    assert result.stderr == "", result.stderr
