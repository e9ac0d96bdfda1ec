"""Fixtures of the hostile suite: the hostile server, tight limits, and a guard that no connection leaves
127.0.0.1 (the cycle runner is in ``harness.py``)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from backends import BACKENDS, on_backend, pg_store_url
from server import MIB, HostileServer

from wiredesk.settings import Settings

__all__ = ["pg_store_url"]


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def tight(settings: Settings) -> Settings:
    """Small limits, so that every hostile case ends in a second or two."""
    fetch = replace(
        settings.fetch,
        connect_timeout_s=1.0,
        read_timeout_s=0.5,
        deadline_s=1.5,
        max_feed_bytes=1 * MIB,
        max_page_bytes=1 * MIB,
        max_redirects=3,
    )
    return replace(settings, fetch=fetch, host_wait_s=5.0)


@pytest.fixture(params=BACKENDS)
def tight_on_backend(request: pytest.FixtureRequest, tight: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """``tight`` on SQLite and on PostgreSQL (for what one database takes and the other refuses)."""
    return on_backend(request, tight, monkeypatch)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every TCP connection the test opens, by address. One to anything but 127.0.0.1 is refused before it
    leaves the machine, and fails the test: the guard must have stopped it first."""
    attempts: list[str] = []
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(str(address[0]))
            if address[0] != "127.0.0.1":
                raise ConnectionRefusedError(f"test: no traffic may leave 127.0.0.1 (tried {address[0]})")
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield attempts
    assert [a for a in attempts if a != "127.0.0.1"] == []
