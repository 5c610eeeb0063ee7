"""The parser of each library format (pure), used by ``app.profiles.library.parse_library``.

BibTeX via ``bibtexparser`` 1.x, RIS via ``rispy``, CSL-JSON, Zotero's CSV export and plain
text; each error names the entry, record or line at fault.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from app.errors import InvalidLibrary
from app.profiles.entries import BIBTEX_ENTRY, RIS_TAG, LibraryEntry, special
from app.profiles.ids import find_arxiv_id, find_doi, parse_id_line

_BRACES = re.compile(r"[{}]")
_SPACES = re.compile(r"\s+")


def _line_numbers(text: str, starts: Iterable[int]) -> list[int]:
    """The line number of each offset in ``starts`` (ascending), in one pass over ``text``."""
    numbers: list[int] = []
    line, last = 1, 0
    for start in starts:
        line += text.count("\n", last, start)
        last = start
        numbers.append(line)
    return numbers


def _clean(value: object) -> str:
    """Braces gone, whitespace collapsed."""
    return _SPACES.sub(" ", _BRACES.sub("", str(value or ""))).strip()


def _year(value: object) -> int | None:
    match = re.search(r"\b(1[89]\d\d|2\d\d\d)\b", str(value or ""))
    return int(match.group(1)) if match else None


def _given_first(name: str) -> str:
    """``"LeCun, Yann"`` -> ``"Yann LeCun"``; other forms unchanged."""
    name = _clean(name)
    if name.count(",") == 1:
        family, given = (part.strip() for part in name.split(","))
        return f"{given} {family}".strip()
    return name


def _entry(
    where: str,
    title: object,
    *,
    abstract: object = "",
    authors: Iterable[str] = (),
    doi: object = None,
    year: object = None,
    id_sources: Iterable[object] = (),
    eprint: object = None,
) -> LibraryEntry:
    """Build one entry; ``where`` names it in the error when the title is missing."""
    clean_title = _clean(title)
    if not clean_title:
        raise InvalidLibrary(f"{where} has no title", hint="every entry needs a title")
    sources = [str(s) for s in id_sources if s]
    arxiv_id = find_arxiv_id(str(eprint), bare=True) if eprint else None
    doi_text = _clean(doi) or None
    if arxiv_id is None:
        arxiv_id = next((i for i in map(find_arxiv_id, [doi_text or "", *sources]) if i), None)
    found_doi = find_doi(doi_text) if doi_text else None
    return LibraryEntry(
        title=clean_title,
        abstract=_clean(abstract),
        authors=[a for a in (_given_first(n) for n in authors) if a],
        arxiv_id=arxiv_id,
        doi=found_doi,
        year=_year(year),
    )


def parse_bibtex(text: str) -> list[LibraryEntry]:
    """BibTeX via ``bibtexparser`` 1.x; an entry it could not read is an error with its line."""
    import bibtexparser
    from bibtexparser.bparser import BibTexParser
    from bibtexparser.customization import convert_to_unicode

    found = [m for m in BIBTEX_ENTRY.finditer(text) if not special(m.group(1))]
    lines_at = _line_numbers(text, (m.start() for m in found))
    declared = [(m.group(2), line) for m, line in zip(found, lines_at, strict=True)]
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    parser.customization = convert_to_unicode
    try:
        records = bibtexparser.loads(text, parser=parser).entries
    except Exception as exc:  # pyparsing errors carry no stable type
        raise InvalidLibrary(f"BibTeX file could not be parsed: {exc}") from None
    parsed = {r.get("ID") for r in records}
    for key, line in declared:
        if key not in parsed:
            raise InvalidLibrary(
                f"BibTeX entry {key or '(no key)'!r} at line {line} could not be parsed",
                hint="check its braces and quotes, and the comma after each field",
            )
    lines = dict(declared)
    entries = []
    for record in records:
        key = record.get("ID", "")
        where = f"BibTeX entry {key!r} at line {lines.get(key, '?')}"
        prefix = record.get("archiveprefix", "") or record.get("eprinttype", "")
        eprint = record.get("eprint") if "arxiv" in prefix.lower() or not prefix else None
        entries.append(
            _entry(
                where,
                record.get("title"),
                abstract=record.get("abstract", ""),
                authors=_split_bibtex_authors(record.get("author", "")),
                doi=record.get("doi"),
                year=record.get("year") or record.get("date"),
                eprint=eprint,
                id_sources=[
                    record.get("url"),
                    record.get("note"),
                    record.get("journal"),
                    record.get("howpublished"),
                    record.get("arxivid"),
                ],
            )
        )
    return entries


def _split_bibtex_authors(field: str) -> list[str]:
    return [a for a in re.split(r"\s+and\s+", _clean(field)) if a and a.lower() != "others"]


def parse_ris(text: str) -> list[LibraryEntry]:
    """RIS via ``rispy``; a record without ``TY`` or ``ER`` is an error with its line."""
    import rispy

    starts = _line_numbers(text, (m.start() for m in RIS_TAG.finditer(text)))
    try:
        records: list[dict[str, Any]] = rispy.loads(text)
    except Exception as exc:  # rispy raises IOError or IndexError for broken records
        raise InvalidLibrary(f"RIS file could not be parsed: {exc}") from None
    if len(records) != len(starts) or text.count("\nER  -") + text.startswith("ER  -") < len(
        starts
    ):
        line = starts[len(records)] if len(records) < len(starts) else starts[-1]
        raise InvalidLibrary(
            f"RIS record {len(records) + 1} (line {line}) is incomplete",
            hint="each record runs from 'TY  - ' to 'ER  - '",
        )
    entries = []
    for number, (record, line) in enumerate(zip(records, starts, strict=True), start=1):
        urls = record.get("urls") or []
        entries.append(
            _entry(
                f"RIS record {number} (line {line})",
                record.get("title") or record.get("primary_title") or record.get("short_title"),
                abstract=record.get("abstract", ""),
                authors=(record.get("authors") or []) + (record.get("first_authors") or []),
                doi=record.get("doi"),
                year=record.get("year") or record.get("publication_year") or record.get("date"),
                id_sources=[*urls, *(record.get("notes") or []), record.get("number")],
            )
        )
    return entries


def parse_csl_json(text: str) -> list[LibraryEntry]:
    """CSL-JSON (a list of items, or one item); errors name the item by number and id."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidLibrary(
            f"CSL-JSON is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    items = data if isinstance(data, list) else [data]
    entries = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise InvalidLibrary(f"CSL-JSON item {number} is not an object")
        where = f"CSL-JSON item {number} ({item.get('id', 'no id')})"
        entries.append(
            _entry(
                where,
                item.get("title"),
                abstract=item.get("abstract", ""),
                authors=[_csl_name(a) for a in item.get("author") or [] if isinstance(a, Mapping)],
                doi=item.get("DOI"),
                year=_csl_year(item.get("issued")),
                id_sources=[item.get("URL"), item.get("number"), item.get("note")],
            )
        )
    return entries


