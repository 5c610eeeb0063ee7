"""The one arXiv-id parser: every form arXiv uses, and nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.arxiv.ids import ArxivId, find_arxiv_id, parse_arxiv_id
from app.errors import InvalidQuery


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.12345", ArxivId("2401.12345")),
        ("2401.12345v2", ArxivId("2401.12345", 2)),
        ("0704.0001", ArxivId("0704.0001")),
        ("1412.9999v10", ArxivId("1412.9999", 10)),
        ("arXiv:2601.01493", ArxivId("2601.01493")),
        ("ARXIV: 2601.01493v1", ArxivId("2601.01493", 1)),
        ("https://arxiv.org/abs/2601.01493v3", ArxivId("2601.01493", 3)),
        ("http://www.arxiv.org/pdf/2601.01493.pdf", ArxivId("2601.01493")),
        ("https://export.arxiv.org/abs/2601.01493/", ArxivId("2601.01493")),
        ("https://arxiv.org/html/2601.01493v1", ArxivId("2601.01493", 1)),
        ("arxiv.org/abs/2601.01493", ArxivId("2601.01493")),
        ("10.48550/arXiv.2601.01493", ArxivId("2601.01493")),
        ("https://doi.org/10.48550/arXiv.2601.01493", ArxivId("2601.01493")),
        ("doi:10.48550/ARXIV.2601.01493", ArxivId("2601.01493")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
        ("math.AG/0601001", ArxivId("math.AG/0601001")),
        ("math.ag/0601001", ArxivId("math.AG/0601001")),
        ("arXiv:cond-mat/0703001", ArxivId("cond-mat/0703001")),
        ("https://arxiv.org/abs/astro-ph/9205001", ArxivId("astro-ph/9205001")),
        ("  2401.12345  ", ArxivId("2401.12345")),
    ],
)
def test_every_form_arxiv_uses_parses(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2613.01493",  # month 13
        "2600.01493",  # month 0
        "2401.1234",  # 4 digits after 2014
        "1412.12345",  # 5 digits before 2015
        "0612.0001",  # new style before April 2007
        "2401.12345v0",
        "2401.12345v",
        "2401.123456",
        "hep-th/0704001",  # old style after March 2007
        "hep-th/9913001",
        "hep-th/990100",
        "https://evil.example/abs/2401.12345",
        "10.1234/arXiv.2401.12345",
        "2401.12345 and more",
        "arXiv:" + "1" * 300,
    ],
)
def test_what_is_no_arxiv_id_is_refused(text: str) -> None:
    assert parse_arxiv_id(text) is None


def test_versioned_and_str() -> None:
    assert str(ArxivId("2401.12345", 2)) == "2401.12345v2"
    assert ArxivId("2401.12345").versioned == "2401.12345"
    assert ArxivId("hep-th/9901001").old_style
    assert not ArxivId("2401.12345").old_style


def test_running_text_needs_a_mark() -> None:
    assert find_arxiv_id("see 2401.12345 for details") is None
    assert find_arxiv_id("see arXiv:2401.12345v2.") == ArxivId("2401.12345", 2)
    assert find_arxiv_id("url https://arxiv.org/abs/hep-th/9901001 x") == ArxivId("hep-th/9901001")
    assert find_arxiv_id("doi 10.48550/arXiv.2401.12345") == ArxivId("2401.12345")
    assert find_arxiv_id("arXiv:2401.123456") is None


OLD_IDS = st.builds(
    lambda archive, yy, mm, num: f"{archive}/{yy:02d}{mm:02d}{num:03d}",
    st.sampled_from(["hep-th", "math", "math.AG", "cond-mat", "astro-ph", "q-alg"]),
    st.sampled_from([91, 95, 99, 0, 3, 6]),
    st.integers(1, 12),
    st.integers(0, 999),
)
NEW_IDS = st.builds(
    lambda yymm, num, v: (f"{yymm:04d}.{num:0{4 if yymm < 1501 else 5}d}", v),
    st.integers(704, 9912).filter(lambda n: 1 <= n % 100 <= 12),
    st.integers(0, 9999),
    st.one_of(st.none(), st.integers(1, 99)),
)
FORMS = ("{}", "arXiv:{}", "https://arxiv.org/abs/{}", "https://arxiv.org/pdf/{}.pdf",
         "10.48550/arXiv.{}")  # fmt: skip


@given(NEW_IDS, st.sampled_from(FORMS))
def test_a_new_style_id_reads_back_in_every_form(made: tuple[str, int | None], form: str) -> None:
    ident, version = made
    text = form.format(ident + (f"v{version}" if version else ""))
    assert parse_arxiv_id(text) == ArxivId(ident, version)


VALID_IDS = st.one_of(NEW_IDS.map(lambda made: made[0]), OLD_IDS)  # version-free, valid


def _accepts(call: Callable[[], object]) -> bool:
    try:
        call()
    except (InvalidQuery, ValidationError, ValueError):
        return False
    return True


TEXTS = st.one_of(
    st.tuples(VALID_IDS, st.one_of(st.none(), st.integers(1, 12)), st.sampled_from(FORMS)).map(
        lambda t: t[2].format(t[0] + (f"v{t[1]}" if t[1] else ""))
    ),
    st.from_regex(r"\A[0-9]{4}\.[0-9]{3,6}(v[0-9]{1,2})?\Z"),  # mostly invalid months and eras
    st.from_regex(r"\A[a-z-]{2,9}(\.[A-Za-z]{2})?/[0-9]{6,8}\Z"),
    st.from_regex(r"\A(arxiv:|https://arxiv\.org/(abs|pdf)/)[0-9.v/a-z]{4,16}\Z"),
    st.text(max_size=30),
)


@given(TEXTS)
def test_every_entry_point_accepts_exactly_what_the_parser_does(text: str) -> None:
    """``?like=``, a profile's likes, the lookup, ``/api/papers/{id}`` and a library line all
    read ids through ``app.arxiv.ids``: they accept the same inputs, as the same id."""
    from app.arxiv.api import normalize_id
    from app.profiles.ids import parse_id_line
    from app.profiles.model import Profile
    from app.queries import parse_likes
    from app.routes.papers import parse_paper_id

    found = parse_arxiv_id(text)
    single = "," not in text and " " not in text.strip() and text.strip() != ""
    if single:  # ?like= splits on commas and spaces: one id per piece
        assert _accepts(lambda: parse_likes(text, 50)) == (found is not None)
        if found is not None:
            assert parse_likes(text, 50) == (found.id,)
    assert _accepts(lambda: Profile(like=[text])) == (found is not None)
    assert (normalize_id(text) is not None) == (found is not None)
    assert _accepts(lambda: parse_paper_id(text)) == (found is not None)
    if found is not None:
        assert Profile(like=[text]).like == [found.id]
        assert normalize_id(text) == found.versioned
        assert parse_paper_id(text) == (found.id, found.version)
        # a line of a text library reads the same id (it also finds ids marked in running text)
        assert parse_id_line(text) == (found.id, None)
