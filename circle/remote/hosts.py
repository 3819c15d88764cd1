"""Which addresses an SCM may reach: public ones, plus the names and networks CIRCLE_SCM_ALLOWED_HOSTS lists.

An SCM registered by a user without admin rights gets a `HostPolicy`; an admin's SCM gets none
(its URL is trusted). `check_url` runs at registration; `addresses` runs again for every new
connection (circle.remote.guard), which then connects only to an address it checked, so a DNS
answer that changes after registration (rebinding) cannot reach a refused address.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from circle.errors import InvalidInput, RemoteError

SCHEMES = {"http": 80, "https": 443}
ANY = "*"
_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(ip: Address) -> bool:
    """Tell whether an address is globally routable unicast (not loopback, private, link-local, multicast…)."""
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback
                                 or ip.is_unspecified or ip.is_private)


def _host_name(host: str) -> str:
    """Return a host name in the form names are compared in (lower case, no trailing dot, no brackets)."""
    return host.strip("[]").rstrip(".").lower()


@dataclass(frozen=True)
class HostPolicy:
    """Public addresses, plus `names` (any address they resolve to) and `networks`; `anything` allows all."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()
    anything: bool = False

    @classmethod
    def parse(cls, text: str) -> HostPolicy:
        """Read a comma-separated list of host names, IP networks in CIDR form and `*`; ValueError names a bad one."""
        names: set[str] = set()
        networks: list[Network] = []
        anything = False
        for entry in (e.strip() for e in text.split(",")):
            if not entry:
                continue
            if entry == ANY:
                anything = True
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if not _NAME.match(_host_name(entry)):
                raise ValueError(f"{entry!r} is neither a host name, an IP network in CIDR form nor {ANY}")
            names.add(_host_name(entry))
        return cls(frozenset(names), tuple(networks), anything)

    def permits(self, host: str, address: str) -> bool:
        """Tell whether a connection to `host` may go to `address`, one of the addresses it resolved to."""
        if self.anything or _host_name(host) in self.names:
            return True
        ip = ipaddress.ip_address(address.partition("%")[0])
        return is_public(ip) or any(ip in network for network in self.networks)

    def addresses(self, host: str, port: int) -> list[str]:
        """Resolve `host` once and return its addresses; RemoteError when it does not resolve or any is refused."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise RemoteError(f"the host name {host} does not resolve") from None
        found = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in found:
            if not self.permits(host, address):
                where = host if _host_name(host) == address else f"{host} ({address})"
                raise RemoteError(f"{where} is not a public address, and the SCMs of users without admin rights "
                                  "may reach only public addresses and those CIRCLE_SCM_ALLOWED_HOSTS lists")
        return found

    def check_url(self, url: str) -> None:
        """Raise InvalidInput unless `url` is http(s) and its host resolves only to addresses this policy permits."""
        parts = urlsplit(url.strip())
        try:
            port = parts.port
        except ValueError:
            raise InvalidInput(f"'{url}' has no valid port", {"url": "invalid port"}) from None
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise InvalidInput(f"'{url}' is not an http(s) URL", {"url": "not an http(s) URL"})
        try:
            self.addresses(parts.hostname, port or SCHEMES[parts.scheme])
        except RemoteError as err:
            raise InvalidInput(str(err), {"url": str(err)}) from None
