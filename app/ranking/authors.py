"""Followed-author matching (pure), tolerant of initials, accents, particles and name order.

"Y. LeCun", "Yann Le Cun", "Yann LeCun", "LeCun, Yann" and "Yann Lécun" all name the same
person; "Yann Leclerc" and "J. LeCun" do not. A name is reduced to a family key (accents and
punctuation dropped, particles such as *le*, *de*, *van* and *von* joined to the family name)
and its given names. Two names match when the family keys are equal and the given names agree
as far as both say: a first initial against a full name, or full names against each other.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PARTICLES = frozenset(
    {"al", "bin", "d", "da", "das", "de", "del", "della", "der", "di", "do", "dos", "du", "el"}
    | {"la", "le", "li", "lo", "st", "te", "ten", "ter", "van", "vande", "vanden", "vander"}
    | {"von", "zu"}
)
SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case, accents dropped (``"Lécun"`` -> ``"lecun"``, ``"ß"`` -> ``"ss"``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Name:
    """A person's name reduced for matching."""

    text: str
    family: str
    """Family name with its particles, joined: ``"lecun"``, ``"vanbeethoven"``."""
    core: str
    """Family name without leading particles: ``"cun"`` for "Le Cun", ``"lecun"`` for "LeCun"."""
    given: tuple[str, ...]

    def same_family(self, other: Name) -> bool:
        """Equal family keys, or equal cores when one side leaves its particles out."""
        if not self.family:
            return False
        if self.family == other.family:
            return True
        return self.core == other.core and (self.family == self.core or other.family == other.core)

    def matches(self, other: Name) -> bool:
        """Same family, and the given names agree as far as both say."""
        if not self.same_family(other):
            return False
        for mine, theirs in zip(self.given, other.given, strict=False):
            if mine[0] != theirs[0]:
                return False
            if len(mine) > 1 and len(theirs) > 1 and mine != theirs:
                return False
        return True


def parse_name(text: str) -> Name:
    """Split a name into given names and a family key; ``"Family, Given"`` is understood."""
    raw = text.strip()
    if raw.count(",") == 1:
        family_part, given_part = raw.split(",")
        family_words = [fold(w) for w in _WORD.findall(family_part)]
        given_words = [fold(w) for w in _WORD.findall(given_part)]
        while len(given_words) > 1 and given_words[-1] in PARTICLES:  # "Beethoven, Ludwig van"
            family_words.insert(0, given_words.pop())
    else:
        words = [fold(w) for w in _WORD.findall(raw)]
        while len(words) > 1 and words[-1] in SUFFIXES:
            words.pop()
        if not words:
            return Name(text=text, family="", core="", given=())
        start = len(words) - 1
        while start > 1 and words[start - 1] in PARTICLES:
            start -= 1
        given_words, family_words = words[:start], words[start:]
    given = tuple(given_words)  # "D. Aa": an initial, even one spelt like a particle
    core_words = list(family_words)
    while len(core_words) > 1 and core_words[0] in PARTICLES:
        core_words.pop(0)
    return Name(text=text, family="".join(family_words), core="".join(core_words), given=given)


@dataclass(frozen=True, slots=True)
class FollowedAuthors:
    """The authors a feed follows, parsed once."""

    names: tuple[Name, ...]

    def __bool__(self) -> bool:
        return bool(self.names)

    def match(self, authors: Sequence[str]) -> list[str]:
        """The followed names (as configured) that appear among ``authors``, in config order."""
        if not self.names:
            return []
        parsed = [parse_name(a) for a in authors]
        keys = {p.family for p in parsed} | {p.core for p in parsed}
        found = []
        for followed in self.names:
            if not {followed.family, followed.core}.isdisjoint(keys) and any(
                followed.matches(p) for p in parsed
            ):
                found.append(followed.text)
        return found


def follow(names: Iterable[str]) -> FollowedAuthors:
    """Parse the followed names (blank ones and duplicates dropped)."""
    seen: dict[str, Name] = {}
    for text in names:
        name = parse_name(" ".join(text.split()))
        if name.family and name.text not in seen:
            seen[name.text] = name
    return FollowedAuthors(names=tuple(seen.values()))


def same_person(a: str, b: str) -> bool:
    """Whether two written names may name the same person."""
    return parse_name(a).matches(parse_name(b))
