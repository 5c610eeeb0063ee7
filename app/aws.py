"""AWS Lambda entry point: ``app.aws.handler`` serves the app behind API Gateway or an ALB.

Mangum translates API Gateway REST (v1), HTTP API (v2) and ALB events to ASGI. The handler is
built lazily, so ``import app.aws`` stays as cheap as ``import app.main``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.main import app

if TYPE_CHECKING:
    from fastapi import FastAPI


def make_handler(asgi_app: FastAPI) -> Any:
    """A Lambda handler for ``asgi_app`` (lifespan runs on the first invocation)."""
    from mangum import Mangum
    from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

    feeds = ["application/rss+xml", "application/atom+xml", "application/feed+json"]
    return Mangum(asgi_app, lifespan="auto", text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, *feeds])


_handler: Any = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function Lambda calls."""
    global _handler
    if _handler is None:
        _handler = make_handler(app)
    result: dict[str, Any] = _handler(event, context)
    return result
