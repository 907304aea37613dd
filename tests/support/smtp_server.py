"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and can refuse
chosen recipients with chosen replies, speak STARTTLS / implicit TLS and require a login."""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (openssl), as (cert, key)."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


@dataclass
class Handler:
    """Keeps every accepted mail; `refuse` maps a recipient to a reply like '450 busy'."""

    refuse: dict[str, list[str]] = field(default_factory=dict)  # rcpt -> replies, in order
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        replies = self.refuse.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, rcpt: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.received if rcpt in rcpts]


class LoopbackSmtp(Controller):
    """aiosmtpd on 127.0.0.1, a free port (or `port`); optional TLS / STARTTLS / login."""

    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None,
                 starttls: ssl.SSLContext | None = None, login: tuple[str, str] | None = None,
                 port: int = 0):
        kwargs: dict[str, Any] = {}
        if starttls is not None:
            kwargs.update(tls_context=starttls, require_starttls=True)
        if login is not None:
            def check(server: Any, session: Any, envelope: Any, mechanism: str,
                      data: Any) -> AuthResult:
                ok = isinstance(data, LoginPassword) and (
                    data.login.decode(), data.password.decode()) == login
                return AuthResult(success=ok, handled=False)
            kwargs.update(authenticator=check, auth_required=True,
                          auth_require_tls=starttls is not None or tls is not None)
        super().__init__(handler, hostname="127.0.0.1", port=port, ssl_context=tls,
                         server_hostname="127.0.0.1", **kwargs)

    @property
    def bound_port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    def _trigger_server(self) -> None:
        # the base class connects to `self.port` to check the server is up: port 0 cannot be
        # connected to, so point it at the real port first
        self.port = self.bound_port
        super()._trigger_server()
