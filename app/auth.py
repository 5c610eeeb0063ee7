"""Bearer tokens for the owner's routes (the cron refresh, profile changes), and who may see
what a profile holds.

``owns_profile`` is the one place that decides who owns a profile: the bearer of
``ADMIN_TOKEN`` owns every profile; the bearer of a profile's own token
(``app.profiles.tokens``, derived from ``feedback_secret``) owns that profile and no other.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING

from app.errors import Forbidden, Unauthorized
from app.profiles.tokens import matches, profile_token, secret_of

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


def is_admin(settings: Settings, authorization: str | None) -> bool:
    """Whether the request bears ``ADMIN_TOKEN``."""
    token = settings.admin_token
    return bearer_matches(token.get_secret_value() if token else None, authorization)


def owns_profile(settings: Settings, authorization: str | None, profile: str) -> bool:
    """Whether the request comes from the owner of ``profile``: the bearer of ``ADMIN_TOKEN``
    or of the profile's own token."""
    own = profile_token(secret_of(settings), profile)
    return is_admin(settings, authorization) or bearer_matches(own, authorization)


def check_owner(
    settings: Settings, authorization: str | None, profile: str, others: Iterable[str]
) -> None:
    """Allow only the owner of ``profile`` (``owns_profile``): without a token a 401; with
    the token of another profile (one of ``others``) a 403; with any other token a 401."""
    if owns_profile(settings, authorization, profile):
        return
    admin, secret = settings.admin_token, secret_of(settings)
    if not (admin and admin.get_secret_value()) and secret is None:
        raise Forbidden("profile changes are disabled: set ADMIN_TOKEN (or FEEDBACK_SECRET)")
    scheme, _, given = (authorization or "").partition(" ")
    given = given.strip() if scheme.lower() == "bearer" else ""
    if given and any(matches(profile_token(secret, n), given) for n in others if n != profile):
        raise Forbidden(f"this token is another profile's: it may change that one, not {profile!r}")
    raise Unauthorized(
        "a valid 'Authorization: Bearer <ADMIN_TOKEN or the profile's token>' header is required"
    )
