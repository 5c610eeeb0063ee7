"""The one arXiv-id parser: every form arXiv uses, and nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.arxiv.ids import ArxivId, find_arxiv_id, parse_arxiv_id


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
