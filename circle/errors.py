"""The one error tree of circle.

    CircleError                      base of every error circle raises on purpose
    ├── SettingsError                a CIRCLE_* setting is missing or malformed
    ├── DatabaseUnavailable          the database cannot be reached or used
    ├── LogStoreError                the log bucket does not answer or refuses a request  → 503
    ├── NotFound                     a row (or file, or route target) does not exist      → 404
    ├── Conflict                     a unique key is taken, or the state forbids the act  → 409
    ├── InvalidInput                 a request or command argument is wrong               → 400
    ├── Unauthorized                 no or bad credentials                                → 401
    ├── Forbidden                    known caller, no permission                          → 403
    ├── TooLarge                     a body or batch over its limit                       → 413
    ├── TooManyRequests              a caller over a rate limit (carries retry_after)     → 429
    ├── CompileError                 a pipeline file cannot be compiled (carries problems)
    ├── RemoteError                  a code host (SCM) answered badly or not at all       → 502
    │   └── RemoteAuthError          the code host refused our credentials
    ├── NotSupported                 an SCM kind does not offer this call
    ├── IgnoreEvent                  a webhook that is valid but builds nothing (ping, deletion)
    └── RpcError                     a JSON-RPC error with its code (defined in circle.rpc.protocol)

The HTTP status of each lives in `http_status`; the API turns any CircleError into
`{"error": reason, "message": str(err)}` with that status.
"""
from __future__ import annotations

from dataclasses import dataclass


class CircleError(Exception):
    """Base of every deliberate circle error."""

    http_status = 500


class SettingsError(CircleError):
    """A CIRCLE_* setting is missing or malformed."""


class DatabaseUnavailable(CircleError):
    """The database cannot be reached or used."""

    http_status = 503


class LogStoreError(CircleError):
    """The log bucket did not answer, or refused a request."""

    http_status = 503


class NotFound(CircleError):
    """A row or object does not exist."""

    http_status = 404


class Conflict(CircleError):
    """A unique key is taken, or the current state forbids the operation."""

    http_status = 409


class InvalidInput(CircleError):
    """Input failed validation; `fields` maps field names to messages."""

    http_status = 400

    def __init__(self, message: str, fields: dict | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}

    @classmethod
    def of_fields(cls, messages: dict | list) -> InvalidInput:
        """Return the error of messages per field (nested as a schema gives them), summed up in its text."""
        fields = flatten(messages)
        return cls("invalid input: " + "; ".join(f"{name}: {text}" for name, text in fields.items()), fields)


def flatten(messages: object, prefix: str = "") -> dict[str, str]:
    """Turn nested messages per field into {"branches.include.0": "Not a valid string."}."""
    if isinstance(messages, dict):
        flat: dict[str, str] = {}
        for key, value in messages.items():
            flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            return {prefix: " ".join(messages)}
        flat = {}
        for index, value in enumerate(messages):
            flat.update(flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix: str(messages)}


class Unauthorized(CircleError):
    """No or bad credentials."""

    http_status = 401


class Forbidden(CircleError):
    """The caller is known but lacks permission."""

    http_status = 403


class TooLarge(CircleError):
    """A body or batch exceeds its limit."""

    http_status = 413


class TooManyRequests(CircleError):
    """A caller went over a rate limit; `retry_after` says in how many seconds to try again."""

    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a pipeline file, with its position (1-based line and column)."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class CompileError(CircleError):
    """A pipeline file cannot be compiled; `problems` lists every problem found."""

    http_status = 400

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid pipeline")


class RemoteError(CircleError):
    """A code host answered with an error or did not answer; `detail` keeps the host's own words for code to test.

    The message never carries the answer's body (a URL may point at a service that must not be read);
    `detail` is never shown or logged.
    """

    http_status = 502

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class RemoteAuthError(RemoteError):
    """The code host refused the credentials circle holds."""


class NotSupported(CircleError):
    """This SCM kind does not offer the requested call."""

    http_status = 501


class IgnoreEvent(CircleError):
    """A valid webhook delivery that must build nothing (ping, deletion, closed PR…)."""

    http_status = 200
