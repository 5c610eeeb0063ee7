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

Speed: each keyword is checked first against a bit mask of the words of a paper (a Bloom
filter, computed once per text and kept in a bounded cache); only on a hit does its regular
expression run. A query of 50 keywords over 5,000 papers costs a few set-bit tests per paper.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import cast

SCOPES = ("title", "abstract", "author", "cat")
_SCOPED = re.compile(r"(title|abstract|author|cat)\s*:\s*(\S.*)", re.IGNORECASE | re.DOTALL)
_WORDS = re.compile(r"\w+")
_LEAD = re.compile(r"\w+")
MASK_BITS = 4096
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
    ``"K"`` (Kelvin sign) becomes ``"k"``, ``"ſ"`` ``"s"``, ``"İ"`` and ``"ı"`` ``"i"``.
    """
    return text.translate(_FOLD)


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
    """One keyword: its text as written, its scope, its pattern and its word pre-check."""

    text: str
    scope: str  # "" (title or abstract), "title", "abstract", "author" or "cat"
    body: str
    pattern: re.Pattern[str]
    bits: int  # mask bits of the word a match must start with; 0: no pre-check

    def found_in(self, text: str) -> bool:
        """Whether the keyword occurs in ``text`` (a title, an abstract, an author's name)."""
        if self.bits and self.bits & text_mask(text) != self.bits:
            return False
        return self.pattern.search(text) is not None

    def in_categories(self, categories: Sequence[str]) -> bool:
        """For ``cat:`` keywords: whether a category (or its archive) is this one."""
        wanted = match_form(self.body)
        return any(
            match_form(c) == wanted or match_form(c.split(".", 1)[0]) == wanted for c in categories
        )


def compile_keyword(text: str) -> Keyword:
    """Build the whole-word (or phrase) matcher for one normalized keyword."""
    scope, body = split_scope(text)
    words = body.split()
    pattern_body = r"\s+".join(re.escape(w) for w in words)
    start = r"(?<!\w)" if re.match(r"\w", words[0]) else ""
    plural = words[-1][-1].isalpha() and scope not in ("author", "cat")
    end = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    pattern = re.compile(start + pattern_body + (r"(?:e?s)?" if plural else "") + end, re.I)
    lead = _LEAD.match(words[0])
    bits = _word_bits(match_form(lead[0])) if start and lead else 0
    return Keyword(text=text, scope=scope, body=body, pattern=pattern, bits=bits)


def _word_bits(word: str) -> int:
    h = hash(word)
    return (1 << (h % MASK_BITS)) | (1 << ((h >> 16) % MASK_BITS))


def _stems(word: str) -> Iterator[str]:
    """The word, and without a plural ending, as the patterns allow one."""
    yield word
    if word.endswith("s"):
        yield word[:-1]
        if word.endswith("es"):
            yield word[:-2]


@lru_cache(maxsize=16_384)
def text_mask(text: str) -> int:
    """A Bloom filter of the words of ``text`` (and their stems), in match form."""
    mask = 0
    for word in set(_WORDS.findall(match_form(text))):
        for stem in _stems(word):
            mask |= _word_bits(stem)
    return mask


@dataclass(frozen=True)
class Keywords:
    """A compiled keyword list: iterable as ``Keyword``, matched against papers' fields."""

    items: tuple[Keyword, ...]
    _reads_text: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        reads = any(k.scope in ("", "title", "abstract") for k in self.items)
        object.__setattr__(self, "_reads_text", reads)

    def __iter__(self) -> Iterator[Keyword]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def match(
        self,
        title: str,
        abstract: str,
        authors: Sequence[str] = (),
        categories: Sequence[str] = (),
        *,
        first: bool = False,
    ) -> tuple[list[str], list[str]]:
        """``(matched, matched_in_title)`` in keyword order; ``first``: stop at one match."""
        mask = text_mask(title) | text_mask(abstract) if self._reads_text else 0
        matched: list[str] = []
        in_title: list[str] = []
        for kw in self.items:
            scope = kw.scope
            if scope in ("", "title", "abstract"):
                if kw.bits and kw.bits & mask != kw.bits:
                    continue
                if scope != "abstract" and kw.found_in(title):
                    in_title.append(kw.text)
                elif scope == "title" or not kw.found_in(abstract):
                    continue
            elif scope == "author":
                if not any(kw.found_in(a) for a in authors):
                    continue
            elif not kw.in_categories(categories):
                continue
            matched.append(kw.text)
            if first:
                break
        return matched, in_title


@lru_cache(maxsize=256)
def compile_keywords(keywords: tuple[str, ...]) -> Keywords:
    """Matchers for a keyword list, duplicates (by ``distinct_keywords``) counted once."""
    return Keywords(tuple(compile_keyword(t) for t in distinct_keywords(keywords)))


def find_keywords(keywords: Keywords, text: str) -> list[str]:
    """The keywords (as written) that occur in ``text``, taken as a title."""
    return keywords.match(text, "")[0]
