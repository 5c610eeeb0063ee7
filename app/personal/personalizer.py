"""What a profile, or a request's ``like=``/``dislike=``/``authors=``, says of each candidate.

Similarity to the profile's library and liked papers (the embedded default in
``app.ranking.similarity``; disliked papers push similar ones down) and the followed authors
among each paper's. Liked and disliked papers' text comes from the candidates themselves, else
from arXiv's API (``app.arxiv.lookup``): ``look_up`` does that I/O, before any CPU work, and
``personal`` scores. The ids a profile names as defined (its likes, dislikes and its library's
bare ids) are the owner's: looked up first and never counted; any other id draws on the day's
budget for strangers, and the ids that could not be had are named in the feed's notes.

Scorers are kept, so a warm feed pays only for scoring new candidates: each profile's own (its
library and likes as defined, whatever else a request overrides) in a slot of its own, and
strangers' like-sets in a small LRU, built one at a time; every build runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from app.caches import LRU
from app.errors import LLMError, UpstreamError
from app.models import FeedQuery, Paper, Personal, SimilarTo
from app.ranking.offload import off_loop

if TYPE_CHECKING:
    from app.arxiv.lookup import PaperLookup
    from app.llm.embeddings import Embedder
    from app.profiles.registry import ProfileFeed
    from app.ranking.learn import Scorer

log = logging.getLogger(__name__)

PAIRS_OVER = 30_000  # scored in a worker thread beyond this many candidate x library/liked pairs
STRANGERS_KEPT = 8  # strangers' scorers (one per like-set) kept
RETRY = 600.0  # seconds a scorer missing ids (budget spent, arXiv failed) is kept
NAMED = 10  # ids a note names, the rest counted


@dataclass(frozen=True)
class Looked:
    """The liked and disliked papers a query names, and notes on the ids that could not be
    had; ``complete`` is False when some may be had later (budget spent, arXiv failed)."""

    liked: tuple[Paper, ...] = ()
    disliked: tuple[Paper, ...] = ()
    notes: tuple[str, ...] = ()
    complete: bool = True


@dataclass(frozen=True)
class _Held:
    profile: ProfileFeed | None  # the very object it was built for
    scorer: Scorer
    liked: tuple[Paper, ...]
    notes: tuple[str, ...]
    expires: float | None


class Personalized(NamedTuple):
    """Per versioned id what the profile or request says of each candidate, and notes."""

    scores: dict[str, Personal]
    notes: tuple[str, ...]


class Personalizer:
    """Looks liked papers up, builds and keeps the scorers, scores candidates for a query."""

    def __init__(
        self,
        lookup: PaperLookup | None,
        embedder: Embedder | None = None,
        *,
        strangers_kept: int = STRANGERS_KEPT,
    ) -> None:
        self.lookup = lookup
        self.embedder = embedder  # only an owner's profile, as defined, uses it
        self._owned: dict[str, _Held] = {}  # by profile name: strangers never evict these
        self._strangers: LRU[_Held] = LRU(strangers_kept)
        self._building = asyncio.Lock()  # strangers' scorers are built one at a time
        self._owning = asyncio.Lock()  # and the profiles' (apart: never behind a stranger's)

    def scorers_held(self) -> int:
        """Scorers kept in memory (the profiles' and strangers')."""
        return len(self._owned) + len(self._strangers)

    async def look_up(
        self, query: FeedQuery, candidates: Sequence[Paper], profile: ProfileFeed | None
    ) -> Looked | None:
        """The liked and disliked papers of ``query`` (I/O: the store, arXiv's API); None when
        nothing needs looking up (no similarity, or its scorer is held)."""
        if not _compares(query, profile) or self._held(query, profile) is not None:
            return None
        return await self._look_up(query, candidates, profile)

    async def personal(
        self,
        query: FeedQuery,
        candidates: Sequence[Paper],
        profile: ProfileFeed | None,
        looked: Looked | None = None,
    ) -> Personalized:
        """Per versioned id: similarity (None when nothing to compare with) and followed
        authors; and the notes on liked ids. ``profile`` is the one ``query.profile`` names
        (the caller has looked it up), ``looked`` what ``look_up`` answered."""
        from app.ranking.authors import follow

        held = await self._scorer(query, candidates, profile, looked)
        scorer = held.scorer if held is not None else None
        followed = follow(query.authors)
        sims: list[tuple[float, list[SimilarTo], float]] | None = None
        if held and scorer and self.embedder and profile is not None and profile.query == query:
            from app.personal.embedded import embedded_similarity

            try:
                embedded = await embedded_similarity(
                    self.embedder, profile.library, list(held.liked), candidates
                )
                sims = [(similarity, near, 0.0) for similarity, near in embedded]
            except LLMError as exc:
                log.warning("embeddings failed, using the embedded default: %s", exc.message)
        if scorer and sims is None:
            pairs = len(candidates) * (len(scorer.positives) + len(scorer.negatives))
            scored = await off_loop(
                len(candidates), partial(scorer.score, candidates), heavy=pairs > PAIRS_OVER
            )
            sims = [
                (
                    s.similarity,
                    [_near(t.id, t.title, t.similarity) for t in s.similar_to],
                    max(0.0, -getattr(s, "moved", 0.0)),  # the learned scorer's dislike term
                )
                for s in scored
            ]
        out: dict[str, Personal] = {}
        for n, paper in enumerate(candidates):
            sim = sims[n] if sims is not None else None
            # built without validation: thousands of candidates, values already in range
            out[paper.versioned_id] = Personal.model_construct(
                similarity=sim[0] if sim is not None else None,
                similar_to=sim[1] if sim is not None else [],
                author_match=followed.match(paper.authors) if followed else [],
                disliked_by=sim[2] if sim is not None else 0.0,
            )
        return Personalized(out, held.notes if held is not None else ())

    def _held(self, query: FeedQuery, profile: ProfileFeed | None) -> _Held | None:
        own = _own(query, profile)
        held = self._owned.get(own.name) if own else self._strangers.get(_key(query))
        if held is None or held.profile is not profile:
            return None
        if held.expires is not None and held.expires <= time.monotonic():
            return None
        return held

    async def _scorer(
        self,
        query: FeedQuery,
        candidates: Sequence[Paper],
        profile: ProfileFeed | None,
        looked: Looked | None,
    ) -> _Held | None:
        """The held scorer for the query, else one built (None: nothing to compare with)."""
        if not _compares(query, profile):
            return None
        held = self._held(query, profile)
        if held is not None:
            return held
        looked = looked or await self._look_up(query, candidates, profile)
        own = _own(query, profile)
        async with self._owning if own is not None else self._building:
            held = self._held(query, profile)  # built while this one waited its turn?
            if held is None:
                held = await _build(profile, looked)
                if own is not None:
                    self._owned[own.name] = held
                else:
                    self._strangers.put(_key(query), held)
        return held

    async def _look_up(
        self, query: FeedQuery, candidates: Sequence[Paper], profile: ProfileFeed | None
    ) -> Looked:
        library = profile.library if profile is not None else ()
        # a library's bare ids (a list of ids, or entries with no title) count as liked
        bare = [e.arxiv_id for e in library if not e.title and e.arxiv_id]
        liked = list(dict.fromkeys([*query.like, *bare]))
        owner: set[str] = set()
        if profile is not None:
            owner = {*profile.query.like, *profile.query.dislike, *bare}
        found, notes, complete = await self._papers([*liked, *query.dislike], candidates, owner)
        return Looked(
            liked=tuple(found[i] for i in liked if i in found),
            disliked=tuple(found[i] for i in query.dislike if i in found),
            notes=notes,
            complete=complete,
        )

    async def _papers(
        self, ids: Sequence[str], candidates: Sequence[Paper], owner: set[str]
    ) -> tuple[dict[str, Paper], tuple[str, ...], bool]:
        """The papers of ``ids``, from the candidates, else looked up (the owner's ids first,
        uncounted); notes on the ids not had; whether none may be had later."""
        known: dict[str, Paper] = {}
        for paper in candidates:
            if paper.version > getattr(known.get(paper.arxiv_id), "version", 0):
                known[paper.arxiv_id] = paper
        found = {i: known[i] for i in ids if i in known}
        missing = [i for i in dict.fromkeys(ids) if i not in known]
        unknown: list[str] = []
        refused: list[str] = []
        failed: list[str] = []
        mine = [i for i in missing if i in owner]
        for group, owned in ((mine, True), ([i for i in missing if i not in owner], False)):
            if not group or self.lookup is None:
                continue
            try:
                result = await self.lookup.lookup(group, owner=owned)
            except UpstreamError as exc:
                log.warning("liked papers not looked up: %s", exc.message)
                failed += group
                continue
            found |= result.papers
            unknown += result.unknown
            refused += result.refused
        notes = [
            f"{what}: {_named(which)}."
            for what, which in (
                ("Not found on arXiv", unknown),
                ("Not looked up today (daily budget spent)", refused),
                ("Not looked up (arXiv did not answer)", failed),
            )
            if which
        ]
        return found, tuple(notes), not refused and not failed


async def _build(profile: ProfileFeed | None, looked: Looked) -> _Held:
    """A scorer for the profile's library and the looked-up papers, built in a worker thread;
    one missing ids that may be had later is kept only ``RETRY`` seconds."""
    from app.ranking.learn import build_learner

    library = profile.library if profile is not None else ()
    scorer = await asyncio.to_thread(build_learner, library, looked.liked, looked.disliked)
    expires = None if looked.complete else time.monotonic() + RETRY
    return _Held(profile, scorer, looked.liked, looked.notes, expires)


def _compares(query: FeedQuery, profile: ProfileFeed | None) -> bool:
    """Whether the query has anything to compare candidates with."""
    return bool((profile is not None and profile.library) or query.like or query.dislike)


def _own(query: FeedQuery, profile: ProfileFeed | None) -> ProfileFeed | None:
    """The profile, when the query compares with what it defines (its own scorer)."""
    if profile is None or (query.like, query.dislike) != (
        profile.query.like,
        profile.query.dislike,
    ):
        return None
    return profile


def _key(query: FeedQuery) -> str:
    return repr((query.profile, query.like, query.dislike))


def _named(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:NAMED])
    return f"{shown} and {len(ids) - NAMED} more" if len(ids) > NAMED else shown


def _near(arxiv_id: str | None, title: str, similarity: float) -> SimilarTo:
    return SimilarTo.model_construct(
        id=arxiv_id, title=title, similarity=min(1.0, max(0.0, similarity))
    )
