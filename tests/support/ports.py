"""A free loopback port, for the servers and child processes the tests start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS's choice; another process may take it
    before it is bound again, which on loopback in a test is rare enough)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
