"""Column types shared by the models: long text, binary blobs, encrypted text and JSON, epoch time."""
from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import LargeBinary, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator

from circle import crypto

# MySQL's TEXT and BLOB stop at 64 KiB; log lines and artifacts need more.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
LongBinary = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class EncryptedText(TypeDecorator):
    """Text encrypted at rest with circle.crypto; Python sees plaintext, the database ciphertext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        """Encrypt on the way into the database."""
        return None if value is None else crypto.encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        """Decrypt on the way out of the database."""
        return None if value is None else crypto.decrypt(value)


class SealedJson(TypeDecorator):
    """A JSON document stored compressed and encrypted (crypto.seal); Python sees the decoded value."""

    impl = LongBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        """Encode, compress and encrypt on the way into the database."""
        return None if value is None else crypto.seal(json.dumps(value, separators=(",", ":")).encode())

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        """Decrypt and decode on the way out of the database."""
        return None if value is None else json.loads(crypto.unseal(value))


def now() -> int:
    """Return the current time in integer UNIX seconds."""
    return int(time.time())
