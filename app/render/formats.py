"""The output formats of a ranked feed, in one ordered registry (RSS, Atom, JSON Feed, the digest).

A ``Format`` says everything the service needs to offer it: its key, the URL segment it is served
at (``/<path>`` for the configured feed, ``/<path>/{categories}`` when ``per_category``,
``/p/{name}/<path>`` for a profile), its media type, its names and its renderer. The routes
(``app.routes.feeds``, ``app.routes.profiles``), their OpenAPI description, the reading page's
subscribe box, the feed builder, the digest's links, ``/api/profiles``, CORS and the Lambda
handler all read ``FORMATS``; a format registered before ``create_app()`` is served by that app
everywhere.

Feeds (``feed=True``) are what a reader polls; the Markdown digest is a document laid out by the
``digest_template``, linking the feeds of the same papers (``FeedMeta.feeds``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from app.models import RankedFeed
from app.render.feeds import FeedMeta, render_atom, render_rss
from app.render.jsonfeed import MEDIA_TYPE as JSON_FEED
from app.render.jsonfeed import JSONFeed, render_json_feed
from app.render.markdown import DigestMeta, render_digest

Renderer = Callable[[RankedFeed, FeedMeta], bytes]


@dataclass(frozen=True, slots=True)
class Format:
    """One output format.

    ``key`` names it (the builder's ``?format=``, ``/api/profiles``' feeds, cache keys); ``path``
    is its URL segment (``feed.json``); ``media_type`` its Content-Type. ``label`` is its name on
    the page, in the builder and in the digest, ``short`` its name in the subscribe box (default:
    ``label``); ``description`` is what the API documentation calls it ("The configured feed as
    RSS 2.0"); ``schema`` the body's model, documented in OpenAPI. ``per_category``: also served
    at ``/<path>/{categories}``. ``feed``: a feed readers poll; else a document laid out by the
    ``digest_template`` (``app.serving.serve_format`` serves both).
    """

    key: str
    path: str
    media_type: str
    label: str
    render: Renderer
    description: str
    short: str = ""
    per_category: bool = True
    feed: bool = True
    schema: type[BaseModel] | None = None

    def __post_init__(self) -> None:
        if not self.path or "/" in self.path or "{" in self.path:
            raise ValueError(f"a format's path is one URL segment, not {self.path!r}")
        if not self.short:
            object.__setattr__(self, "short", self.label)

    @property
    def mime(self) -> str:
        """The media type without its parameters (``application/rss+xml``)."""
        return self.media_type.split(";", 1)[0].strip()


def _render_digest(feed: RankedFeed, meta: FeedMeta) -> bytes:
    digest = DigestMeta(
        title=meta.title, base_url=meta.base_url, feeds=meta.feeds, template=meta.template
    )
    return render_digest(feed, digest).encode("utf-8")


RSS = Format("rss", "rss", "application/rss+xml; charset=utf-8", "RSS", render_rss, "RSS 2.0")
ATOM = Format(
    "atom", "atom", "application/atom+xml; charset=utf-8", "Atom", render_atom, "Atom 1.0"
)
JSON = Format(
    "json", "feed.json", JSON_FEED, "JSON Feed", render_json_feed, "JSON Feed 1.1", short="JSON",
    schema=JSONFeed,
)  # fmt: skip
DIGEST = Format(
    "digest", "digest.md", "text/markdown; charset=utf-8", "Markdown digest", _render_digest,
    "a Markdown digest (the older bot's README format)", per_category=False, feed=False,
)  # fmt: skip

FORMATS: dict[str, Format] = {}  # by key, in the order they are offered


def register(fmt: Format) -> None:
    """Offer ``fmt`` (after those registered already) in every app created from now on."""
    for known in FORMATS.values():
        if fmt.key == known.key or fmt.path == known.path:
            raise ValueError(f"format {fmt.key!r} at /{fmt.path} clashes with {known.key!r}")
    FORMATS[fmt.key] = fmt


def unregister(key: str) -> None:
    """Stop offering the format ``key`` in apps created from now on."""
    del FORMATS[key]


for builtin in (RSS, ATOM, JSON, DIGEST):
    register(builtin)


def feeds() -> list[Format]:
    """The formats a reader subscribes to, in order."""
    return [f for f in FORMATS.values() if f.feed]


def feed_paths(prefix: str = "") -> dict[str, str]:
    """Each feed's path by key: ``{"rss": "/rss", ...}``, or under ``prefix`` (``/p/ml``)."""
    return {f.key: f"{prefix}/{f.path}" for f in feeds()}


def feed_links(prefix: str = "") -> tuple[tuple[str, str], ...]:
    """(label, path) of each feed, under ``prefix``: what the digest links."""
    return tuple((f.label, f"{prefix}/{f.path}") for f in feeds())


def document_links(prefix: str = "") -> tuple[tuple[str, str], ...]:
    """(label, path) of each format that is not a feed (the digest), under ``prefix``."""
    return tuple((f.label, f"{prefix}/{f.path}") for f in FORMATS.values() if not f.feed)
