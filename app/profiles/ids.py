"""Finding arXiv ids and DOIs in free text, URLs and bibliography fields (pure).

Ids are read by ``app.arxiv.ids``, the one parser of arXiv ids. In running text an id counts
only when it is marked as arXiv's (``arXiv:``, an ``arxiv.org`` URL, a ``10.48550/arXiv.`` DOI);
a field that holds nothing but an id (BibTeX ``eprint``, a line of a text library) may give it
bare.
"""

from __future__ import annotations

import re

from app.arxiv.ids import find_arxiv_id as find_marked
from app.arxiv.ids import parse_arxiv_id

_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_DOI_URL = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def find_arxiv_id(text: str, *, bare: bool = False) -> str | None:
    """The version-free arXiv id in ``text``, or None; ``bare`` also accepts an id in any form
    ``app.arxiv.ids`` reads (an unmarked one included) when it is all the text holds."""
    found = (parse_arxiv_id(text) if bare else None) or find_marked(text)
    return found.id if found else None


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
