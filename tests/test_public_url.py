"""The public URL's port against the listening one, with the schemes' default ports."""
from __future__ import annotations

import pytest

from circle.public_url import port_mismatch


@pytest.mark.parametrize(("host", "port"), [("http://ci.example:8000", 8000), ("https://ci.example", 443),
                                            ("http://ci.example/ci", 80), ("http://[::1]:9000", 9000)])
def test_the_same_port_is_no_warning(host: str, port: int):
    assert port_mismatch(host, port) is None


def test_a_default_port_is_compared_too():
    assert port_mismatch("https://ci.example", 8000) == (
        "CIRCLE_HOST https://ci.example names port 443 but circle listens on port 8000: hook URLs, links and upload "
        "URLs reach this server only through a proxy that forwards port 443 to 8000")


def test_a_malformed_port_is_left_to_the_reachability_check():
    assert port_mismatch("http://ci.example:eighty", 8000) is None
