"""Similarity from an embeddings endpoint, for an owner's profile (optional).

When ``embeddings`` is configured, a profile's feed as defined compares each candidate with the
library and liked papers by the cosine of their embeddings: the similarity is the mean of the
``NEIGHBOURS`` closest, clipped to 0-1, and the closest three are named. Every vector is cached
per paper version (or text) and model, so a day costs one batch of new papers; any failure
falls back to the embedded default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.llm.embeddings import cosine
from app.models import Paper, SimilarTo

if TYPE_CHECKING:
    from app.llm.embeddings import Embedder
    from app.profiles.library import LibraryEntry

NEIGHBOURS = 5


async def embedded_similarity(
    embedder: Embedder,
    library: Sequence[LibraryEntry],
    liked: Sequence[Paper],
    candidates: Sequence[Paper],
) -> list[tuple[float, list[SimilarTo]]]:
    """``(similarity, closest)`` per candidate, in order; raises ``LLMError`` on failure."""
    entries = [e for e in library if e.title]
    texts = [f"{e.title}\n\n{e.abstract}".strip() for e in entries]
    names = [(e.arxiv_id or e.doi, e.title or "") for e in entries]
    names += [(p.arxiv_id, p.title) for p in liked]
    positives = list(await embedder.embed_texts(texts)) if texts else []
    if liked:
        vectors = await embedder.embed_papers(liked)
        positives += [vectors[p.versioned_id] for p in liked]
    found = await embedder.embed_papers(candidates)
    out: list[tuple[float, list[SimilarTo]]] = []
    for paper in candidates:
        vector = found[paper.versioned_id]
        scores = sorted(((cosine(vector, p), n) for n, p in enumerate(positives)), reverse=True)
        top = scores[:NEIGHBOURS]
        mean = sum(s for s, _ in top) / len(top) if top else 0.0
        closest = [
            SimilarTo(id=names[n][0], title=names[n][1], similarity=round(min(1.0, s), 4))
            for s, n in scores[:3]
            if s > 0
        ]
        out.append((round(min(1.0, max(0.0, mean)), 4), closest))
    return out
