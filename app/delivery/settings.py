"""The ``delivery`` setting: where a feed's daily digest goes (validated at start).

```json
"delivery": {
  "email": {"host": "smtp.example.org", "port": 587, "security": "starttls",
            "user": "bot@example.org", "password_env": "SMTP_PASSWORD",
            "from": "arXiv feeds <bot@example.org>", "to": ["me@example.org"]},
  "webhooks": [{"kind": "slack", "url": "https://hooks.slack.com/..."},
               {"kind": "generic", "url": "https://example.org/hook", "secret_env": "HOOK_SECRET"}]
}
```

Secrets are never in the file: ``password_env`` and ``secret_env`` name environment variables,
which must be set when the settings load. A password never goes over a connection without TLS
(except to a loopback host), and a webhook URL, which holds a token, must be ``https`` (again
except on loopback). ``secret_env`` signs ``generic`` bodies (HMAC-SHA256) and ``feishu``
messages (the bot's signing secret); Slack and Discord URLs carry their own token.
"""

from __future__ import annotations

import hashlib
import os
from email.utils import getaddresses, parseaddr
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.validation import is_loopback

WebhookKind = Literal["slack", "discord", "feishu", "generic"]
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _secret(name: str | None) -> str | None:
    return os.environ.get(name) if name else None


def _env_name(value: str | None) -> str | None:
    if value is not None and not value.strip():
        return None
    if value is not None and os.environ.get(value.strip()) in (None, ""):
        raise ValueError(f"the environment variable {value.strip()!r} is not set")
    return value.strip() if value else None


def _address(value: str) -> str:
    addr = parseaddr(value)[1]
    local, at, domain = addr.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in addr):
        raise ValueError(f"not an e-mail address: {value!r}")
    return value.strip()


class EmailDelivery(BaseModel):
    """SMTP: one multipart message a day to ``to``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535, description="587, 465 or 25 by security")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password_env: str | None = Field(default=None, description="Environment variable")
    sender: str = Field(alias="from", description="'Name <addr@example.org>'")
    to: list[str] = Field(min_length=1, max_length=100)
    timeout: float = Field(default=30.0, gt=0, le=300)

    _check_env = field_validator("password_env")(_env_name)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _address(value)

    @field_validator("to")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for raw in value:
            addr = _address(raw)
            if addr.casefold() not in (a.casefold() for a in out):
                out.append(addr)
        return out

    @model_validator(mode="after")
    def _safe_login(self) -> EmailDelivery:
        if (self.user is None) != (self.password_env is None):
            raise ValueError("set both user and password_env, or neither")
        if self.password_env and self.security == "none" and not is_loopback(self.host):
            raise ValueError("a password is sent only over TLS: use security starttls or ssl")
        return self

    @property
    def effective_port(self) -> int:
        """``port``, or the usual one for ``security``."""
        return self.port or DEFAULT_PORTS[self.security]

    def password(self) -> str | None:
        """The SMTP password, read from the environment when it is needed."""
        return _secret(self.password_env)

    def recipients(self) -> list[str]:
        """The bare addresses of ``to``."""
        return [addr for _, addr in getaddresses(self.to)]

    @property
    def channel_id(self) -> str:
        """A stable, secret-free name for the ledger."""
        ident = "|".join([self.host, str(self.effective_port), self.sender, *sorted(self.to)])
        return "email-" + hashlib.sha256(ident.encode()).hexdigest()[:12]

    @property
    def label(self) -> str:
        """What reports and logs call this channel."""
        return f"email:{self.host}"


class Webhook(BaseModel):
    """One chat or HTTP endpoint, in its platform's message format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: WebhookKind
    url: str
    secret_env: str | None = Field(default=None, description="Environment variable")
    timeout: float = Field(default=20.0, gt=0, le=120)

    _check_env = field_validator("secret_env")(_env_name)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not host:
            raise ValueError("must be an http(s) URL")
        if parts.scheme == "http" and not is_loopback(host):
            raise ValueError("must be https (the URL carries a token)")
        return value.strip()

    @model_validator(mode="after")
    def _secret_kind(self) -> Webhook:
        if self.secret_env and self.kind in ("slack", "discord"):
            raise ValueError(f"secret_env does not apply to {self.kind} (its URL is the secret)")
        return self

    def secret(self) -> str | None:
        """The signing secret, read from the environment when it is needed."""
        return _secret(self.secret_env)

    @property
    def channel_id(self) -> str:
        """A stable, secret-free name for the ledger (the URL hashed)."""
        return f"{self.kind}-" + hashlib.sha256(self.url.encode()).hexdigest()[:12]

    @property
    def label(self) -> str:
        """Kind and host only: the rest of the URL is a secret."""
        return f"{self.kind}:{urlsplit(self.url).hostname}"


class Delivery(BaseModel):
    """Where a feed's daily digest goes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: EmailDelivery | None = None
    webhooks: list[Webhook] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _distinct(self) -> Delivery:
        ids = [w.channel_id for w in self.webhooks]
        if len(ids) != len(set(ids)):
            raise ValueError("the same webhook is listed twice")
        return self
