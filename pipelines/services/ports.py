"""Loopback TCP ports: a free one for a new server, and whether a given one is free."""

from __future__ import annotations

import socket


def free_loopback_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:`port`.

    The probe sets SO_REUSEADDR, as servers do (Redis, Tornado, asyncio): without it,
    the connections a stopped server leaves in TIME-WAIT for a minute make the port
    look taken though a new server could bind it.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
