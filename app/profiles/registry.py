"""The profiles of this deployment: those in ``config.json`` and those kept in the store.

Profiles from the configuration are loaded at start (their library files parsed then, so a
broken file stops start-up with the entry at fault). ``PUT /api/profiles/{name}`` keeps a
profile in the store (``profile:<name>``, with its parsed library) where every instance finds
it: that is how a serverless deployment changes a library without a commit. A stored profile
takes precedence over a configured one of the same name; deleting it brings that one back.
A profile with a ``zotero`` source has its library file's entries (if any) and then its synced
Zotero entries (``app.profiles.synced``) as its ``library``: a served profile with no copy yet
syncs it first; listing profiles never does.

A profile as found carries its feedback (``app.profiles.feedback``): its query counts the
reader's "more like this" as likes and "less like this" as dislikes, and leaves the latter out.

``owner_categories()`` are the categories of every feed the owner defined (the configured feed
and each profile, configured or stored), as every instance reads them from the store: the
catalog fetches them without drawing on the strangers' budget.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ValidationError

from app.errors import ConfigError, Conflict, InvalidQuery, UnknownProfile
from app.models import FeedQuery
from app.profiles.feedback import FeedbackBook, Judgement, merge
from app.profiles.model import Profile, check_name
from app.profiles.synced import SyncStatus, ZoteroLibraries, merged
from app.redaction import validation_problems

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.config import Settings
    from app.profiles.library import LibraryEntry
    from app.store.base import Store

log = logging.getLogger(__name__)

INDEX = "profiles"
RELOAD = 30.0  # seconds a stored profile is trusted before reading it again
OWNER_RECHECK = 5.0  # seconds the owner's categories are trusted before gathering them again


@dataclass(frozen=True)
class ProfileFeed:
    """A profile, resolved: its query and its library."""

    name: str
    profile: Profile
    query: FeedQuery
    library: tuple[LibraryEntry, ...]
    source: Literal["config", "store"]

    def title(self, settings: Settings) -> str:
        """The feed's title: the profile's own, else the deployment's with the name."""
        return self.profile.title or f"{settings.feed_title}: {self.name}"


class Stored(BaseModel):
    """A profile as kept in the store."""

    profile: Profile
    library: list[dict[str, object]] = []


def load_library(settings: Settings, profile: Profile) -> tuple[LibraryEntry, ...]:
    """The entries of the profile's ``library`` file (relative to the config file)."""
    if profile.library is None:
        return ()
    from app.profiles.library import parse_library

    path = Path(profile.library)
    if not path.is_absolute():
        path = settings.config_file.parent / path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"library {str(path)!r} cannot be read: {exc.strerror}") from exc
    try:
        return tuple(parse_library(data, filename=path.name))
    except InvalidQuery as exc:
        raise ConfigError(f"library {str(path)!r}: {exc.message}", hint=exc.hint) from exc


