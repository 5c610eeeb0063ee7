"""The ranking that learns from likes and dislikes (``app.ranking.learn``) and what it scores
with: papers whose words the listing lacks."""

from __future__ import annotations

import json
from pathlib import Path

from app.models import Paper
from app.profiles.library import LibraryEntry
from app.ranking.similarity import build_scorer

ROOT = Path(__file__).resolve().parent.parent
PAPERS = [
    Paper.model_validate(p)
    for p in json.loads((ROOT / "tests/data/similarity/papers.json").read_text("utf-8"))
]


def field(name: str) -> list[Paper]:
    return [p for p in PAPERS if p.primary_category == name]


def entry(paper: Paper) -> LibraryEntry:
    return LibraryEntry(title=paper.title, abstract=paper.abstract, arxiv_id=paper.arxiv_id)


def test_papers_whose_words_the_listing_lacks_count_for_nothing() -> None:
    unknown = LibraryEntry(title="Zq9 zq8", abstract="Zq7 zq6.")
    library = [entry(p) for p in field("math.AG")[:3]]
    assert [s.similarity for s in build_scorer([unknown]).score(PAPERS)] == [0.0] * len(PAPERS)
    plain = build_scorer(library).score(PAPERS)
    assert build_scorer([*library, unknown]).score(PAPERS)[0].similar_to == plain[0].similar_to
