"""Encryption of values at rest and hashing of tokens.

Values (secrets, SCM credentials, registry passwords, hook secrets) are encrypted with Fernet
(AES-128-CBC + HMAC-SHA256) under a key derived by HKDF from CIRCLE_SECRET_KEY. API and agent
tokens are random, so they are stored as their SHA-256 digest only.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import zlib

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from circle.errors import SettingsError

_fernet: Fernet | None = None


def derive_key(secret_key: str, purpose: str) -> bytes:
    """Return 32 bytes derived from the secret key for one named purpose."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"circle", info=purpose.encode())
    return hkdf.derive(secret_key.encode())


def configure(secret_key: str) -> None:
    """Set the key that encrypts values at rest (called once by create_app)."""
    global _fernet
    _fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "secrets-at-rest")))


def _cipher() -> Fernet:
    """Return the configured cipher or raise a clear error."""
    if _fernet is None:
        raise SettingsError("the encryption key is not configured (create_app was not called)")
    return _fernet


def encrypt(plain: str) -> str:
    """Return the ciphertext of `plain` as text."""
    return _cipher().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """Return the plaintext of a value encrypted by `encrypt`."""
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SettingsError("a stored secret cannot be decrypted: was CIRCLE_SECRET_KEY changed?") from None


def seal(plain: bytes) -> bytes:
    """Return `plain` compressed and encrypted (for large values at rest, such as compiled pipelines)."""
    return _cipher().encrypt(zlib.compress(plain, 6))


def unseal(sealed: bytes) -> bytes:
    """Return the plaintext of a value sealed by `seal`."""
    try:
        return zlib.decompress(_cipher().decrypt(bytes(sealed)))
    except InvalidToken:
        raise SettingsError("a stored value cannot be decrypted: was CIRCLE_SECRET_KEY changed?") from None


def new_token() -> str:
    """Return a fresh random API or agent token (hex: it never starts with "-", so it passes as a CLI argument)."""
    return secrets.token_hex(32)


def hash_token(token: str) -> str:
    """Return the stored form (SHA-256 hex) of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret_key: str, message: str) -> str:
    """Return an HMAC-SHA256 signature (hex) of `message` under a key derived for signing."""
    return hmac.new(derive_key(secret_key, "signing"), message.encode(), hashlib.sha256).hexdigest()


def verify(secret_key: str, message: str, signature: str) -> bool:
    """Tell in constant time whether `signature` signs `message`."""
    return hmac.compare_digest(sign(secret_key, message), signature)
