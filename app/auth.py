"""Bearer tokens for the owner's routes (the cron refresh, profile changes)."""

from __future__ import annotations

import hmac

from app.errors import Forbidden, Unauthorized


def check_bearer(expected: str | None, authorization: str | None, *, setting: str) -> None:
    """Allow only ``Authorization: Bearer <expected>`` (compared in constant time)."""
    if not expected:
        raise Forbidden(f"this route is disabled: set {setting} to enable it")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected.encode()
    ):
        raise Unauthorized(f"a valid 'Authorization: Bearer <{setting}>' header is required")
