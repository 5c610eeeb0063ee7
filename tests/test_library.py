"""Library import: every format from realistic exports, detection, ids, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import InvalidLibrary, InvalidQuery
from app.profiles.ids import find_arxiv_id, parse_id_line
from app.profiles.library import detect_format, parse_library
from tests.test_arxiv_ids import VALID_IDS

DATA = Path(__file__).parent / "data" / "library"


def load(name: str, **kwargs: object) -> list:  # type: ignore[type-arg]
    return parse_library((DATA / name).read_bytes(), **kwargs)  # type: ignore[arg-type]


def test_zotero_bibtex_links_arxiv_by_url_doi_and_eprint() -> None:
    attention, maldacena, note = load("zotero.bib")
    assert attention.title == "Attention Is All You Need"
    assert attention.arxiv_id == "1706.03762"
    assert attention.abstract.startswith("The dominant sequence transduction")
    assert attention.authors == ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]
    assert attention.year == 2017
    assert maldacena.arxiv_id == "hep-th/9711200"  # eprint + archivePrefix, old-style id
    assert maldacena.doi == "10.1023/A:1026654312961"
    assert note.title == "A note on the Schrödinger equation"  # LaTeX accent decoded
    assert note.authors == ["Erwin Schrödinger", "Yann Le Cun"]
    assert note.arxiv_id is None


def test_mendeley_bibtex_with_preamble_text_and_double_braces() -> None:
    balazs, streinu = load("mendeley.bib")
    assert balazs.title.startswith("Calculation of prompt diphoton")
    assert balazs.authors[0] == "C. Balázs"
    assert balazs.arxiv_id == "0704.0001"
    assert streinu.arxiv_id == "0704.0002"  # from the versioned URL


def test_ris_records() -> None:
    balazs, streinu, book = load("library.ris")
    assert balazs.arxiv_id == "0704.0001"
    assert balazs.doi == "10.1103/PhysRevD.76.013009"
    assert balazs.abstract.startswith("A fully differential")
    assert streinu.title == "Sparsity-certifying Graph Decompositions"  # T1, not TI
    assert streinu.arxiv_id == "0704.0002"  # from the N1 note
    assert streinu.year == 2007
    assert (book.arxiv_id, book.authors) == (None, ["Jane Doe"])


def test_csl_json_names_and_particles() -> None:
    attention, lecun = load("library.csl.json")
    assert attention.arxiv_id == "1706.03762"
    assert attention.year == 2017
    assert lecun.authors == ["Yann Le Cun", "AT&T Labs"]
    assert lecun.arxiv_id is None
    assert lecun.doi == "10.1109/5.726791"


def test_zotero_csv_with_quotes_and_newlines() -> None:
    attention, maldacena = load("zotero.csv")
    assert attention.abstract == (
        'The dominant sequence transduction models, "quoted", are based on complex recurrent '
        "networks."
    )
    assert attention.authors == ["Ashish Vaswani", "Noam Shazeer"]
    assert maldacena.arxiv_id == "hep-th/9711200"  # from Extra


def test_text_ids_urls_and_dois() -> None:
    entries = load("ids.txt")
    assert [(e.arxiv_id, e.doi) for e in entries] == [
        ("2501.01234", None),
        ("hep-th/0101001", None),
        ("0704.0001", None),
        ("2312.00752", None),
        (None, "10.1103/PhysRevD.76.013009"),
        (None, "10.1023/A:1026654312961"),
    ]
    assert all(e.title is None for e in entries)


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("zotero.bib", None, "bibtex"),
        ("mendeley.bib", "text/plain", "bibtex"),
        ("library.ris", None, "ris"),
        ("library.csl.json", None, "csl-json"),
        ("zotero.csv", None, "zotero-csv"),
        ("ids.txt", "text/plain; charset=utf-8", "text"),
    ],
)
def test_detection_by_content(name: str, content_type: str | None, expected: str) -> None:
    assert detect_format((DATA / name).read_text(encoding="utf-8"), content_type) == expected


def test_detection_by_content_type_and_file_name() -> None:
    assert detect_format("whatever", "application/x-bibtex") == "bibtex"
    assert detect_format("whatever", "application/x-research-info-systems") == "ris"
    assert detect_format("whatever", None, "My Library.csv") == "zotero-csv"
    bib = (DATA / "zotero.bib").read_bytes()
    assert len(parse_library(bib, content_type="application/x-bibtex")) == 3


def test_malformed_bibtex_names_entry_and_line() -> None:
    with pytest.raises(InvalidLibrary, match=r"'broken' at line 3"):
        load("malformed.bib")


def test_errors_are_422_invalid_queries() -> None:
    err = InvalidLibrary("x")
    assert isinstance(err, InvalidQuery)
    assert err.status == 422
    assert err.to_dict()["error"]["code"] == "invalid_library"  # type: ignore[index]


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        ("@article{k1, author={A B}, year=2020}\n", "bibtex", r"'k1' at line 1 has no title"),
        ("TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\n", "ris", r"record 2"),
        ("TY  - JOUR\nAU  - Doe, J\nER  - \n", "ris", r"record 1 \(line 1\) has no title"),
        ('[{"id": "a", "title": "T"}, {"id": "b"}]', "csl-json", r"item 2 \(b\) has no title"),
        ('[{"id": "a", "title": "T"},', "csl-json", r"not valid JSON.*line 1"),
        ('"Title","Url"\n"T","u"\n"","u2"\n', "zotero-csv", r"line 3 has no title"),
        ('"Key","Url"\n"K","u"\n', "zotero-csv", r"no 'Title' column"),
        ("2501.01234\n\nnot an id\n", "text", r"line 3 is not an arXiv id"),
        ("# only a comment\n", "text", r"no entries"),
    ],
)
def test_malformed_files(content: str, fmt: str, message: str) -> None:
    with pytest.raises(InvalidLibrary, match=message):
        parse_library(content, fmt=fmt)  # type: ignore[arg-type]


def test_size_and_count_bounds() -> None:
    with pytest.raises(InvalidLibrary, match=r"at most 100 are accepted"):
        parse_library("2501.01234\n" * 20, max_bytes=100)
    with pytest.raises(InvalidLibrary, match=r"6 entries; at most 5"):
        parse_library("\n".join(f"2501.0123{i}" for i in range(6)), max_entries=5)
    with pytest.raises(InvalidLibrary, match=r"not UTF-8"):
        parse_library(b"\xff\xfe@article{")


def test_arxiv_ids_in_text_must_be_marked() -> None:
    assert find_arxiv_id("we measured 1234.5678 events") is None
    assert find_arxiv_id("see arXiv:2501.01234v3 for details") == "2501.01234"
    assert find_arxiv_id("https://arxiv.org/pdf/math.AG/0601001v2") == "math.AG/0601001"
    assert find_arxiv_id("doi 10.48550/arXiv.2301.00001") == "2301.00001"
    assert find_arxiv_id("2501.01234", bare=True) == "2501.01234"
    assert parse_id_line("not an id") is None


@given(
    VALID_IDS,
    st.integers(min_value=1, max_value=9),
    st.sampled_from(["{}", "arXiv:{}", "https://arxiv.org/abs/{}", "http://arxiv.org/pdf/{}"]),
)
def test_any_id_form_round_trips(arxiv_id: str, version: int, form: str) -> None:
    line = form.format(f"{arxiv_id}v{version}")
    assert parse_id_line(line) == (arxiv_id, None)
    assert parse_library(line)[0].arxiv_id == arxiv_id
