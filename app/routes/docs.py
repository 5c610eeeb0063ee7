"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), with their assets served by this service.

The JavaScript and CSS come from the ``fastapi-offline`` package (which ships Swagger UI and
ReDoc builds), not from a CDN, so the pages work offline and under a Content-Security-Policy
that allows scripts only from this origin (plus Swagger UI's one inline start-up script, by
its hash). Styles may be inline: both bundles inject their own ``<style>`` elements.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from app.errors import NotFound

router = APIRouter(include_in_schema=False)

ASSETS = "/docs/assets"
MEDIA = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
ASSET_CACHE = "public, max-age=86400"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def csp(script_hashes: list[str]) -> str:
    """The documentation pages' policy: scripts from here (and listed inline ones) only."""
    scripts = " ".join(["'self'", *script_hashes])
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@cache
def asset_dir() -> Path:
    """Where ``fastapi-offline`` keeps its static files (found without importing it)."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise NotFound("the API documentation assets are not installed (fastapi-offline)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def _page(html: str) -> HTMLResponse:
    hashes = [_hash(s) for s in _INLINE_SCRIPT.findall(html)]
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": csp(hashes),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for ``/openapi.json``."""
    from fastapi.openapi.docs import get_swagger_ui_html

    html = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{request.app.title} - API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
        swagger_ui_parameters={"validatorUrl": None},
    )
    return _page(bytes(html.body).decode())


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    """ReDoc for ``/openapi.json``."""
    from fastapi.openapi.docs import get_redoc_html

    html = get_redoc_html(
        openapi_url="/openapi.json",
        title=f"{request.app.title} - API",
        redoc_js_url=f"{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS}/favicon.png",
        with_google_fonts=False,
    )
    return _page(bytes(html.body).decode())


@router.get(ASSETS + "/{name}")
async def asset(name: str) -> Response:
    """One of the documentation pages' files."""
    media = MEDIA.get(name)
    if media is None:
        raise NotFound(f"no documentation asset {name[:40]!r}")
    return FileResponse(
        asset_dir() / name,
        media_type=media,
        headers={"Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"},
    )
