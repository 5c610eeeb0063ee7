"""Every registered format (``app.render.formats``) of the configured feed and per category:
``/rss``, ``/atom``, ``/feed.json``, ``/digest.md``, and ``/rss/{categories}``,
``/atom/{categories}``, ``/feed.json/{categories}``.

The routes are made by ``router()`` when the app is created, one or two per format.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response

from app.render.formats import FORMATS, Format
from app.serving import format_route, serve_format


def router() -> APIRouter:
    """The routes of the formats registered now."""
    out = APIRouter(tags=["feeds"])
    for fmt in FORMATS.values():
        out.add_api_route(
            f"/{fmt.path}",
            _configured(fmt),
            name=fmt.key,
            summary=fmt.label,
            description=f"The configured feed as {fmt.description}.",
            **format_route(fmt, "A configured category the bundled sample does not hold"),
        )
        if fmt.per_category:
            out.add_api_route(
                f"/{fmt.path}/{{categories}}",
                _per_category(fmt),
                name=f"{fmt.key}_for",
                summary=f"{fmt.label} by category",
                description=f"{_capital(fmt.description)} for one category or several "
                "joined with ``+``.",
                **format_route(
                    fmt, "Unknown arXiv category, or one the bundled sample does not hold"
                ),
            )
    return out


def _configured(fmt: Format) -> Callable[[Request], Awaitable[Response]]:
    key = fmt.key

    async def configured(request: Request) -> Response:
        return await serve_format(key, request)

    return configured


def _per_category(fmt: Format) -> Callable[[str, Request], Awaitable[Response]]:
    key = fmt.key

    async def per_category(categories: str, request: Request) -> Response:
        return await serve_format(key, request, categories)

    return per_category


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
