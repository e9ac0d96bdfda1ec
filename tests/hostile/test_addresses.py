"""Addresses a hostile URL can use to reach inside: IPv6 spellings of internal IPv4 addresses are judged by the
IPv4 address they stand for (a NAT64 or 6to4 gateway on the path would deliver them there)."""

from __future__ import annotations

import ipaddress

import pytest

from ingest.guard import AddressPolicy, embedded_ipv4, is_public, shown

INTERNAL_IN_DISGUISE = [
    ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64, well-known prefix
    ("64:ff9b::a00:1", "10.0.0.1"),
    ("2002:a9fe:a9fe::1", "169.254.169.254"),  # 6to4
    ("2002:7f00:1::", "127.0.0.1"),
    ("::a9fe:a9fe", "169.254.169.254"),  # IPv4-compatible
    ("::ffff:0:a00:1", "10.0.0.1"),  # IPv4-translated (SIIT)
    ("::ffff:a9fe:a9fe", "169.254.169.254"),  # IPv4-mapped
]
PUBLIC_IN_DISGUISE = ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("address", "ipv4"), INTERNAL_IN_DISGUISE)
def test_ipv6_standing_for_an_internal_ipv4_address_is_refused(address: str, ipv4: str) -> None:
    ip = ipaddress.IPv6Address(address)
    assert embedded_ipv4(ip) == ipaddress.IPv4Address(ipv4)
    assert not is_public(ip)
    assert not AddressPolicy.from_allowlist(["93.184.216.0/24"]).permits("news.example.org", ip)


@pytest.mark.parametrize("address", PUBLIC_IN_DISGUISE)
def test_ipv6_standing_for_a_public_ipv4_address_is_public(address: str) -> None:
    assert is_public(ipaddress.IPv6Address(address))


def test_local_use_nat64_prefix_is_refused_whatever_it_embeds() -> None:
    assert not is_public(ipaddress.IPv6Address("64:ff9b:1::808:808"))


def test_allowlisted_loopback_does_not_allow_its_mapped_form() -> None:
    policy = AddressPolicy.from_allowlist(["127.0.0.1"])
    assert policy.permits("127.0.0.1", ipaddress.ip_address("127.0.0.1"))
    assert not policy.permits("::ffff:127.0.0.1", ipaddress.ip_address("::ffff:127.0.0.1"))


@pytest.mark.parametrize(
    ("address", "text"),
    [("::ffff:127.0.0.1", "::ffff:127.0.0.1"), ("169.254.169.254", "169.254.169.254"), ("fe80::1", "fe80::1")],
)
def test_refused_addresses_are_shown_as_people_write_them(address: str, text: str) -> None:
    assert shown(ipaddress.ip_address(address)) == text
