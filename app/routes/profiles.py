"""Profiles: ``/p/{name}/<format>`` for every registered format (``/p/{name}/rss``, ``/atom``,
``/feed.json``, ``/digest.md``), its reading page ``/p/{name}/``; ``/api/profiles`` (list);
``GET`` (with its feedback), ``PUT``, ``PATCH`` and ``DELETE /api/profiles/{name}`` (Bearer
``ADMIN_TOKEN`` or the profile's own token, ``app.auth.owns_profile``); its token
``GET /api/profiles/{name}/token`` (``ADMIN_TOKEN`` only).

A profile's feeds take the same query parameters as any feed; with an override they rank
for that request only and spend no LLM money. ``router()`` makes the routes when the app is
created, one per format registered then.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from app.auth import check_bearer, check_owner, is_admin
from app.delivery.addresses import private_webhooks, refusal
from app.errors import Forbidden, InvalidQuery, PayloadTooLarge
from app.profiles.feedback import Judgement
from app.profiles.model import Profile
from app.profiles.registry import ProfileFeed
from app.profiles.synced import SyncStatus
from app.profiles.tokens import profile_token, secret_of
from app.redaction import validation_problems
from app.render.formats import FORMATS, Format, document_links, feed_paths
from app.serving import base_url, format_route, serve_format, serve_page
from app.wiring import Services, ServicesDep, get_services

api = APIRouter()  # included by router(), which tags them all

MAX_BODY = 6 * 1024 * 1024  # a library file of up to 5 MB, with room for its envelope
ADMIN: dict[int | str, dict[str, object]] = {
    401: {"description": "Missing or wrong `Authorization: Bearer <ADMIN_TOKEN or its token>`"},
    403: {"description": "Another profile's token, or profile changes disabled"},
    404: {"description": "No such profile"},
    413: {"description": "Body over the limit"},
    422: {"description": "Unparseable profile or library (names the entry or line)"},
}


class ProfileOut(BaseModel):
    """A profile and its feeds."""

    name: str
    title: str
    source: str = Field(description="config: config.json; store: set through the API")
    categories: list[str]
    keywords: list[str]
    authors: list[str]
    library_entries: int
    likes: int
    dislikes: int
    feeds: dict[str, str] = Field(description="Feed URLs by format, and the reading page")
    zotero: SyncStatus | None = Field(
        default=None, description="Its Zotero library's last sync (null: it names none)"
    )


async def profile_out(services: Services, feed: ProfileFeed, base: str) -> ProfileOut:
    """How ``/api/profiles`` shows one profile."""
    prefix = f"{base}/p/{feed.name}"
    query = feed.query
    return ProfileOut(
        name=feed.name,
        title=feed.title(services.settings),
        source=feed.source,
        categories=list(query.categories),
        keywords=list(query.keywords),
        authors=list(query.authors),
        library_entries=len(feed.library),
        likes=len(query.like),
        dislikes=len(query.dislike),
        feeds={f.key: f"{prefix}/{f.path}" for f in FORMATS.values()} | {"page": f"{prefix}/"},
        zotero=await services.profiles.zotero_status(feed),
    )


class ProfileDetail(ProfileOut):
    """A profile as its owner sees it: with its feedback, oldest first."""

    feedback: list[Judgement] = Field(description="'More/less like this', the last 1,000")


class ProfileToken(BaseModel):
    """A profile's own token: it may change that profile (PUT, PATCH, DELETE) and no other."""

    token: str


def router() -> APIRouter:
    """A route per format registered now, then the page and ``/api/profiles``."""
    out = APIRouter(tags=["profiles"])
    for fmt in FORMATS.values():
        out.add_api_route(
            f"/p/{{name}}/{fmt.path}",
            _profile_format(fmt),
            name=f"profile_{fmt.key}",
            summary=f"Profile {fmt.label}",
            description=f"A profile's feed as {fmt.description}.",
            **format_route(fmt, "No such profile"),
        )
    out.include_router(api)
    return out


def _profile_format(fmt: Format) -> Callable[[str, Request], Awaitable[Response]]:
    key = fmt.key

    async def profile_format(name: str, request: Request) -> Response:
        services = await get_services(request)
        profile = await services.profiles.get(name)
        title = profile.title(services.settings)
        prefix = f"/p/{name}"
        return await serve_format(key, request, profile=profile, title=title, prefix=prefix)

    return profile_format


@api.get("/p/{name}/", response_class=HTMLResponse, include_in_schema=False)
async def profile_page(name: str, request: Request, services: ServicesDep) -> Response:
    """A profile's reading page."""
    profile = await services.profiles.get(name)
    prefix = f"/p/{name}"
    paths = feed_paths(prefix)
    links = (*document_links(prefix), ("All feeds (home)", "/"))
    title = profile.title(services.settings)
    return await serve_page(
        request, services, title, profile=profile, feed_paths=paths, links=links
    )


