"""The public address a deployment declares (pure, but for reading the environment)."""

from __future__ import annotations

import os


def canonical_base(public_url: str | None) -> str | None:
    """The address the deployment declares: ``public_url``, else Vercel's production host
    (``VERCEL_PROJECT_PRODUCTION_URL``), else the deployment's (``VERCEL_URL``)."""
    if public_url:
        return public_url.rstrip("/")
    for name in ("VERCEL_PROJECT_PRODUCTION_URL", "VERCEL_URL"):
        host = os.environ.get(name, "").strip().strip("/")
        if host:
            return host if "://" in host else f"https://{host}"
    return None
