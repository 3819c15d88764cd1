"""Where an S3 bucket is and as whom to reach it, and AWS Signature Version 4 for its requests (no HTTP here).

Split from circle.s3 so that reading the settings (circle.config) does not import an HTTP client.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import urlsplit

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Bucket:
    """Where and as whom to reach one S3 bucket; the secret key never shows in a repr."""

    endpoint: str
    region: str
    name: str
    access_key: str
    secret_key: str = field(repr=False)


def _hmac(key: bytes, text: str) -> bytes:
    """Return HMAC-SHA256 of `text` under `key`."""
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(bucket: Bucket, method: str, path: str, payload_sha256: str, now: float) -> dict[str, str]:
    """Return the headers that authenticate a request for `path` (already URI-encoded, no query) at `now`."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    headers = {"host": urlsplit(bucket.endpoint).netloc, "x-amz-content-sha256": payload_sha256, "x-amz-date": stamp}
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, path, "", *(f"{name}:{headers[name]}" for name in sorted(headers)), "",
                           signed, payload_sha256])
    scope = f"{stamp[:8]}/{bucket.region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(("AWS4" + bucket.secret_key).encode(), stamp[:8])
    for part in (bucket.region, "s3", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={bucket.access_key}/{scope}, "
                                f"SignedHeaders={signed}, Signature={signature}")
    return headers


def file_sha256(fh: IO[bytes]) -> str:
    """Return the hex SHA-256 of a file's content from its start, leaving it at its start."""
    digest = hashlib.sha256()
    fh.seek(0)
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
    fh.seek(0)
    return digest.hexdigest()
