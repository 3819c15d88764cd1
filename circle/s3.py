"""A small S3 client: path-style requests to one bucket, signed with AWS Signature Version 4, over requests.

Only what the log store needs: put an object from a file, get a byte range as a stream, delete. Any
failure (the endpoint down, access denied, no such bucket) raises LogStoreError with one sentence that
names the bucket and the S3 error code, never the keys.
"""
from __future__ import annotations

import re
import time
from typing import IO
from urllib.parse import quote

import requests

from circle.errors import LogStoreError
from circle.s3_signing import EMPTY_SHA256, Bucket, file_sha256, sign

TIMEOUT = (5.0, 60.0)  # seconds to connect, seconds between bytes
_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>")


class S3Client:
    """Put, get by range and delete the objects of one bucket."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket
        self.session = requests.Session()

    def _send(self, method: str, key: str, *, body: IO[bytes] | None = None, size: int = 0,
              sha256: str = EMPTY_SHA256, extra: dict[str, str] | None = None) -> requests.Response:
        """Send one signed request for `key` ("" = the bucket itself) and return the streamed answer."""
        path = quote(f"/{self.bucket.name}/{key}" if key else f"/{self.bucket.name}", safe="/-_.~")
        headers = sign(self.bucket, method, path, sha256, time.time()) | (extra or {})
        if body is not None:
            headers["content-length"] = str(size)
        try:
            return self.session.request(method, self.bucket.endpoint.rstrip("/") + path, data=body,
                                        headers=headers, stream=True, timeout=TIMEOUT)
        except requests.RequestException as err:
            raise LogStoreError(f"the log bucket {self.bucket.name!r} at {self.bucket.endpoint} did not answer "
                                f"({type(err).__name__})") from None

    def _refusal(self, method: str, key: str, answer: requests.Response) -> LogStoreError:
        """Return the error that says what the bucket answered instead of a success."""
        found = _CODE.search(answer.content[:4096]) if method != "HEAD" else None
        code = found.group(1).decode("ascii", "replace") if found else answer.reason
        return LogStoreError(f"the log bucket {self.bucket.name!r} at {self.bucket.endpoint} answered "
                             f"{answer.status_code} {code} to {method} {key or '(the bucket)'}")

    def put(self, key: str, fh: IO[bytes], size: int) -> None:
        """Store the content of `fh` (`size` bytes from its start) as object `key`."""
        sha256 = file_sha256(fh)
        with self._send("PUT", key, body=fh, size=size, sha256=sha256) as answer:
            if answer.status_code != 200:
                raise self._refusal("PUT", key, answer)

    def get(self, key: str, first: int, last: int | None = None) -> requests.Response | None:
        """Return the streamed answer holding bytes first…last of `key` (first < 0: the last -first bytes).

        None when there is no such object; the caller closes the answer.
        """
        wanted = f"bytes={first}" if first < 0 else f"bytes={first}-{'' if last is None else last}"
        answer = self._send("GET", key, extra={"range": wanted})
        if answer.status_code in (200, 206):
            return answer
        with answer:
            if answer.status_code == 404 and b"NoSuchKey" in answer.content:
                return None
            raise self._refusal("GET", key, answer)

    def delete(self, key: str) -> None:
        """Delete object `key` (a missing one is fine)."""
        with self._send("DELETE", key) as answer:
            if answer.status_code not in (200, 204):
                raise self._refusal("DELETE", key, answer)