@api.get("/api/profiles", response_model=list[ProfileOut])
async def list_profiles(request: Request, services: ServicesDep) -> list[ProfileOut]:
    """Every profile with its feed URLs."""
    base = base_url(request, services.settings.public_url)
    return [await profile_out(services, p, base) for p in await services.profiles.all()]


@api.put("/api/profiles/{name}", response_model=ProfileOut, responses=ADMIN)
async def put_profile(
    name: str,
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    content_type: Annotated[str | None, Header()] = None,
) -> ProfileOut:
    """Create or replace a profile: a JSON profile, or a library file with its content type
    (BibTeX, RIS, CSL-JSON, Zotero CSV or a list of ids), which replaces the library only."""
    await _owner(services, authorization, name)
    from app.profiles.library import parse_library
    from app.profiles.model import check_name

    try:
        check_name(name)
    except ValueError as exc:
        raise InvalidQuery(str(exc)) from None
    body = await _body(request)
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime == "application/json":
        try:
            profile = Profile.model_validate_json(body)
        except ValidationError as exc:
            raise InvalidQuery(_problems(exc)) from None
        saved = await _save(services, name, profile)
    else:
        # a few thousand BibTeX entries take seconds to parse: off the event loop
        library = await asyncio.to_thread(parse_library, body, content_type=mime)
        saved = await services.profiles.put(name, None, library)
    return await profile_out(services, saved, base_url(request, services.settings.public_url))


@api.delete("/api/profiles/{name}", status_code=204, responses=ADMIN | {409: {}})
async def delete_profile(
    name: str, services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """Delete a stored profile (one defined in ``config.json`` stays)."""
    await _owner(services, authorization, name)
    await services.profiles.delete(name)
    return Response(status_code=204)


@api.patch("/api/profiles/{name}", response_model=ProfileOut, responses=ADMIN)
async def patch_profile(
    name: str,
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> ProfileOut:
    """Change some settings of a profile (a JSON object of them); the rest stay as they are."""
    await _owner(services, authorization, name)
    current = await services.profiles.get(name)
    try:
        change = json.loads(await _body(request))
        if not isinstance(change, dict):
            raise InvalidQuery("send a JSON object of the settings to change")
        kept = current.profile.model_dump(exclude_unset=True, exclude={"library"})
        profile = Profile.model_validate(kept | change)
    except ValidationError as exc:
        raise InvalidQuery(_problems(exc)) from None
    except ValueError as exc:
        raise InvalidQuery(f"the body is not JSON: {exc}") from None
    saved = await _save(services, name, profile)
    return await profile_out(services, saved, base_url(request, services.settings.public_url))


@api.get("/api/profiles/{name}", response_model=ProfileDetail, responses=ADMIN)
async def get_profile(
    name: str,
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> ProfileDetail:
    """A profile with its feedback (its owner's token or ``ADMIN_TOKEN``)."""
    await _owner(services, authorization, name)
    feed = await services.profiles.get(name)
    out = await profile_out(services, feed, base_url(request, services.settings.public_url))
    judged = await services.profiles.feedback.judgements(name)
    return ProfileDetail(**out.model_dump(), feedback=list(judged))


@api.get("/api/profiles/{name}/token", response_model=ProfileToken, responses=ADMIN)
async def get_profile_token(
    name: str, services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> ProfileToken:
    """The profile's own token (``ADMIN_TOKEN`` only); it changes with ``FEEDBACK_SECRET``."""
    settings = services.settings
    admin = settings.admin_token
    check_bearer(admin.get_secret_value() if admin else None, authorization, setting="ADMIN_TOKEN")
    token = profile_token(secret_of(settings), (await services.profiles.get(name)).name)
    if token is None:
        raise Forbidden("profiles have no tokens: set FEEDBACK_SECRET to give each one")
    return ProfileToken(token=token)


async def _owner(services: Services, authorization: str | None, name: str) -> None:
    """Allow the bearer of ``ADMIN_TOKEN``, or of the token of ``name`` if it exists."""
    settings = services.settings
    names = await services.profiles.names()
    check_owner(settings, authorization, name, names)
    if name not in names and not is_admin(settings, authorization):
        await services.profiles.get(name)  # a profile's token never makes a profile: 404


async def _save(services: Services, name: str, profile: Profile) -> ProfileFeed:
    hooks = private_webhooks(profile.delivery)
    if hooks and not services.settings.delivery_allow_private:
        raise InvalidQuery(f"delivery: {refusal(hooks)}")
    return await services.profiles.put(name, profile, None)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(f"the body is {int(declared):,} bytes; at most {MAX_BODY:,}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise PayloadTooLarge(f"the body is over {MAX_BODY:,} bytes")
    if not body.strip():
        raise InvalidQuery("the body is empty: send a JSON profile or a library file")
    return body


def _problems(exc: ValidationError) -> str:
    return "; ".join(validation_problems(exc.errors(), "profile"))