class ProfileRegistry:
    """Finds, lists, stores and deletes profiles."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.clock = time.monotonic
        self.configured = {
            name: ProfileFeed(
                name, p, resolve(name, p, settings), load_library(settings, p), "config"
            )
            for name, p in settings.profiles.items()
        }
        self._stored: dict[str, tuple[ProfileFeed | None, float]] = {}
        self._raw: dict[str, bytes] = {}  # as last read: unchanged bytes keep the same object
        self._index: tuple[list[str], float] | None = None
        self._owner: tuple[frozenset[str], float] | None = None
        self.feedback = FeedbackBook(store, lambda: self.clock())
        self.zotero = ZoteroLibraries(settings, store)
        # by name: (the profile as defined, its Zotero copy's stamp, the two merged)
        self._merged: dict[str, tuple[ProfileFeed, object, ProfileFeed]] = {}
        # by name: (the profile with its library, its judgements, the two merged)
        self._judged: dict[str, tuple[ProfileFeed, tuple[Judgement, ...], ProfileFeed]] = {}

    async def names(self) -> list[str]:
        """Every profile's name, sorted."""
        return sorted(set(self.configured) | set(await self._stored_names()))

    async def all(self) -> list[ProfileFeed]:
        """Every profile (with the Zotero copies held: none is synced for a listing)."""
        return [await self.get(name, sync=False) for name in await self.names()]

    async def find(self, name: str, *, sync: bool = True) -> ProfileFeed | None:
        """The profile called ``name`` with its Zotero library and its readers' feedback, or
        None; ``sync``: a Zotero library with no copy yet is synced now."""
        defined = await self._synced(name, sync=sync)
        if defined is None:
            return None
        judged = await self.feedback.judgements(name)
        if not judged:
            return defined
        held = self._judged.get(name)
        if held is not None and held[0] is defined and held[1] is judged:
            return held[2]  # the same object while nothing changed: its scorer is kept
        feed = replace(defined, query=merge(defined.query, judged))
        self._judged[name] = (defined, judged, feed)
        return feed

    async def _synced(self, name: str, *, sync: bool) -> ProfileFeed | None:
        """The profile as defined, the entries of its Zotero copy (if any) in its library."""
        base = await self._base(name)
        if base is None or base.profile.zotero is None:
            return base
        copy = await self.zotero.copy(name, base.profile.zotero, sync=sync)
        if copy is None or not copy.entries:
            return base
        stamp = (copy.library, tuple(copy.collections), copy.version or copy.last_sync)
        held = self._merged.get(name)
        if held is not None and held[0] is base and held[1] == stamp:
            return held[2]  # the same feed object: its similarity scorer is kept
        feed = replace(base, library=merged(base.library, copy))
        self._merged[name] = (base, stamp, feed)
        return feed

    async def get(self, name: str, *, sync: bool = True) -> ProfileFeed:
        """The profile called ``name``; a 404 naming the close ones when there is none."""
        found = await self.find(name, sync=sync) if len(name) <= 40 else None
        if found is None:
            near = get_close_matches(name[:40], await self.names(), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(near)}? " if near else ""
            raise UnknownProfile(
                f"no profile {name[:40]!r}", hint=hint + "GET /api/profiles lists the profiles"
            )
        return found

    async def owner_categories(self) -> frozenset[str]:
        """The categories of the configured feed and of every profile, stored ones included."""
        if self._owner is not None and self.clock() - self._owner[1] < OWNER_RECHECK:
            return self._owner[0]
        cats = set(self.settings.categories)
        for name in await self.names():
            found = await self._base(name)
            if found is not None:
                cats.update(found.query.categories)
        self._owner = (frozenset(cats), self.clock())
        return self._owner[0]

    async def put(
        self, name: str, profile: Profile | None, library: list[LibraryEntry] | None
    ) -> ProfileFeed:
        """Create or replace a stored profile (``None`` keeps what is stored of that part)."""
        check_name(name)
        old = await self._load(name)
        names = await self._stored_names(fresh=True)  # rewritten below: never a stale copy
        if old is None and name not in names and len(names) >= self.settings.max_profiles:
            raise InvalidQuery(
                f"at most {self.settings.max_profiles} stored profiles; delete one first"
            )
        base = old or self.configured.get(name)
        profile = profile or (base.profile if base else Profile())
        if profile.library is not None:
            raise InvalidQuery(
                "library: a path means nothing to the API",
                hint="PUT the library file itself, with its content type "
                "(e.g. application/x-bibtex)",
            )
        if library is None:
            library = list(base.library) if base else []
        stored = Stored(profile=profile, library=[e.model_dump() for e in library])
        await self.store.set(f"profile:{name}", stored.model_dump_json().encode())
        await self.store.set(INDEX, json.dumps(sorted({*names, name})).encode())
        feed = ProfileFeed(
            name, profile, resolve(name, profile, self.settings), tuple(library), "store"
        )
        self._stored[name] = (feed, self.clock())
        self._index = (sorted({*names, name}), self.clock())
        self._owner = None
        return feed

    async def delete(self, name: str) -> None:
        """Forget a stored profile; a profile only in ``config.json`` cannot be deleted here."""
        names = await self._stored_names(fresh=True)
        if name not in names:
            if name in self.configured:
                raise Conflict(
                    f"profile {name!r} is defined in config.json", hint="remove it there"
                )
            await self.get(name)  # the usual 404
        await self.store.delete(f"profile:{name}")
        if name not in self.configured:  # else its feedback stays with the configured one
            await self.feedback.forget(name)
        await self.zotero.forget(name)
        rest = [n for n in names if n != name]
        await self.store.set(INDEX, json.dumps(rest).encode())
        self._stored[name] = (None, self.clock())
        self._index = (rest, self.clock())
        self._owner = None

    async def sync_zotero(
        self, until: float, names: Sequence[str] | None = None
    ) -> dict[str, SyncStatus]:
        """Sync every profile's Zotero library (the daily refresh; or those of ``names``)
        before ``until`` (a ``time.monotonic()`` reading); a failure keeps the last good copy,
        and one not tried for lack of time keeps it too. Each such profile's status."""
        from app.profiles.synced import REFRESH_SYNC

        out: dict[str, SyncStatus] = {}
        for name in await self.names() if names is None else names:
            base = await self._base(name)
            source = base.profile.zotero if base is not None else None
            if source is None:
                continue
            left = min(REFRESH_SYNC, until - time.monotonic())
            if left >= 1.0:
                out[name] = (await self.zotero.sync(name, source, within=left)).status()
            else:
                out[name] = await self.zotero.status(name, source)
        return out

    async def zotero_status(self, feed: ProfileFeed) -> SyncStatus | None:
        """How the profile's Zotero library was last synced (None: it names none)."""
        source = feed.profile.zotero
        return None if source is None else await self.zotero.status(feed.name, source)

    async def _base(self, name: str) -> ProfileFeed | None:
        """The profile as defined, its library file's entries only."""
        return await self._load(name) or self.configured.get(name)

    async def _stored_names(self, *, fresh: bool = False) -> list[str]:
        if not fresh and self._index is not None and self.clock() - self._index[1] < RELOAD:
            return self._index[0]
        raw = await self.store.get(INDEX)
        try:
            names = [n for n in json.loads(raw) if isinstance(n, str)] if raw else []
        except ValueError:
            names = []
        self._index = (names, self.clock())
        return names

    async def _load(self, name: str) -> ProfileFeed | None:
        held = self._stored.get(name)
        if held is not None and self.clock() - held[1] < RELOAD:
            return held[0]
        if name not in await self._stored_names():
            return None
        raw = await self.store.get(f"profile:{name}")
        feed = None
        if (
            raw is not None
            and held is not None
            and held[0] is not None
            and self._raw.get(name) == raw
        ):
            feed = held[0]  # unchanged: the same profile, so its scorer is kept
        elif raw is not None:
            self._raw[name] = raw
            try:
                feed = self._from_store(name, Stored.model_validate_json(raw))
            except ValidationError as exc:
                why = validation_problems(exc.errors()[:1], "profile")  # no secret values
                log.warning("ignoring unreadable stored profile %s: %s", name, why[0])
        self._stored[name] = (feed, self.clock())
        return feed

    def _from_store(self, name: str, stored: Stored) -> ProfileFeed:
        from app.profiles.library import LibraryEntry

        library = tuple(LibraryEntry.model_validate(e) for e in stored.library)
        query = resolve(name, stored.profile, self.settings)
        return ProfileFeed(name, stored.profile, query, library, "store")


def resolve(name: str, profile: Profile, settings: Settings) -> FeedQuery:
    """The profile's feed: its own settings, the top level's for the rest."""
    keywords = settings.keywords if profile.keywords is None else profile.keywords
    exclude = (
        settings.exclude_keywords if profile.exclude_keywords is None else profile.exclude_keywords
    )
    return FeedQuery(
        categories=tuple(profile.categories or settings.categories),
        keywords=tuple(keywords),
        exclude=tuple(exclude),
        types=frozenset(profile.announce_types or settings.announce_types),
        min_score=settings.min_score if profile.min_score is None else profile.min_score,
        limit=profile.max_papers or settings.max_papers,
        days_back=profile.days_back or settings.days_back,
        weights=settings.weights(similarity_weight=profile.similarity_weight),
        profile=name,
        like=tuple(profile.like),
        dislike=tuple(profile.dislike),
        authors=tuple(profile.authors),
        min_similarity=profile.min_similarity,
    )
