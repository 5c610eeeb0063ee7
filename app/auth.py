"""Bearer tokens for the owner's routes (the cron refresh, profile changes), and who may see
what a profile holds."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from app.errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from app.config import Settings


def bearer_matches(expected: str | None, authorization: str | None) -> bool:
    """Whether ``authorization`` is ``Bearer <expected>`` (compared in constant time)."""
    if not expected:
        return False
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    )


def check_bearer(expected: str | None, authorization: str | None, *, setting: str) -> None:
    """Allow only ``Authorization: Bearer <expected>`` (compared in constant time)."""
    if not expected:
        raise Forbidden(f"this route is disabled: set {setting} to enable it")
    if not bearer_matches(expected, authorization):
        raise Unauthorized(f"a valid 'Authorization: Bearer <{setting}>' header is required")


def owns_profile(settings: Settings, authorization: str | None, profile: str) -> bool:
    """Whether the request comes from the owner of ``profile``, who may see what its library
    holds (titles); for now the bearer of ``ADMIN_TOKEN`` owns every profile."""
    token = settings.admin_token
    return bearer_matches(token.get_secret_value() if token else None, authorization)
