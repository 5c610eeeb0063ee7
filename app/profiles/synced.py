"""Profiles' Zotero libraries, synced into the store: the last good copy of each, and how
its last sync went.

A profile with a ``zotero`` source (``app.profiles.model.ZoteroSource``) has its copy under
``zotero:<profile>`` (durable, see ``app.store.keys``): the entries, the library's version,
when Zotero last answered, how many items, and the last error. ``copy`` is what a request
reads: the held copy, or on the first read of a profile with none, a sync then (bounded by
``FIRST_SYNC`` seconds; a failed one is not tried again by requests for ``RETRY`` seconds, so
a wrong key costs Zotero one request in that time however many readers come). ``sync`` is
what the daily refresh runs for each such profile: it always asks Zotero again, with
``If-Modified-Since-Version``, so an unchanged library costs one ``304``. A failure keeps the
last good entries and records the error; a wait Zotero asks for (``Retry-After``/``Backoff``)
is recorded too, and no sync asks before it is over.

The key is read from the environment variable the profile names, at each sync; it is sent
only to ``zotero_api_url`` (``app.profiles.zotero``) and appears in no copy, status, message
or log line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, ValidationError

from app.errors import LibrarySyncError, StoreUnavailable
from app.profiles.entries import LibraryEntry
from app.profiles.model import ZoteroSource

if TYPE_CHECKING:
    import httpx

    from app.config import Settings
    from app.store.base import Store

log = logging.getLogger(__name__)

PREFIX = "zotero:"
FIRST_SYNC = 15.0  # seconds a request may spend syncing a profile that has no copy yet
REFRESH_SYNC = 30.0  # seconds the daily refresh may spend on one profile's library
RETRY = 900.0  # seconds before a request tries again a first sync that failed
RELOAD = 30.0  # seconds a copy read from the store is trusted before reading it again


class SyncStatus(BaseModel):
    """How a profile's Zotero library was last synced (``GET /api/profiles``)."""

    library: str = Field(description="users/<id> or groups/<id>")
    collections: list[str] = Field(default_factory=list)
    last_sync: datetime | None = Field(description="When Zotero last answered (null: never)")
    items: int = Field(description="Entries held from the library")
    version: int | None = Field(description="The library's version when last read")
    error: str | None = Field(description="Why the last sync failed (null: it did not)")
    truncated: bool = Field(default=False, description="Only the newest entries are held")


class ZoteroCopy(BaseModel):
    """The last good copy of a profile's Zotero library, as kept in the store."""

    library: str
    collections: list[str] = Field(default_factory=list)
    version: int | None = None
    entries: tuple[LibraryEntry, ...] = ()
    truncated: bool = False
    last_sync: datetime | None = None
    last_attempt: datetime | None = None
    error: str | None = None
    not_before: datetime | None = None  # Zotero asked for no request before this

    def of(self, source: ZoteroSource) -> bool:
        """Whether this is a copy of ``source`` (a profile may change its library)."""
        return (self.library, self.collections) == (source.library, source.collections)

    def status(self) -> SyncStatus:
        """What the profile's status shows."""
        return SyncStatus(
            library=self.library,
            collections=self.collections,
            last_sync=self.last_sync,
            items=len(self.entries),
            version=self.version,
            error=self.error,
            truncated=self.truncated,
        )


def blank(source: ZoteroSource) -> ZoteroCopy:
    """No copy yet of ``source``."""
    return ZoteroCopy(library=source.library, collections=source.collections)


def merged(library: tuple[LibraryEntry, ...], copy: ZoteroCopy | None) -> tuple[LibraryEntry, ...]:
    """A profile's file library, then its Zotero entries (one already in the file by arXiv id
    is left out, so it counts once)."""
    if copy is None or not copy.entries:
        return library
    have = {e.arxiv_id for e in library if e.arxiv_id}
    return library + tuple(e for e in copy.entries if e.arxiv_id is None or e.arxiv_id not in have)