def _csl_name(name: Mapping[str, Any]) -> str:
    if name.get("literal"):
        return str(name["literal"])
    parts = [name.get("given"), name.get("non-dropping-particle"), name.get("family")]
    return " ".join(str(p) for p in parts if p)


def _csl_year(issued: object) -> object:
    if isinstance(issued, Mapping):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            return parts[0][0]
        return issued.get("raw") or issued.get("literal")
    return None


def parse_zotero_csv(text: str) -> list[LibraryEntry]:
    """Zotero's CSV export (``Title``, ``Author`` as ``Family, Given; ...``, ``Url``, ...)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "Title" not in reader.fieldnames:
        raise InvalidLibrary("CSV library has no 'Title' column", hint="use Zotero's CSV export")
    entries = []
    try:
        for row in reader:
            if None in row:
                raise InvalidLibrary(f"CSV row at line {reader.line_num} has extra columns")
            entries.append(
                _entry(
                    f"CSV row at line {reader.line_num}",
                    row.get("Title"),
                    abstract=row.get("Abstract Note", ""),
                    authors=[a for a in (row.get("Author") or "").split(";") if a.strip()],
                    doi=row.get("DOI"),
                    year=row.get("Publication Year") or row.get("Date"),
                    id_sources=[row.get("Url"), row.get("Extra"), row.get("Archive Location")],
                )
            )
    except csv.Error as exc:
        raise InvalidLibrary(f"CSV library line {reader.line_num}: {exc}") from None
    return entries


def parse_text(text: str) -> list[LibraryEntry]:
    """One arXiv id, arXiv URL or DOI per line; blank lines and ``#`` comments are skipped."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parsed = parse_id_line(line)
        if parsed is None:
            raise InvalidLibrary(
                f"line {number} is not an arXiv id, arXiv URL or DOI: {line[:80]!r}",
                hint="write one id per line, e.g. 2501.01234, hep-th/0101001 or 10.1000/xyz",
            )
        arxiv_id, doi = parsed
        entries.append(LibraryEntry(arxiv_id=arxiv_id, doi=doi))
    return entries
