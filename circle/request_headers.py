"""Request header lines, read for gevent's WSGI handler without the email package.

gevent parses each request's headers with http.client.parse_headers, which runs email.parser over them: about a
sixth of the server's CPU per idle long-poll. This reader keeps http.client's limits (65 536 bytes per line, 100
lines) and gevent's header object, and refuses what RFC 9112 §5 lets a server refuse: a line without a colon,
whitespace before the colon, and obsolete line folding. A refused request is answered 400 by gevent.
"""
from __future__ import annotations

from typing import BinaryIO

from gevent.pywsgi import OldMessage

MAX_LINE = 65536
MAX_HEADERS = 100
_END = (b"\r\n", b"\n", b"")


def _refused(reason: str) -> OldMessage:
    """Return a header object that makes gevent answer 400 for `reason`."""
    message = OldMessage()
    message.status = reason
    return message


def read_headers(stream: BinaryIO) -> OldMessage:
    """Read header lines up to the blank line; return them as gevent's header object (its status set if refused)."""
    fields: list[tuple[str, str]] = []
    while True:
        line = stream.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            return _refused("Line too long")
        if line in _END:
            break
        if len(fields) == MAX_HEADERS:
            return _refused(f"more than {MAX_HEADERS} header lines")
        name, colon, value = line.decode("iso-8859-1").partition(":")
        if not colon or not name or name[0] in " \t" or name[-1] in " \t":
            return _refused("Invalid header line")
        fields.append((name, value.strip(" \t\r\n")))
    message = OldMessage()
    message._headers = fields  # the parsed (name, value) pairs email.message.Message keeps
    return message