class ZoteroLibraries:
    """The synced copies of this deployment's profiles; syncs them (one at a time each)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.transport = transport
        self._held: dict[str, tuple[ZoteroCopy | None, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def copy(self, name: str, source: ZoteroSource, *, sync: bool) -> ZoteroCopy | None:
        """The held copy of ``source``; when there is none (nor a recent failed attempt) and
        ``sync``, one synced now within ``FIRST_SYNC`` seconds. None: no copy of it."""
        held = await self._read(name)
        if held is not None and held.of(source) and (held.last_sync or not sync):
            return held
        if not sync:
            return None
        async with self._lock(name):
            held = await self._read(name)
            if held is not None and held.of(source):
                tried = held.last_attempt
                if held.last_sync or (tried and _now() - tried < timedelta(seconds=RETRY)):
                    return held
            return await self.sync(name, source, within=FIRST_SYNC)

    async def status(self, name: str, source: ZoteroSource) -> SyncStatus:
        """How the profile's library was last synced (a blank status before the first)."""
        held = await self._read(name)
        return (held if held is not None and held.of(source) else blank(source)).status()

    async def sync(self, name: str, source: ZoteroSource, *, within: float) -> ZoteroCopy:
        """Ask Zotero for the library (only what changed since the held version) within
        ``within`` seconds, keep the result, and return the copy now held; a failure keeps
        the last good entries with the error."""
        from app.profiles.zotero import ZoteroClient

        held = await self._read(name, fresh=True)
        old = held if held is not None and held.of(source) else blank(source)
        now = _now()
        if old.not_before is not None and now < old.not_before:
            return old  # Zotero asked us to wait; the error already says so
        where = f"profile {name!r}"
        try:
            key = _key(source, where)
            async with self._client() as http:
                client = ZoteroClient(http, self.settings.zotero_api_url)
                deadline = time.monotonic() + within
                async with asyncio.timeout(within):
                    since = old.version if old.last_sync and old.entries else None
                    read = await client.read(
                        source, key, since=since, where=where, deadline=deadline
                    )
        except LibrarySyncError as exc:
            log.warning("zotero sync failed: %s", exc.message)
            wait = exc.retry_after
            later = now + timedelta(seconds=wait) if wait else None
            new = old.model_copy(update={"last_attempt": now, "error": exc.message})
            new = new.model_copy(update={"not_before": later})
        except TimeoutError:
            message = f"{where}: Zotero's library took over {within:g} s to read"
            log.warning("zotero sync failed: %s", message)
            new = old.model_copy(update={"last_attempt": now, "error": message})
        else:
            update: dict[str, object] = {"last_sync": now, "last_attempt": now, "error": None}
            if read is not None:
                update |= {"version": read.version, "entries": read.entries}
                update |= {"truncated": read.truncated}
                log.info("zotero: %s read, %d entries", where, len(read.entries))
            new = old.model_copy(update=update | {"not_before": None})
        await self._keep(name, new)
        return new

    async def forget(self, name: str) -> None:
        """Drop a deleted profile's copy."""
        self._held.pop(name, None)
        await self.store.delete(PREFIX + name)

    def _client(self) -> httpx.AsyncClient:
        import httpx

        timeout = self.settings.fetch_timeout
        return httpx.AsyncClient(
            transport=self.transport,
            headers={"User-Agent": self.settings.user_agent},
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            follow_redirects=False,  # the key header would follow a redirect anywhere
        )

    def _lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    async def _read(self, name: str, *, fresh: bool = False) -> ZoteroCopy | None:
        held = self._held.get(name)
        if not fresh and held is not None and time.monotonic() - held[1] < RELOAD:
            return held[0]
        raw = await self.store.get(PREFIX + name)
        copy = None
        if raw is not None:
            try:
                copy = ZoteroCopy.model_validate_json(raw)
            except ValidationError:
                log.warning("ignoring an unreadable zotero copy of profile %s", name)
        if copy is not None and held is not None and held[0] is not None and held[0] == copy:
            copy = held[0]  # unchanged: the same object
        self._held[name] = (copy, time.monotonic())
        return copy

    async def _keep(self, name: str, copy: ZoteroCopy) -> None:
        self._held[name] = (copy, time.monotonic())
        try:
            await self.store.set(PREFIX + name, copy.model_dump_json().encode())
        except StoreUnavailable as exc:  # this instance keeps it; the next sync writes again
            log.warning("zotero copy of profile %s not stored: %s", name, exc.message)


def _key(source: ZoteroSource, where: str) -> str | None:
    """The key from the environment variable the source names (None: a public library)."""
    if source.api_key_env is None:
        return None
    key = os.environ.get(source.api_key_env, "").strip()
    if not key:
        raise LibrarySyncError(
            f"{where}: the environment variable ${source.api_key_env} holding the Zotero key "
            "is not set"
        )
    return key


def _now() -> datetime:
    return datetime.now(UTC)
