"""Which papers of a list each keyword matches, fast: a word index per list of papers (pure).

The index maps each word (in ``match_form``) to the positions of the papers whose title,
abstract or author names contain it. A single-word keyword is then decided by looking its
word (and plurals) up, with no regular expression at all; a phrase's pattern runs only on the
papers that contain its first word; ``cat:`` keywords compare categories. Ranking 5,000 papers
against 50 keywords and 50 exclusions is a few dictionary look-ups and set unions per keyword
(``bench/ranking.py``).

Building the index reads every text once; it is kept for the last ``KEEP`` lists of papers
ranked (the same listing is ranked for every distinct query), keyed by the identity of its
papers, which the entry holds so that an identity cannot be reused while it is kept.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.keywords import Keyword, Keywords, match_form

KEEP = 8
_WORDS = re.compile(r"\w+")


class Fields(Protocol):
    """What matching reads of a paper."""

    @property
    def title(self) -> str: ...
    @property
    def abstract(self) -> str: ...
    @property
    def authors(self) -> list[str]: ...
    @property
    def categories(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class _Text:
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]


@dataclass(frozen=True, slots=True)
class WordIndex:
    """Word -> positions of the papers whose title / abstract / an author contains it."""

    papers: Sequence[Fields]
    title: dict[str, list[int]]
    abstract: dict[str, list[int]]
    authors: dict[str, list[int]]

    @classmethod
    def build(cls, papers: Sequence[Fields]) -> WordIndex:
        """Read every paper's fields once."""
        title: dict[str, list[int]] = {}
        abstract: dict[str, list[int]] = {}
        authors: dict[str, list[int]] = {}
        intern = sys.intern
        for i, paper in enumerate(papers):
            for words, text in (
                (title, paper.title),
                (abstract, paper.abstract),
                (authors, " ; ".join(paper.authors)),
            ):
                for word in set(_WORDS.findall(match_form(text))):
                    found = words.get(word)
                    if found is None:
                        words[intern(word)] = [i]
                    else:
                        found.append(i)
        return cls(papers, title, abstract, authors)


@dataclass(frozen=True, slots=True)
class Hits:
    """The positions of the papers a keyword matches, and of those where it is in the title."""

    matched: set[int]
    in_title: set[int]


def hits(kw: Keyword, index: WordIndex) -> Hits:
    """Where ``kw`` matches among the indexed papers (its scope decides which fields count)."""
    papers = index.papers
    if kw.scope == "cat":
        return Hits({i for i, p in enumerate(papers) if kw.in_categories(p.categories)}, set())
    if kw.scope == "author":
        found = {
            i
            for i in _candidates(kw, index.authors, len(papers))
            if any(kw.found_in(name) for name in papers[i].authors)
        }
        return Hits(found, set())
    in_title: set[int] = set()
    in_abstract: set[int] = set()
    if kw.scope != "abstract":
        in_title = _field_hits(kw, index.title, papers, "title")
    if kw.scope != "title":
        in_abstract = _field_hits(kw, index.abstract, papers, "abstract")
    return Hits(in_title | in_abstract, in_title)


def _candidates(kw: Keyword, words: dict[str, list[int]], size: int) -> set[int] | range:
    if not kw.words:
        return range(size)
    found: set[int] = set()
    for word in kw.words:
        found.update(words.get(word, ()))
    return found


def _field_hits(
    kw: Keyword, words: dict[str, list[int]], papers: Sequence[Fields], name: str
) -> set[int]:
    candidates = _candidates(kw, words, len(papers))
    if kw.exact:
        return set(candidates)
    search = kw.pattern.search
    return {i for i in candidates if search(match_form(getattr(papers[i], name)))}


class IndexCache:
    """The word indexes of the last ``size`` lists of papers (thread-safe)."""

    def __init__(self, size: int = KEEP) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, ...], WordIndex] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, papers: Sequence[Fields]) -> WordIndex:
        """The index of ``papers`` (built, or found when this very list was indexed before)."""
        key = tuple(map(id, papers))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        index = WordIndex.build(tuple(papers))  # the entry holds the papers: ids stay theirs
        with self._lock:
            self._items[key] = index
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return index

    def clear(self) -> None:
        """Forget every index."""
        with self._lock:
            self._items.clear()


INDEXES = IndexCache()


def match_one(
    keywords: Keywords,
    title: str,
    abstract: str,
    authors: Sequence[str] = (),
    categories: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """``(matched, matched_in_title)`` for one paper's fields, in keyword order."""
    index = WordIndex.build([_Text(title, abstract, list(authors), list(categories))])
    matched: list[str] = []
    in_title: list[str] = []
    for kw in keywords:
        found = hits(kw, index)
        if found.matched:
            matched.append(kw.text)
        if found.in_title:
            in_title.append(kw.text)
    return matched, in_title


def find_keywords(keywords: Keywords, text: str) -> list[str]:
    """The keywords (as written) that occur in ``text``, taken as a title."""
    return match_one(keywords, text, "")[0]
