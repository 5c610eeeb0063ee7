"""The ASGI app: ``create_app()`` wires settings, services, the error handler and the routers.

``app.main:app`` is what uvicorn, Vercel (``api/index.py``) and Mangum (``app.aws``) run.
Settings are validated when the app starts (lifespan); runtimes that skip lifespan build
everything on the first request instead. Unusable settings leave the app up, answering every
request that needs them with a 500 that names the setting.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import __version__
from app.errors import ArxivFeedsError, ConfigError
from app.http_basics import HTTPBasics, public_prefixes
from app.routes import api, cron, docs, feedback, feeds, opml, papers, profiles, web
from app.wiring import Runtime

if TYPE_CHECKING:
    import httpx

    from app.config import Settings
    from app.store import Store

log = logging.getLogger("app")


def error_response(exc: ArxivFeedsError) -> JSONResponse:
    """The one place an error becomes an HTTP response."""
    if exc.status >= 500 and not isinstance(exc, ConfigError):  # the runtime logs those once
        log.warning("%s: %s", exc.code, exc.message)
    return JSONResponse(exc.to_dict(), status_code=exc.status, headers=exc.headers())


async def _handle_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ArxivFeedsError)
    return error_response(exc)


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = "not_found" if exc.status_code == 404 else "http_error"
    message = f"no such page: {request.url.path}" if exc.status_code == 404 else str(exc.detail)
    hint = "feeds live at /rss, /atom, /rss/{categories}; the API is described at /docs"
    body = {"error": {"code": code, "message": message, "hint": hint}}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    body = {"error": {"code": "invalid_query", "message": "; ".join(problems)}}
    return JSONResponse(body, status_code=422)


def operation_id(route: APIRoute) -> str:
    """An operation's id in the OpenAPI document: its route's name (``rss``, ``rss_for``,
    ``profile_rss``, ``put_profile``), which client generators turn into method names."""
    return route.name


def create_app(
    settings: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
) -> FastAPI:
    """A new app. Tests pass settings, an arXiv transport and a store; production passes none."""
    runtime = Runtime((lambda: settings) if settings else None, transport, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Validates the settings. Unusable ones do not stop the instance: each request then
        # answers 500 naming the setting (serverless platforms would only see a dead process).
        with contextlib.suppress(ConfigError):
            await runtime.services()
        yield
        await runtime.aclose()

    app = FastAPI(
        title="arxiv-feeds",
        version=__version__,
        description="Curated, scored arXiv papers as RSS, Atom and JSON feeds.",
        lifespan=lifespan,
        responses={
            400: {"description": "Host not in allowed_hosts"},
            414: {"description": "Query string over 8 KB"},
        },
        docs_url=None,  # served by app.routes.docs, with local assets
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.runtime = runtime
    app.router.redirect_slashes = False  # HTTPBasics redirects, with a relative Location

    async def allowed_hosts() -> list[str]:
        try:
            services = await runtime.services()
        except ConfigError:  # the routes answer it, as JSON naming the setting
            return []
        return [h.lower() for h in services.settings.allowed_hosts]

    app.add_middleware(
        HTTPBasics,
        on_error=error_response,
        allowed_hosts=allowed_hosts,
        public=public_prefixes(),  # every format registered by now, like the routes
    )
    app.add_exception_handler(ArxivFeedsError, _handle_error)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.include_router(feeds.router())  # every format registered by now (app.render.formats)
    app.include_router(opml.router)
    app.include_router(api.router)
    app.include_router(papers.router)
    app.include_router(cron.router)
    app.include_router(profiles.router())
    app.include_router(feedback.router)
    app.include_router(web.router)
    app.include_router(docs.router)
    return app


app = create_app()
