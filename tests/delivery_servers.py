"""Real servers on loopback for the delivery tests: an SMTP server (aiosmtpd) with optional
STARTTLS and login, and an HTTP webhook receiver that records requests and answers as told."""

from __future__ import annotations

import email
import email.policy
import json
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, cast

import pytest

from tests.loopback import LoopbackServer, free_port


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, made with the openssl command."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
            check=True, capture_output=True,
        )  # fmt: skip
    except FileNotFoundError:
        pytest.skip("the openssl command is not installed")
    return cert, key


@dataclass
class SMTPServer:
    """aiosmtpd on loopback; ``messages`` holds what it accepted."""

    port: int
    tls: ssl.SSLContext | None = None
    client_tls: ssl.SSLContext | None = None  # trusts the server's certificate
    password: str | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    fail_next: int = 0  # answer DATA with 451 this many times

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail_next:
            self.fail_next -= 1
            return "451 try again later"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(cast(EmailMessage, msg))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mech: str, data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=password == self.password)


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SMTPServer]:
    """Parametrize indirectly with ``{"tls": bool, "password": str | None}``; with TLS the
    server requires STARTTLS with a self-signed certificate that ``client_tls`` trusts."""
    from aiosmtpd.controller import Controller

    opts: dict[str, Any] = getattr(request, "param", {})
    server = SMTPServer(free_port(), password=opts.get("password"))
    if opts.get("tls"):
        cert, key = self_signed(tmp_path)
        server.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.tls.load_cert_chain(cert, key)
        server.client_tls = ssl.create_default_context(cafile=str(cert))
    kwargs: dict[str, Any] = {}
    if server.tls is not None:
        kwargs |= {"tls_context": server.tls, "require_starttls": True}
    if server.password is not None:
        kwargs |= {"authenticator": server.authenticate, "auth_require_tls": True}
    controller = Controller(server, hostname="127.0.0.1", port=server.port, **kwargs)
    controller.start()
    yield server
    controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        receiver: WebhookReceiver = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        receiver.received.append(Received(self.path, dict(self.headers.items()), body))
        status, reply = receiver.replies.pop(0) if receiver.replies else (200, receiver.default)
        self.send_response(status)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        return


class WebhookReceiver(LoopbackServer):
    """An HTTP server on 127.0.0.1 that records each POST and answers from ``replies``
    (status, body), then 200 with ``default`` once they run out."""

    handler = _WebhookHandler

    def __init__(self, default: bytes = b"ok") -> None:
        super().__init__()
        self.received: list[Received] = []
        self.replies: list[tuple[int, bytes]] = []
        self.default = default
