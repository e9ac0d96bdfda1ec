"""The address guard: the fetcher never connects to private, loopback or otherwise internal addresses.

The check runs at connect time on the addresses the host actually resolves to (so a DNS answer that
changes between a check and the connection cannot slip through), for the first request and every
redirect alike. ``FetchLimits.allow`` (``WIREDESK_FETCH_ALLOW``) exempts named hosts and CIDRs. The streams it
opens also carry the fetch's overall deadline (:mod:`ingest.deadline`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
from httpcore._backends.sync import SyncBackend

from ingest.deadline import DeadlineStream, bounded
from ingest.errors import BlockedAddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is a globally routable unicast address (IPv4-mapped IPv6 judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_multicast or address.is_unspecified or address.is_loopback or address.is_link_local:
        return False
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return False
    return address.is_global


@dataclass(frozen=True)
class AddressPolicy:
    """Which hosts and addresses may be fetched. Default: public addresses only."""

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_allowlist(cls, items: Iterable[str]) -> AddressPolicy:
        hosts, networks = set(), []
        for item in (i.strip() for i in items):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def permits(self, host: str, address: IPAddress) -> bool:
        if host.lower().rstrip(".") in self.allowed_hosts:
            return True
        if any(address in net for net in self.allowed_networks):
            return True
        return is_public(address)


class GuardedBackend(httpcore.NetworkBackend):
    """An httpcore network backend that resolves the host itself and connects only to permitted addresses."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror}") from exc
        refused = []
        last_error: Exception | None = None
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if not self._policy.permits(host, address):
                refused.append(str(address))
                continue
            try:
                stream = self._inner.connect_tcp(str(address), port, bounded(timeout), local_address, socket_options)
                return DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        if last_error is not None:
            raise last_error
        raise BlockedAddress(
            f"fetch: {host} resolves to a non-public address ({', '.join(refused)}); "
            "allow it with WIREDESK_FETCH_ALLOW if this is intended"
        )

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
