"""The request header reader: http.client's fields for valid requests, 400 for what RFC 9112 refuses."""
from __future__ import annotations

import http.client
import io

import gevent
import gevent.socket
import pytest

from circle.request_headers import MAX_HEADERS, MAX_LINE, read_headers
from circle.server import Server

VALID = [
    b"Host: example\r\nContent-Length: 12\r\n\r\n",
    b"Host:  spaced  \r\nX-Empty:\r\nAuthorization: Bearer abc:def\r\n\r\n",
    b"Cookie: a=1\r\nCookie: b=2\r\nContent-Type: application/json; charset=utf-8\r\n\r\n",
    b"Host: bare-newlines\nAccept: */*\n\n",
    b"X-Latin: caf\xe9\r\n\r\n",
    b"\r\n",
]


@pytest.mark.parametrize("block", VALID)
def test_valid_headers_read_as_http_client_reads_them(block):
    """Names, values, repeats and order match http.client.parse_headers; the body after the blank line is untouched."""
    stream = io.BytesIO(block + b"BODY")
    ours, theirs = read_headers(stream), http.client.parse_headers(io.BytesIO(block))
    assert ours.status == "" and list(ours.items()) == [(k, v.strip()) for k, v in theirs.items()]
    assert stream.read() == b"BODY"
    assert list(ours.headers) == [f"{k}: {v}\r\n" for k, v in ours.items()]


@pytest.mark.parametrize("block, reason", [
    (b"Host example\r\n\r\n", "Invalid header line"),
    (b"Host : example\r\n\r\n", "Invalid header line"),
    (b" Host: example\r\n\r\n", "Invalid header line"),
    (b": no-name\r\n\r\n", "Invalid header line"),
    (b"X-Long: a\r\n folded\r\n\r\n", "Invalid header line"),
    (b"X-Big: " + b"a" * MAX_LINE + b"\r\n\r\n", "Line too long"),
    (b"".join(b"X-%d: 1\r\n" % i for i in range(MAX_HEADERS + 1)) + b"\r\n", "more than 100 header lines"),
])
def test_refused_headers_carry_a_reason(block, reason):
    """A line gevent must not pass on sets the status that makes gevent answer 400."""
    assert read_headers(io.BytesIO(block)).status == reason


def _ask(port: int, request: bytes) -> bytes:
    """Send one raw request over loopback and return the whole answer."""
    connection = gevent.socket.create_connection(("127.0.0.1", port))
    try:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        connection.close()


def test_the_server_answers_through_the_reader():
    """Over real HTTP: the app sees the headers (underscored names dropped, as gevent does); a bad line is a 400."""
    seen = {}

    def app(environ, start_response):
        seen.update((k, v) for k, v in environ.items() if k.startswith(("HTTP_", "CONTENT_")))
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    server = Server(("127.0.0.1", 0), app, log=None)
    server.start()
    try:
        answer = _ask(server.server_port, b"POST /x HTTP/1.1\r\nHost: h\r\nX-Agent: a1\r\nX_Sneaky: 1\r\n"
                                          b"Content-Type: text/plain\r\nContent-Length: 2\r\n"
                                          b"Connection: close\r\n\r\nhi")
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"ok")
        assert seen["HTTP_X_AGENT"] == "a1" and seen["CONTENT_LENGTH"] == "2" and "HTTP_X_SNEAKY" not in seen
        refused = _ask(server.server_port, b"GET / HTTP/1.1\r\nHost h\r\n\r\n")
        assert refused.startswith(b"HTTP/1.1 400")
    finally:
        server.stop(timeout=1)
        gevent.sleep(0)
