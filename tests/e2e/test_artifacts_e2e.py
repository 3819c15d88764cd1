"""Artifacts end to end with a real agent: files past CIRCLE_ARTIFACT_MAX_BUILD_BYTES are refused with one log line
naming the limit when the agent collects them (`artifacts:`), with a 413 naming it when a step posts them with
curl; the build goes on."""
from __future__ import annotations

import hashlib

import pytest

pytestmark = pytest.mark.slow

LIMIT = 20
SERVER_ENV = {"CIRCLE_ARTIFACT_MAX_BUILD_BYTES": str(LIMIT)}
PIPELINE = """
pipeline:
  package:
    image: x
    commands:
      - mkdir -p dist
      - printf '0123456789ab' > dist/a.bin
      - printf 'cdefghijklmn' > dist/b.bin
    artifacts: [dist/a.bin, dist/b.bin]
  publish:
    image: x
    commands:
      - printf '%025d' 0 > late.txt
      - 'echo "status=$(curl -s -o answer.json -w "%{http_code}" -F file=@late.txt "$CIRCLE_UPLOAD_URL")"'
      - cat answer.json
"""


def test_files_past_the_build_limit_are_refused_with_a_log_line_and_the_build_succeeds(server, agent, activate):
    repo_id, _ = activate({".circle.yml": PIPELINE})
    number = server.ok("POST", f"/api/repos/{repo_id}/builds", json={})[0]["number"]
    done = server.wait_build(repo_id, number, timeout=120)
    package_log = server.log_text(repo_id, number, "package")
    assert done["status"] == "success", package_log
    files = server.ok("GET", f"/api/repos/{repo_id}/builds/{number}/files")
    assert [(f["name"], f["size"], f["sha256"]) for f in files] == [
        ("dist/a.bin", 12, hashlib.sha256(b"0123456789ab").hexdigest())]
    refused = (f"dist/b.bin (12 bytes) is not stored: build {number} already holds 12 bytes of artifacts and "
               f"CIRCLE_ARTIFACT_MAX_BUILD_BYTES allows {LIMIT}")
    assert package_log.splitlines().count(f"error: {refused}") == 1
    publish_log = server.log_text(repo_id, number, "publish")
    # The answer tells the step; the server adds no line that could take the place of one of the step's.
    assert publish_log.startswith("sandbox: ") and "status=413" in publish_log
    assert publish_log.count("is not stored") == 1
    # Over the limit alone: refused whether or not the agent's upload of dist/a.bin got there first.
    assert f"late.txt (25 bytes) is not stored: build {number} already holds " in publish_log
    assert f"CIRCLE_ARTIFACT_MAX_BUILD_BYTES allows {LIMIT}" in publish_log
