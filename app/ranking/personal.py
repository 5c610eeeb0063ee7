"""What a profile, or a request's ``like=``/``dislike=``/``authors=``, says of each candidate.

Similarity to the profile's library and liked papers (the embedded default in
``app.ranking.similarity``; disliked papers push similar ones down) and the followed authors
among each paper's. Liked and disliked papers' text comes from the candidates themselves, else
from arXiv's API (``app.arxiv.lookup``, polite and cached for good). Scorers are kept per
profile and like-set, so a warm feed pays only for scoring new candidates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.caches import LRU
from app.errors import LLMError, UpstreamError
from app.models import FeedQuery, Paper, Personal, SimilarTo

if TYPE_CHECKING:
    from app.arxiv.lookup import PaperLookup
    from app.profiles.registry import ProfileFeed
    from app.ranking.embeddings import Embedder
    from app.ranking.similarity import SimilarityScorer

log = logging.getLogger(__name__)

THREAD_OVER = 300  # candidates scored in a worker thread beyond this many


class Personalizer:
    """Builds and keeps the scorers; scores candidates for a query."""

    def __init__(self, lookup: PaperLookup | None, embedder: Embedder | None = None) -> None:
        self.lookup = lookup
        self.embedder = embedder  # only an owner's profile, as defined, uses it
        self._scorers: LRU[tuple[SimilarityScorer, list[Paper]]] = LRU(64)

    async def personal(
        self, query: FeedQuery, candidates: Sequence[Paper], profile: ProfileFeed | None
    ) -> dict[str, Personal]:
        """Per versioned id: similarity (None when nothing to compare with) and followed authors.

        ``profile`` is the one ``query.profile`` names (the caller has looked it up).
        """
        from app.ranking.authors import follow

        scorer, liked = await self._scorer(query, candidates, profile)
        followed = follow(query.authors)
        sims: list[tuple[float, list[SimilarTo]]] | None = None
        if scorer and self.embedder is not None and profile is not None and profile.query == query:
            from app.ranking.embedded import embedded_similarity

            try:
                sims = await embedded_similarity(self.embedder, profile.library, liked, candidates)
            except LLMError as exc:
                log.warning("embeddings failed, using the embedded default: %s", exc.message)
        if scorer and sims is None:
            scored = (
                await asyncio.to_thread(scorer.score, candidates)
                if len(candidates) > THREAD_OVER
                else scorer.score(candidates)
            )
            sims = [
                (
                    s.similarity,
                    [
                        SimilarTo(
                            id=t.id, title=t.title, similarity=min(1.0, max(0.0, t.similarity))
                        )
                        for t in s.similar_to
                    ],
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
            )
        return out

    async def _scorer(
        self, query: FeedQuery, candidates: Sequence[Paper], profile: ProfileFeed | None
    ) -> tuple[SimilarityScorer | None, list[Paper]]:
        """The embedded default's scorer for the query (None: nothing to compare with), and the
        liked papers."""
        library = profile.library if profile is not None else ()
        if not library and not query.like and not query.dislike:
            return None, []
        key = f"{query.profile}|{id(profile)}|{','.join(query.like)}|{','.join(query.dislike)}"
        held = self._scorers.get(key)
        if held is None:
            from app.ranking.similarity import build_scorer

            # a library's bare ids (a list of ids, or entries with no title) count as liked
            bare = [e.arxiv_id for e in library if not e.title and e.arxiv_id]
            wanted = list(dict.fromkeys([*query.like, *bare]))
            liked = await self.papers(wanted, candidates)
            disliked = await self.papers(query.dislike, candidates)
            held = (build_scorer(library, liked, disliked), liked)
            self._scorers.put(key, held)
        return held

    async def papers(self, ids: Sequence[str], candidates: Sequence[Paper]) -> list[Paper]:
        """The papers of ``ids``: from the candidates, else from arXiv's API."""
        if not ids:
            return []
        known = {p.arxiv_id: p for p in candidates}
        found = [known[i] for i in ids if i in known]
        missing = [i for i in ids if i not in known]
        if missing and self.lookup is not None:
            try:
                result = await self.lookup.lookup(missing)
            except UpstreamError as exc:
                log.warning("liked papers not looked up: %s", exc.message)
            else:
                found += list(result.papers.values())
                if result.unknown:
                    log.info("arXiv has no paper %s", ", ".join(result.unknown[:5]))
        return found


def _near(arxiv_id: str | None, title: str, similarity: float) -> SimilarTo:
    return SimilarTo.model_construct(
        id=arxiv_id, title=title, similarity=min(1.0, max(0.0, similarity))
    )
