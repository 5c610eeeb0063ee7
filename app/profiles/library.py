"""Library import (pure): a reference manager's export -> a list of ``LibraryEntry``.

Formats: BibTeX (Zotero, Mendeley, JabRef; parsed by ``bibtexparser`` 1.x), RIS (``rispy``),
CSL-JSON (Zotero's "CSL JSON"), Zotero's CSV export, and plain text (one arXiv id, arXiv URL or
DOI per line). ``detect_format`` picks one from the content type, the file name or the content.
Every entry needs a title, except an id line of a text file (resolved later by its id). An
arXiv id found in ``eprint``, a URL, ``archivePrefix``/``note``/``extra`` or a DOI
(``10.48550/arXiv.*``) links the entry to arXiv. The parsers (``app.profiles.parsers``) load
inside the function that uses them, so importing this module costs nothing. The entry cap is
checked on a cheap count first: ``bibtexparser`` takes milliseconds an entry.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Callable
from typing import Literal

from app.errors import InvalidLibrary
from app.profiles.entries import BIBTEX_ENTRY, RIS_TAG, LibraryEntry, special

__all__ = ["LibraryEntry", "LibraryFormat", "count_entries", "detect_format", "parse_library"]

LibraryFormat = Literal["bibtex", "ris", "csl-json", "zotero-csv", "text"]
FORMATS: tuple[LibraryFormat, ...] = ("bibtex", "ris", "csl-json", "zotero-csv", "text")
MAX_ENTRIES = 5000
MAX_BYTES = 5_000_000

CONTENT_TYPES: dict[str, LibraryFormat] = {
    "application/x-bibtex": "bibtex",
    "text/x-bibtex": "bibtex",
    "application/x-research-info-systems": "ris",
    "application/x-ris": "ris",
    "application/vnd.citationstyles.csl+json": "csl-json",
    "application/json": "csl-json",
    "text/csv": "zotero-csv",
}
SUFFIXES: dict[str, LibraryFormat] = {
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".ris": "ris",
    ".json": "csl-json",
    ".csv": "zotero-csv",
    ".txt": "text",
}


def detect_format(
    content: str, content_type: str | None = None, filename: str | None = None
) -> LibraryFormat:
    """The format: a specific content type wins, then the file name, then the content."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in CONTENT_TYPES:
        return CONTENT_TYPES[mime]
    if filename:
        for suffix, fmt in SUFFIXES.items():
            if filename.lower().endswith(suffix):
                return fmt
    head = content.lstrip("\ufeff \t\r\n")
    if head.startswith(("[", "{")):
        return "csl-json"
    if RIS_TAG.search(content):
        return "ris"
    if BIBTEX_ENTRY.search(content):
        return "bibtex"
    first = head.split("\n", 1)[0]
    if '"Title"' in first or ("Title" in first and "Item Type" in first):
        return "zotero-csv"
    return "text"


def parse_library(
    data: bytes | str,
    *,
    content_type: str | None = None,
    filename: str | None = None,
    fmt: LibraryFormat | None = None,
    max_entries: int = MAX_ENTRIES,
    max_bytes: int = MAX_BYTES,
) -> list[LibraryEntry]:
    """Parse a library file; raises ``InvalidLibrary`` naming the entry or line at fault."""
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise InvalidLibrary(
            f"library file is {size:,} bytes; at most {max_bytes:,} are accepted",
            hint="split the library or keep only the papers that define your interests",
        )
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidLibrary(
                f"library file is not UTF-8 (byte {exc.start})", hint="export it as UTF-8"
            ) from None
    text = data.removeprefix("\ufeff")
    chosen = fmt or detect_format(text, content_type, filename)
    _check_count(count_entries(text, chosen), max_entries)  # before the (slow) parse
    from app.profiles import parsers

    read: dict[LibraryFormat, Callable[[str], list[LibraryEntry]]] = {
        "bibtex": parsers.parse_bibtex,
        "ris": parsers.parse_ris,
        "csl-json": parsers.parse_csl_json,
        "zotero-csv": parsers.parse_zotero_csv,
        "text": parsers.parse_text,
    }
    entries = read[chosen](text)
    if not entries:
        raise InvalidLibrary(f"no entries found in the {chosen} file")
    _check_count(len(entries), max_entries)
    return entries


def _check_count(count: int, max_entries: int) -> None:
    if count > max_entries:
        raise InvalidLibrary(
            f"library has {count:,} entries; at most {max_entries:,} are accepted",
            hint="keep the papers that define your interests (the newest matter most)",
        )


def count_entries(text: str, fmt: LibraryFormat) -> int:
    """The entries of a ``fmt`` file, counted without parsing them (0 when unreadable)."""
    if fmt == "bibtex":
        return sum(1 for m in BIBTEX_ENTRY.finditer(text) if not special(m.group(1)))
    if fmt == "ris":
        return len(RIS_TAG.findall(text))
    if fmt == "text":
        return sum(1 for line in text.splitlines() if line.strip()[:1] not in ("", "#"))
    with contextlib.suppress(csv.Error, json.JSONDecodeError):
        if fmt == "zotero-csv":
            return sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1
        data = json.loads(text)
        return len(data) if isinstance(data, list) else 1
    return 0
