"""A requests session whose every connection obeys a HostPolicy: resolve once, check, connect to a checked address.

The check sits where urllib3 opens sockets, so it covers the first request, each redirect hop and
each pagination link alike. The host name stays the TLS server name and the Host header; only the
socket goes to the address that was checked. Proxies from the environment are not used by a
guarded session: through a proxy, the policy could not see where the connection really goes.
"""
from __future__ import annotations

import logging
import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.poolmanager import PoolManager

from circle.remote.hosts import HostPolicy

log = logging.getLogger(__name__)


class CheckedHTTPConnection(HTTPConnection):
    """An HTTP connection that opens its socket only to an address its policy permits."""

    def __init__(self, *args: Any, hosts: HostPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hosts = hosts

    def _new_conn(self) -> socket.socket:
        """Resolve the host once, refuse unless every address is permitted, connect to the first that answers."""
        name = self._dns_host
        addresses = self.hosts.addresses(name, self.port)
        try:
            for address in addresses[:-1]:
                self._dns_host = address
                try:
                    return super()._new_conn()
                except (NewConnectionError, ConnectTimeoutError) as err:
                    log.debug("cannot connect to %s (%s) port %s: %s", name, address, self.port, err)
            self._dns_host = addresses[-1]
            return super()._new_conn()
        finally:
            self._dns_host = name


class CheckedHTTPSConnection(CheckedHTTPConnection, HTTPSConnection):
    """The HTTPS kind: TLS is still verified against the host name."""


CONNECTIONS: dict[str, type[HTTPConnection]] = {"http": CheckedHTTPConnection, "https": CheckedHTTPSConnection}


class CheckedPoolManager(PoolManager):
    """A pool manager whose pools make checked connections."""

    def __init__(self, hosts: HostPolicy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hosts = hosts

    def _new_pool(self, scheme: str, host: str, port: int,
                  request_context: dict[str, Any] | None = None) -> HTTPConnectionPool:
        """Create a pool whose connections check their addresses against the policy."""
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.ConnectionCls = CONNECTIONS[scheme]
        pool.conn_kw["hosts"] = self.hosts
        return pool


class CheckedAdapter(HTTPAdapter):
    """A requests adapter that connects only where a HostPolicy permits, never through a proxy."""

    def __init__(self, hosts: HostPolicy) -> None:
        self.hosts = hosts
        super().__init__()

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        """Use a pool manager of checked connections."""
        self._pool_connections, self._pool_maxsize, self._pool_block = connections, maxsize, block
        self.poolmanager = CheckedPoolManager(self.hosts, num_pools=connections, maxsize=maxsize, block=block,
                                              **pool_kwargs)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        """Send directly, ignoring any proxy."""
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies={})


def new_session(hosts: HostPolicy | None) -> requests.Session:
    """Return a requests session; with a policy, every connection it makes is checked against it."""
    session = requests.Session()
    if hosts is not None:
        adapter = CheckedAdapter(hosts)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session
