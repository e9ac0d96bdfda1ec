"""A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL), which a test can cut and restore.

``cut()`` is what a database outage looks like from the client: every open connection is reset at once
(mid-transaction if one is open), and new connections are accepted and reset immediately, until
``restore()``. Bytes pass through unchanged otherwise; nothing is parsed or faked.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from types import TracebackType

_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST, not FIN


def _reset(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    with contextlib.suppress(OSError):
        sock.close()


class FaultProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target`` until cut. Use as a context manager."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._down = False
        self._closed = False
        self.connections = 0  # accepted while up
        self.refused = 0  # accepted while down, reset at once
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._thread.start()

    @property
    def down(self) -> bool:
        return self._is_down()

    def _is_down(self) -> bool:
        return self._down  # a call, read afresh each time (cut() runs on the test's thread)

    def url_for(self, url: str) -> str:
        """``url`` (a SQLAlchemy URL naming the target's host and port) pointed at the proxy instead."""
        host, port = self._target
        proxied = url.replace(f"@{host}:{port}/", f"@127.0.0.1:{self.port}/", 1)
        if proxied == url:
            raise ValueError(f"{url} does not name {host}:{port}: it would not go through the proxy")
        return proxied

    def cut(self) -> None:
        """Reset every open connection and refuse new ones until :meth:`restore`."""
        with self._lock:
            self._down = True
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    def restore(self) -> None:
        with self._lock:
            self._down = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() below (close alone does not)
        with contextlib.suppress(OSError):
            self._listener.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._is_down():
                self.refused += 1
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._is_down():  # cut while we were connecting
                    _reset(client)
                    _reset(upstream)
                    continue
                self._pairs.append((client, upstream))
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        """Copy bytes both ways until either side closes or the proxy cuts the pair."""
        peers = {client: upstream, upstream: client}
        try:
            while True:
                readable, _, _ = select.select(list(peers), [], [], 0.5)
                if client.fileno() < 0 or upstream.fileno() < 0:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return  # reset by cut(), or the other side went away
        finally:
            with self._lock:
                if (client, upstream) in self._pairs:
                    self._pairs.remove((client, upstream))
            _reset(client)
            _reset(upstream)
