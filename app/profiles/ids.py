"""Finding arXiv ids and DOIs in free text, URLs and bibliography fields (pure).

New-style ids (``2501.01234``, ``0704.0001``, with an optional ``v2``) and old-style ones
(``hep-th/0101001``, ``math.AG/0601001``). In running text an id counts only when it is marked
as arXiv's (``arXiv:``, an ``arxiv.org`` URL, a ``10.48550/arXiv.`` DOI); a field that holds
nothing but an id (BibTeX ``eprint``, a line of a text library) may give it bare.
"""

from __future__ import annotations

import re

_NEW = r"\d{4}\.\d{4,5}"
_OLD = r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}"
_ID = rf"(?P<id>{_NEW}|{_OLD})(?:v\d+)?"
_MARKED = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf|html)/|arxiv[:\s]\s*|10\.48550/arxiv\.){_ID}(?!\d)",
    re.IGNORECASE,
)
_BARE = re.compile(rf"^\s*(?:arxiv:\s*)?{_ID}(?:\.pdf)?\s*$", re.IGNORECASE)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_DOI_URL = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def _normal(arxiv_id: str) -> str:
    """Old-style archive names are lower case, the subject class upper (``math.AG``)."""
    if "/" in arxiv_id:
        archive, number = arxiv_id.split("/")
        name, _, subject = archive.partition(".")
        return f"{name.lower()}{'.' + subject.upper() if subject else ''}/{number}"
    return arxiv_id


def find_arxiv_id(text: str, *, bare: bool = False) -> str | None:
    """The version-free arXiv id in ``text``, or None; ``bare`` also accepts an unmarked id
    when it is all the text holds."""
    if bare:
        match = _BARE.match(text)
        if match:
            return _normal(match.group("id"))
    match = _MARKED.search(text)
    return _normal(match.group("id")) if match else None


def find_doi(text: str) -> str | None:
    """A DOI (``10.xxxx/...``) in ``text``, trailing punctuation dropped."""
    match = _DOI.search(text)
    return match.group(1).rstrip(".,;)]}") if match else None


def parse_id_line(line: str) -> tuple[str | None, str | None] | None:
    """``(arxiv_id, doi)`` for one line of a text library, or None when it is neither."""
    arxiv_id = find_arxiv_id(line, bare=True)
    if arxiv_id:
        return arxiv_id, None
    stripped = _DOI_URL.sub("", line.strip())
    doi = find_doi(stripped)
    if doi and stripped.startswith(doi):
        return None, doi
    return None
