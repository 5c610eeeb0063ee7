"""Keyword matching (pure): whole words or phrases, case-insensitive.

``RL`` does not match "world", ``Fast`` not "breakfast", but a plural does count (``LLM``
matches "LLMs"), and a phrase matches across any run of spaces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Keyword:
    """One keyword: its text as configured, a cheap pre-check and the exact pattern."""

    text: str
    needle: str
    pattern: re.Pattern[str]

    def found_in(self, text: str, lowered: str) -> bool:
        """Whether the keyword occurs in ``text`` (``lowered`` is ``text.casefold()``).

        The needle pre-check uses ``casefold``, not ``lower``: ``lower`` depends on context
        (a Greek capital sigma before "." and a letter is not final) and misses some of the
        regex's case-insensitive pairs (the micro sign and mu), so it could hide a match.
        """
        return self.needle in lowered and self.pattern.search(text) is not None


def compile_keyword(text: str) -> Keyword:
    """Build the whole-word (or phrase) matcher for one keyword."""
    words = text.split()
    body = r"\s+".join(re.escape(w) for w in words)
    start = r"(?<!\w)" if re.match(r"\w", words[0]) else ""
    plural = r"(?:e?s)?" if words[-1][-1].isalpha() else ""
    end = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    pattern = re.compile(start + body + plural + end, re.IGNORECASE)
    return Keyword(text=text, needle=words[0].casefold(), pattern=pattern)


@lru_cache(maxsize=256)
def compile_keywords(keywords: tuple[str, ...]) -> tuple[Keyword, ...]:
    """Matchers for a keyword list, duplicates (ignoring case and spacing) counted once."""
    seen: dict[str, Keyword] = {}
    for raw in keywords:
        text = " ".join(raw.split())
        if text and text.casefold() not in seen:
            seen[text.casefold()] = compile_keyword(text)
    return tuple(seen.values())


def find_keywords(keywords: Sequence[Keyword], text: str) -> list[str]:
    """The keywords (as configured) that occur in ``text``."""
    lowered = text.casefold()
    return [k.text for k in keywords if k.found_in(text, lowered)]
