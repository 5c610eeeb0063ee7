"""What the deployment secret (``feedback_secret``) signs: a key per profile, and feedback links.

A profile's token is ``HMAC-SHA256(secret, "profile-token:" + name)`` (base64url, 43
characters): nothing is stored, every instance derives the same one, and changing the secret
changes them all. A feedback link's signature is ``HMAC-SHA256(secret, "feedback:" + name +
":" + arxiv_id)`` cut to 22 characters (132 bits): it names the profile and the paper, so a link
cannot be turned into feedback for another paper or profile. The two messages never collide
(their prefixes differ), so a link's signature is never a token. Without a secret neither
exists (the functions answer None). Pure functions; compare with ``matches``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.config import Settings

SIGNATURE_CHARS = 22


def secret_of(settings: Settings) -> bytes | None:
    """The deployment secret's bytes, or None when none is set (no tokens, no links)."""
    secret = settings.feedback_secret
    value = secret.get_secret_value() if secret is not None else ""
    return value.encode() if value else None


def _mac(secret: bytes, message: str) -> str:
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def profile_token(secret: bytes | None, name: str) -> str | None:
    """The key of profile ``name`` (None without a secret)."""
    return _mac(secret, f"profile-token:{name}") if secret else None


def feedback_signature(secret: bytes | None, name: str, arxiv_id: str) -> str | None:
    """The signature of feedback on ``arxiv_id`` (version-free) in profile ``name``."""
    return _mac(secret, f"feedback:{name}:{arxiv_id}")[:SIGNATURE_CHARS] if secret else None


def matches(expected: str | None, given: str | None) -> bool:
    """Whether ``given`` is ``expected`` (in constant time; never when either is missing)."""
    return bool(expected and given) and hmac.compare_digest(
        (given or "").encode(), (expected or "").encode()
    )
