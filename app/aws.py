"""AWS Lambda entry point: ``app.aws.handler`` serves the app behind API Gateway or an ALB.

Mangum translates API Gateway REST (v1), HTTP API (v2) and ALB events to ASGI. Its lifespan
support would start and stop the app around every invocation, rebuilding the clients, store and
caches each time; so lifespan is off, and the services are built on the first request and kept
for as long as Lambda keeps the instance. The handler is built lazily, so ``import app.aws``
stays as cheap as ``import app.main``. On Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set) the SQLite
store defaults to ``/tmp``, the only writable place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.main import app

if TYPE_CHECKING:
    from fastapi import FastAPI


def make_handler(asgi_app: FastAPI) -> Any:
    """A Lambda handler for ``asgi_app``; its services outlive each invocation."""
    from mangum import Mangum
    from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

    from app.render.formats import FORMATS

    formats = [f.mime for f in FORMATS.values()]  # text, so the bodies are not base64-encoded
    return Mangum(asgi_app, lifespan="off", text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, *formats])


_handler: Any = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function Lambda calls."""
    global _handler
    if _handler is None:
        _handler = make_handler(app)
    result: dict[str, Any] = _handler(event, context)
    return result
