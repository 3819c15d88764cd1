"""Webhook signatures: HMAC digests and constant-time comparison against the hook secret."""
from __future__ import annotations

import hashlib
import hmac


def digest(secret: str, body: bytes, algorithm: str = "sha256") -> str:
    """Return the hex HMAC of `body` keyed with `secret`."""
    return hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).hexdigest()


def matches_hmac(secret: str, body: bytes, given: str, *, prefix: str = "", algorithm: str = "sha256") -> bool:
    """Tell whether `given` ("<prefix><hex>") is the HMAC of body under secret, in constant time."""
    if not secret or not given:
        return False
    expected = prefix + digest(secret, body, algorithm)
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def matches_token(secret: str, given: str) -> bool:
    """Tell whether a verbatim token equals the secret, in constant time."""
    if not secret or not given:
        return False
    return hmac.compare_digest(secret.encode(), given.encode())
