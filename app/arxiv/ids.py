"""The one parser of arXiv identifiers: every form arXiv uses, into one typed ``ArxivId`` (pure).

Accepted, whole (``parse_arxiv_id``), case-insensitively where arXiv is:

- new-style ids ``YYMM.NNNN`` (April 2007 to December 2014) and ``YYMM.NNNNN`` (from January
  2015), with an optional version ``v1``, ``v2``, ...: ``0704.0001``, ``2401.12345v2``;
- old-style ids ``archive[.SC]/YYMMNNN`` (1991 to March 2007): ``hep-th/9901001``,
  ``math.AG/0601001`` (archive lower case, subject class upper case once normalized);
- any of those behind ``arXiv:``, in an ``arxiv.org`` abs, pdf or html URL (``http`` or ``https``,
  ``www.`` or ``export.``; a ``.pdf`` suffix and a trailing slash are fine), or as arXiv's DOI
  ``10.48550/arXiv.<id>`` (also as ``https://doi.org/10.48550/arXiv.<id>`` or ``doi:...``).

Months run 01 to 12 and years stay within arXiv's own (a new-style id before 0704 or an
old-style one after 0703 is no arXiv id). ``find_arxiv_id`` finds an id in running text, where
it counts only when marked as arXiv's (a prefix, a URL, the DOI); callers map ``None`` ("not an
id") to their own error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_YYMM = r"(?P<yy>\d{2})(?P<mm>0[1-9]|1[0-2])"
_NEW = rf"{_YYMM}\.(?P<num>\d{{4,5}})"
_OLD = (
    r"(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.(?P<sc>[a-z]{2}))?"
    r"/(?P<oyy>\d{2})(?P<omm>0[1-9]|1[0-2])(?P<onum>\d{3})"
)
_VERSION = r"(?:v(?P<v>[1-9]\d{0,3}))?"
_ID = rf"(?:{_NEW}|{_OLD}){_VERSION}"
_WRAPPED = re.compile(
    r"\s*(?:arxiv:\s*"
    r"|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
    r"|(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*)?10\.48550/arxiv\.)?"
    rf"{_ID}(?:\.pdf)?/?\s*",
    re.IGNORECASE,
)
_MARKED = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf|html)/|arxiv[:\s]\s*|10\.48550/arxiv\.){_ID}(?![\d.]*\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ArxivId:
    """An arXiv identifier: the id without version (``2401.12345``, ``hep-th/9901001``) and
    the version when one was given."""

    id: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        """``2401.12345v2``, or the bare id when no version was given."""
        return self.id if self.version is None else f"{self.id}v{self.version}"

    @property
    def old_style(self) -> bool:
        """Whether it is an old-style ``archive/YYMMNNN`` id."""
        return "/" in self.id

    def __str__(self) -> str:
        return self.versioned


def _from_match(match: re.Match[str]) -> ArxivId | None:
    version = int(match["v"]) if match["v"] else None
    if match["num"] is not None:
        yymm = int(match["yy"] + match["mm"])
        digits = len(match["num"])
        if yymm < 704 or (digits == 4) != (yymm < 1501):
            return None  # 4 digits from 0704 to 1412, 5 from 1501: arXiv's scheme
        return ArxivId(f"{match['yy']}{match['mm']}.{match['num']}", version)
    year = int(match["oyy"])
    if 7 < year < 91 or (year == 7 and int(match["omm"]) > 3):
        return None  # old-style ids ran from 1991 to March 2007
    subject = f".{match['sc'].upper()}" if match["sc"] else ""
    number = f"{match['oyy']}{match['omm']}{match['onum']}"
    return ArxivId(f"{match['archive'].lower()}{subject}/{number}", version)


def parse_arxiv_id(text: str) -> ArxivId | None:
    """The arXiv id ``text`` is (any form in the module docstring), or None when it is not one."""
    if len(text) > 200:
        return None
    match = _WRAPPED.fullmatch(text)
    return _from_match(match) if match else None


def find_arxiv_id(text: str) -> ArxivId | None:
    """The first arXiv id marked as such in running text (``arXiv:``, a URL, arXiv's DOI)."""
    for match in _MARKED.finditer(text):
        found = _from_match(match)
        if found is not None:
            return found
    return None
