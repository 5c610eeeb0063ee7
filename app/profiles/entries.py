"""One entry of a user's library, and how each format's entries start (pure).

``app.profiles.library`` reads library files into ``LibraryEntry`` models (with the parsers
of ``app.profiles.parsers``); the entry-start patterns let both count entries cheaply.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

BIBTEX_ENTRY = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(][ \t]*([^,\s]*)", re.MULTILINE)
BIBTEX_SPECIAL = frozenset({"comment", "string", "preamble"})
RIS_TAG = re.compile(r"^TY  - ", re.MULTILINE)


class LibraryEntry(BaseModel):
    """One paper of a user's library, as far as the export tells."""

    model_config = ConfigDict(frozen=True)

    title: str | None = Field(default=None, description="None only for a bare id line")
    abstract: str = ""
    authors: list[str] = Field(default_factory=list, description="'Given Family' order")
    arxiv_id: str | None = Field(default=None, description="Version-free, e.g. 2501.01234")
    doi: str | None = None
    year: int | None = None
    added: datetime | None = Field(
        default=None,
        description="When it entered the library (Zotero's dateAdded), where the source says",
    )

    @property
    def label(self) -> str:
        """How the entry is named in explanations: its arXiv id, else DOI, else title."""
        return self.arxiv_id or self.doi or self.title or ""


def special(kind: str) -> bool:
    """Whether a BibTeX ``@kind`` is no entry (``@comment``, ``@string``, ``@preamble``)."""
    return kind.lower() in BIBTEX_SPECIAL
