"""Keyword matching (pure): whole words or phrases, case-insensitive, optionally field-scoped.

``RL`` does not match "world", ``Fast`` not "breakfast", but a plural does count (``LLM``
matches "LLMs"), and a phrase matches across any run of spaces. An entry may be scoped to one
field: ``title:...``, ``abstract:...``, ``author:...`` (a whole word or phrase of one author's
name, no plural) or ``cat:...`` (a category, ``cs.LG``, or an archive, ``math``); unscoped
entries look in the title and the abstract.

Case-insensitivity is exactly the ``re`` module's (``re.IGNORECASE``): ``match_form`` maps each
character to one representative of the characters ``re`` treats as the same, so two keywords
with the same form match the same texts. Duplicates are found with it, and the cache keys of
queries are built from the texts this module compiles (see ``distinct_keywords``).

How a list of papers is searched fast (one word index per listing) is ``app.ranking.index``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

SCOPES = ("title", "abstract", "author", "cat")
_SCOPED = re.compile(r"(title|abstract|author|cat)\s*:\s*(\S.*)", re.IGNORECASE | re.DOTALL)
_WORDS = re.compile(r"\w+")
_LEAD = re.compile(r"\w+")
_FOLD_CACHE_LIMIT = 20_000  # characters whose form is remembered (all of Latin, Greek, ...)


def _case_tables() -> tuple[Callable[[int], int], dict[int, tuple[int, ...]]]:
    """``re``'s own simple lower-case mapping and its extra case equivalences (ı/i, ſ/s, µ/μ)."""
    sre = importlib.import_module("_sre")
    tolower = cast(Callable[[int], int] | None, getattr(sre, "unicode_tolower", None))
    try:
        casefix = importlib.import_module("re._casefix")
        extra = cast(dict[int, tuple[int, ...]], casefix._EXTRA_CASES)
    except (ImportError, AttributeError):  # pragma: no cover - other Pythons
        extra = {}
    if tolower is None:  # pragma: no cover - other Pythons

        def tolower(cp: int) -> int:
            low = chr(cp).lower()
            return ord(low) if len(low) == 1 else cp

    return tolower, extra


_TOLOWER, _EXTRA = _case_tables()


class _Fold(dict[int, int]):
    """A ``str.translate`` table that works out each character's form on first sight."""

    def __missing__(self, cp: int) -> int:
        low = _TOLOWER(cp)
        form = min((low, *_EXTRA.get(low, ())))
        if len(self) < _FOLD_CACHE_LIMIT:
            self[cp] = form
        return form


_FOLD = _Fold()


def match_form(text: str) -> str:
    """``text`` with each character replaced by the representative of its ``re`` case class.

    Same length as ``text``; ``"ß"`` stays ``"ß"`` (``re`` does not match it to "ss"),
    ``"K"`` (Kelvin sign) becomes ``"k"``, ``"ſ"`` ``"s"``, ``"İ"`` and ``"ı"`` ``"i"``. For
    ASCII that is ``lower()``.
    """
    return text.lower() if text.isascii() else text.translate(_FOLD)


def split_scope(text: str) -> tuple[str, str]:
    """``"title:RL"`` -> ``("title", "RL")``; an unscoped keyword has scope ``""``."""
    found = _SCOPED.fullmatch(text)
    if found is None:
        return "", text
    return found[1].lower(), found[2]


def normalize_keyword(raw: str) -> str:
    """Spacing collapsed, a scope lower-cased and tight: ``"Title: RL"`` -> ``"title:RL"``."""
    text = " ".join(raw.split())
    scope, body = split_scope(text)
    return f"{scope}:{body}" if scope else text


def keyword_identity(text: str) -> str:
    """What makes two (normalized) keywords the same keyword: scope and body's match form."""
    scope, body = split_scope(text)
    return f"{scope}\x00{match_form(body)}"


def distinct_keywords(raw: Iterable[str]) -> tuple[str, ...]:
    """Normalized keywords, blanks dropped, duplicates (same identity) kept once, first spelling.

    This is what the matcher compiles, so it is also what a query's cache key must name.
    """
    seen: dict[str, str] = {}
    for entry in raw:
        text = normalize_keyword(entry)
        if text:
            seen.setdefault(keyword_identity(text), text)
    return tuple(seen.values())


@dataclass(frozen=True, slots=True)
class Keyword:
    """One keyword: its text as written, its scope, its pattern and its word pre-check.

    ``pattern`` runs on ``match_form`` texts, without ``re.IGNORECASE``: the same matches, and
    a literal first (the start-of-word check comes after it) lets ``re`` search quickly.
    ``words`` are the words one of which a text must contain: for a single word (word
    characters only) they decide alone (``exact``); otherwise the pattern confirms.
    """

    text: str
    scope: str  # "" (title or abstract), "title", "abstract", "author" or "cat"
    body: str
    pattern: re.Pattern[str]
    words: frozenset[str]  # empty: no pre-check
    exact: bool

    def found_in(self, text: str) -> bool:
        """Whether the keyword occurs in ``text`` (a title, an abstract, an author's name)."""
        return self.pattern.search(match_form(text)) is not None

    def in_categories(self, categories: Sequence[str]) -> bool:
        """For ``cat:`` keywords: whether a category (or its archive) is this one."""
        wanted = match_form(self.body)
        return any(
            match_form(c) == wanted or match_form(c.split(".", 1)[0]) == wanted for c in categories
        )


def compile_keyword(text: str) -> Keyword:
    """Build the whole-word (or phrase) matcher for one normalized keyword."""
    scope, body = split_scope(text)
    words = match_form(body).split()
    first = re.escape(words[0])
    # "(?<!\w)word" written as "word(?<!\wword)": the same test, with the literal first
    start = rf"(?<!\w{first})" if re.match(r"\w", words[0]) else ""
    rest = "".join(r"\s+" + re.escape(w) for w in words[1:])
    plural = words[-1][-1].isalpha() and scope not in ("author", "cat")
    end = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    pattern = re.compile(first + start + rest + (r"(?:e?s)?" if plural else "") + end)
    lead = _LEAD.match(words[0])
    needles: frozenset[str] = frozenset()
    exact = False
    if start and lead and scope != "cat":
        exact = len(words) == 1 and lead[0] == words[0] and scope != "author"
        needles = frozenset(
            [lead[0], lead[0] + "s", lead[0] + "es"] if exact and plural else [lead[0]]
        )
    return Keyword(text, scope, body, pattern, needles, exact)


@dataclass(frozen=True)
class Keywords:
    """A compiled keyword list: iterable as ``Keyword``; ``app.ranking.index`` matches it."""

    items: tuple[Keyword, ...]

    def __iter__(self) -> Iterator[Keyword]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


@lru_cache(maxsize=256)
def compile_keywords(keywords: tuple[str, ...]) -> Keywords:
    """Matchers for a keyword list, duplicates (by ``distinct_keywords``) counted once."""
    return Keywords(tuple(compile_keyword(t) for t in distinct_keywords(keywords)))
