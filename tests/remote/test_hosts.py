"""HostPolicy (circle.remote.hosts) and the checked session (circle.remote.guard): issue 16, SSRF."""
from __future__ import annotations

import ipaddress
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from circle import config
from circle.errors import InvalidInput, RemoteError, SettingsError
from circle.remote import get_remote
from circle.remote.hosts import HostPolicy
from circle.remote.http import HttpClient
from fakehost import FakeHost

DEFAULT = HostPolicy.parse("")

REFUSED = ["127.0.0.1", "127.5.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
           "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fc00::1", "fd12::1", "fe80::1",
           "fe80::1%eth0", "ff02::1", "::ffff:127.0.0.1", "2001:db8::1"]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", REFUSED)
def test_the_default_refuses_every_non_public_address(address: str):
    assert not DEFAULT.permits("forge.example", address)


@pytest.mark.parametrize("address", PUBLIC)
def test_the_default_permits_public_addresses(address: str):
    assert DEFAULT.permits("forge.example", address)


def test_listed_networks_names_and_the_star():
    policy = HostPolicy.parse(" 10.0.0.0/8, 192.168.1.5 ,[fd00::1], Git.Internal. ,")
    assert policy.permits("a", "10.9.9.9") and policy.permits("a", "192.168.1.5") and policy.permits("a", "fd00::1")
    assert not policy.permits("a", "192.168.1.6") and not policy.permits("a", "127.0.0.1")
    assert policy.permits("git.internal", "127.0.0.1") and policy.permits("GIT.INTERNAL.", "10.0.0.1")
    assert HostPolicy.parse("*").permits("anything", "169.254.169.254")
    assert policy.networks[0] == ipaddress.ip_network("10.0.0.0/8")


@pytest.mark.parametrize("entry", ["http://git.internal", "10.0.0.0/33", "bad host", "*.internal"])
def test_an_unreadable_entry_is_a_settings_error_naming_it(tmp_path: Path, entry: str):
    with pytest.raises(SettingsError, match="CIRCLE_SCM_ALLOWED_HOSTS: .* is neither a host name"):
        config.load({"CIRCLE_DATA_DIR": str(tmp_path), "CIRCLE_SCM_ALLOWED_HOSTS": entry}, generate=False)


def test_the_setting_defaults_to_public_addresses_only(tmp_path: Path):
    settings = config.load({"CIRCLE_DATA_DIR": str(tmp_path)}, generate=False)
    assert settings.scm_allowed_hosts == DEFAULT and not DEFAULT.anything


def test_check_url_wants_http_and_a_resolving_permitted_host():
    DEFAULT.check_url("https://93.184.216.34/gitea")
    for url, message in [("ftp://93.184.216.34", "not an http(s) URL"), ("http://localhost", "not a public address"),
                         ("http://93.184.216.34:99999", "no valid port"), ("http://no-such-host.invalid", "resolve")]:
        with pytest.raises(InvalidInput, match=re.escape(message)):
            DEFAULT.check_url(url)


def test_a_checked_session_resolves_once_and_connects_to_the_checked_address(
        fake_host: FakeHost, monkeypatch: pytest.MonkeyPatch):
    """The name is looked up once; the socket then goes to the literal address that was checked."""
    lookups: list[str] = []
    real = socket.getaddrinfo

    def spy(host: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append(str(host))
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    fake_host.on("GET", "/api/v1/user", (200, {}, {"id": 1, "login": "ci"}))
    url = fake_host.url.replace("127.0.0.1", "localhost")
    remote = get_remote("gitea", url, token="t", hosts=HostPolicy.parse("127.0.0.1, ::1"))
    assert remote.user().login == "ci"
    assert lookups.count("localhost") == 1
    assert all(host == "localhost" or ipaddress.ip_address(host) for host in lookups)
    assert fake_host.calls[0].headers["Host"] == url.removeprefix("http://")


def test_a_refused_connection_is_one_sentence_and_not_retried(fake_host: FakeHost):
    client = HttpClient(fake_host.url, "Gitea", hosts=DEFAULT, backoff=0)
    with pytest.raises(RemoteError, match=r"^127\.0\.0\.1 is not a public address, .*CIRCLE_SCM_ALLOWED_HOSTS lists$"):
        client.get_json("user")
    assert fake_host.calls == []


def test_gitlab_password_login_goes_through_the_same_check(fake_host: FakeHost):
    """The OAuth password grant (POST /oauth/token) is a connection like any other."""
    remote = get_remote("gitlab", fake_host.url, username="ci", password="pw", hosts=DEFAULT, retries=0)
    with pytest.raises(RemoteError, match="is not a public address"):
        remote.user()
    assert fake_host.calls == []
