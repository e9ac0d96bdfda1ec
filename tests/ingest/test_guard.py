"""The address guard: which addresses count as public, the allowlist, and the fetcher refusing loopback."""

from __future__ import annotations

import ipaddress

import pytest

from ingest.config import FetchLimits
from ingest.errors import BlockedAddress, FetchError
from ingest.fetch import Fetcher
from ingest.guard import AddressPolicy, is_public
from wiredesk.corpus import CorpusServer

# IP literals only: nothing here connects to them.
NON_PUBLIC = [
    "10.0.0.1",  # RFC 1918
    "172.16.5.4",
    "172.31.255.254",
    "192.168.1.1",
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "169.254.169.254",  # link-local (cloud metadata)
    "100.64.0.1",  # CGNAT 100.64/10
    "100.127.255.254",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "0.0.0.0",  # unspecified
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "::1",
    "::",
    "fc00::1",  # unique local fc00::/7
    "fd12:3456:789a::1",
    "fe80::1",  # link-local
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",  # IPv4-mapped private
    "::ffff:169.254.169.254",
]
PUBLIC = ["93.184.216.34", "100.63.255.255", "100.128.0.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"]


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_default_policy_refuses_non_public(address: str) -> None:
    assert not AddressPolicy().permits("news.example.org", ipaddress.ip_address(address))


def test_default_policy_permits_public() -> None:
    assert AddressPolicy().permits("news.example.org", ipaddress.ip_address("93.184.216.34"))


def test_from_allowlist_splits_hosts_and_networks() -> None:
    policy = AddressPolicy.from_allowlist([" Feeds.Example.ORG. ", "", "10.0.0.0/8", "127.0.0.1", "fd00::/8", "  "])
    assert policy.allowed_hosts == frozenset({"feeds.example.org"})
    assert policy.allowed_networks == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("fd00::/8"),
    )


def test_from_allowlist_accepts_non_strict_cidr() -> None:
    policy = AddressPolicy.from_allowlist(["192.168.1.7/24"])
    assert policy.allowed_networks == (ipaddress.ip_network("192.168.1.0/24"),)


@pytest.mark.parametrize("host", ["feeds.example.org", "FEEDS.example.org", "feeds.example.org."])
def test_allowed_host_name_permits_any_address(host: str) -> None:
    policy = AddressPolicy.from_allowlist(["feeds.example.org"])
    assert policy.permits(host, ipaddress.ip_address("10.1.2.3"))
    assert policy.permits(host, ipaddress.ip_address("127.0.0.1"))


def test_allowed_host_name_is_exact() -> None:
    policy = AddressPolicy.from_allowlist(["example.org"])
    assert not policy.permits("feeds.example.org", ipaddress.ip_address("10.1.2.3"))
    assert not policy.permits("example.org.evil.test", ipaddress.ip_address("10.1.2.3"))


@pytest.mark.parametrize(
    ("allow", "address", "permitted"),
    [
        ("10.0.0.0/8", "10.200.3.4", True),
        ("10.0.0.0/8", "11.0.0.1", True),  # public anyway
        ("10.0.0.0/8", "192.168.0.1", False),
        ("10.0.0.0/8", "127.0.0.1", False),
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "127.0.0.2", False),
        ("127.0.0.0/8", "127.0.0.2", True),
        ("fd00::/8", "fd12::1", True),
        ("fd00::/8", "fc00::1", False),
        ("10.0.0.0/8", "fd12::1", False),  # an IPv4 network never matches an IPv6 address
    ],
)
def test_allowed_network(allow: str, address: str, permitted: bool) -> None:
    policy = AddressPolicy.from_allowlist([allow])
    assert policy.permits("internal.example", ipaddress.ip_address(address)) is permitted


# --- the fetcher's guard, on the corpus server (loopback) ---


def test_default_limits_refuse_loopback(fresh_server: CorpusServer) -> None:
    path = fresh_server.corpus.pages[0].path
    with Fetcher(FetchLimits()) as fetcher, pytest.raises(BlockedAddress) as caught:
        fetcher.get(fresh_server.url + path, max_bytes=1024 * 1024)
    message = str(caught.value)
    assert "127.0.0.1" in message
    assert "WIREDESK_FETCH_ALLOW" in message  # says how to allow it
    assert isinstance(caught.value, FetchError)
    assert sum(fresh_server.hits.values()) == 0  # refused before connecting


@pytest.mark.parametrize("allow", [("127.0.0.1",), ("127.0.0.0/8",), ("10.0.0.0/8", "127.0.0.1/32")])
def test_allowlisted_loopback_is_fetched(corpus_server: CorpusServer, allow: tuple[str, ...]) -> None:
    url = corpus_server.page_url(corpus_server.corpus.pages[0].path)
    with Fetcher(FetchLimits(allow=allow)) as fetcher:
        assert fetcher.get(url, max_bytes=1024 * 1024).status == 200


def test_allowlisting_another_network_still_refuses_loopback(corpus_server: CorpusServer) -> None:
    url = corpus_server.page_url(corpus_server.corpus.pages[0].path)
    with Fetcher(FetchLimits(allow=("10.0.0.0/8", "feeds.example.org"))) as fetcher, pytest.raises(BlockedAddress):
        fetcher.get(url, max_bytes=1024 * 1024)


def test_allowlisting_by_host_name(corpus_server: CorpusServer) -> None:
    """``localhost`` allowed by name is fetched; the same server by its bare address is not."""
    port = corpus_server.url.rsplit(":", 1)[1]
    path = corpus_server.corpus.pages[0].path
    with Fetcher(FetchLimits(allow=("LocalHost",))) as fetcher:
        assert fetcher.get(f"http://localhost:{port}{path}", max_bytes=1024 * 1024).status == 200
        with pytest.raises(BlockedAddress):
            fetcher.get(f"http://127.0.0.1:{port}{path}", max_bytes=1024 * 1024)
