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
# IPv6 prefixes whose last 32 bits name an IPv4 host that a translator on the path may deliver to.
_EMBEDDING = (
    ipaddress.ip_network("::/96"),  # IPv4-compatible (deprecated, RFC 4291)
    ipaddress.ip_network("::ffff:0:0:0/96"),  # IPv4-translated (RFC 2765 SIIT)
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64 well-known prefix (RFC 6052)
)
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # local-use NAT64 (RFC 8215): any IPv4 behind it


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: IPv4-mapped, IPv4-compatible, SIIT, NAT64 or 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in _EMBEDDING):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is a globally routable unicast address. An IPv6 address that embeds an IPv4
    address (IPv4-mapped, NAT64, 6to4, ...) is judged by the IPv4 address it reaches."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False
        embedded = embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
    if address.is_multicast or address.is_unspecified or address.is_loopback or address.is_link_local:
        return False
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return False
    return address.is_global


def shown(address: IPAddress) -> str:
    """``address`` as people write it: an IPv4-mapped address with its IPv4 part dotted (``::ffff:10.0.0.1``)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


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
                refused.append(shown(address))
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
