"""A profile's feedback: "more like this" and "less like this" on the papers of its feed.

Each item of an owner's profile feed carries two signed URLs (``links``; the signature is
``app.profiles.tokens.feedback_signature`` over the profile and the paper). A POST to one
records a judgement in ``FeedbackBook``: one durable key per profile, ``feedback:<name>``,
holding its last ``MAX_JUDGEMENTS`` judgements ``(arxiv_id, choice, time)``, oldest first.
The same choice twice records once, the opposite one replaces it, ``none`` undoes it. Two
instances writing at once take turns through a short hold (``feedback:<name>:claim``).

``merge`` turns the judgements into the profile's query: "more" counts as a like, "less" as
a dislike, and a "less" paper leaves the feed (``FeedQuery.hidden``). The query then differs,
and so does its cache key: the profile's cached feeds are not read again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, Field

from app.models import FeedbackLinks, FeedQuery, RankedFeed
from app.profiles.tokens import feedback_signature
from app.store.base import Store

Choice = Literal["more", "less"]
MAX_JUDGEMENTS = 1000  # per profile: the oldest go first
RELOAD = 2.0  # seconds an instance trusts the judgements it read (its own writes show at once)
CLAIM_TTL = 5.0  # seconds a writer holds the profile's feedback at most
CLAIM_TRIES = 40  # times a writer asks for the hold, 50 ms apart, before writing regardless


class Judgement(BaseModel):
    """One "more" or "less" on a paper."""

    arxiv_id: str = Field(description="Version-free arXiv id")
    choice: Choice
    at: datetime = Field(description="When it was recorded (UTC)")


def key(name: str) -> str:
    """The store key of profile ``name``'s feedback."""
    return f"feedback:{name}"


def feedback_url(base: str, name: str, arxiv_id: str, choice: str, signature: str) -> str:
    """The URL of one choice (``more``, ``less`` or ``none``) on ``arxiv_id`` in ``name``."""
    path = quote(arxiv_id, safe="/")
    return f"{base}/p/{name}/feedback/{path}?choice={choice}&sig={signature}"


def links(feed: RankedFeed, base: str, name: str, secret: bytes | None) -> RankedFeed:
    """``feed`` with each item's signed feedback URLs under ``base`` (unchanged without a
    secret). Pure: the renderers draw the URLs, they never see the secret."""
    if secret is None:
        return feed
    items = []
    for item in feed.items:
        sig = feedback_signature(secret, name, item.paper.arxiv_id) or ""
        more = feedback_url(base, name, item.paper.arxiv_id, "more", sig)
        less = feedback_url(base, name, item.paper.arxiv_id, "less", sig)
        items.append(item.model_copy(update={"feedback": FeedbackLinks(more=more, less=less)}))
    return feed.model_copy(update={"items": items})


def merge(query: FeedQuery, judgements: tuple[Judgement, ...]) -> FeedQuery:
    """The profile's ``query`` with its feedback: "more" a like, "less" a dislike and hidden;
    a judgement overrides the profile's own like or dislike of the same paper."""
    if not judgements:
        return query
    more = [j.arxiv_id for j in judgements if j.choice == "more"]
    less = [j.arxiv_id for j in judgements if j.choice == "less"]
    judged = {j.arxiv_id for j in judgements}
    like = [i for i in query.like if i not in judged] + more
    dislike = [i for i in query.dislike if i not in judged] + less
    return query.model_copy(
        update={"like": tuple(like), "dislike": tuple(dislike), "hidden": tuple(less)}
    )


def _decode(raw: bytes | None) -> tuple[Judgement, ...]:
    if not raw:
        return ()
    try:
        rows = json.loads(raw)
        return tuple(
            Judgement(arxiv_id=i, choice=c, at=datetime.fromtimestamp(t, UTC)) for i, c, t in rows
        )
    except (ValueError, TypeError):
        return ()  # unreadable: as if none (the next judgement rewrites it)


def _encode(judgements: tuple[Judgement, ...]) -> bytes:
    rows = [[j.arxiv_id, j.choice, round(j.at.timestamp(), 3)] for j in judgements]
    return json.dumps(rows, separators=(",", ":")).encode()


class FeedbackBook:
    """Reads and records profiles' feedback in the store (briefly cached per instance)."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.clock = clock
        self._held: dict[str, tuple[bytes | None, tuple[Judgement, ...], float]] = {}

    async def judgements(self, name: str) -> tuple[Judgement, ...]:
        """Profile ``name``'s judgements, oldest first (the same tuple while unchanged)."""
        held = self._held.get(name)
        if held is not None and self.clock() - held[2] < RELOAD:
            return held[1]
        return self._keep(name, await self.store.get(key(name)))

    async def record(self, name: str, arxiv_id: str, choice: Choice | None) -> bool:
        """Record ``choice`` on ``arxiv_id`` (None: undo); whether anything changed. Durable:
        it reaches the store or raises ``StoreUnavailable`` / ``StoreFull``."""
        claim = f"{key(name)}:claim"
        held = False
        for _ in range(CLAIM_TRIES):
            if held := await self.store.set_nx(claim, b"1", ttl=CLAIM_TTL):
                break
            await asyncio.sleep(0.05)
        try:
            raw = await self.store.get(key(name))
            now = _decode(raw)
            before = next((j for j in now if j.arxiv_id == arxiv_id), None)
            if (before.choice if before else None) == choice:
                self._keep(name, raw)
                return False
            rest = tuple(j for j in now if j.arxiv_id != arxiv_id)
            if choice is not None:
                rest = (*rest, Judgement(arxiv_id=arxiv_id, choice=choice, at=datetime.now(UTC)))
            new = _encode(rest[-MAX_JUDGEMENTS:])
            await self.store.set(key(name), new)
            self._keep(name, new)
            return True
        finally:
            if held:
                await self.store.delete(claim)

    async def forget(self, name: str) -> None:
        """Drop profile ``name``'s feedback (the profile was deleted)."""
        await self.store.delete(key(name))
        self._held.pop(name, None)

    def _keep(self, name: str, raw: bytes | None) -> tuple[Judgement, ...]:
        held = self._held.get(name)
        judgements = held[1] if held is not None and held[0] == raw else _decode(raw)
        self._held[name] = (raw, judgements, self.clock())
        return judgements
