"""The listing parser on arXiv's recorded listings, odd content and broken input."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import feedparser
import pytest

from app.arxiv.parse import parse_listing, split_authors
from app.errors import UpstreamParseError
from app.models import AnnounceType
from tests.conftest import ALL4, ARXIV, DAYS, listing

NOW = datetime(2026, 1, 6, 12, tzinfo=UTC)
RECORDED = sorted(p.stem for p in ARXIV.glob("*-20*.xml"))


def parse(name: str) -> list:  # type: ignore[type-arg]
    return parse_listing(listing(name), ["cs.AI"], NOW).papers


@pytest.mark.parametrize("name", RECORDED)
def test_fast_path_agrees_with_feedparser(name: str) -> None:
    """Every recorded listing: same ids, titles, authors and types as feedparser reads."""
    data = listing(name)
    ours = parse_listing(data, ["x"], NOW).papers
    reference = feedparser.parse(data).entries
    assert len(ours) == len(reference) > 0
    for paper, entry in zip(ours, reference, strict=True):
        assert entry.id == f"oai:arXiv.org:{paper.versioned_id}"
        assert paper.title == " ".join(entry.title.split())
        assert paper.authors == [a.strip() for a in entry.author.split(",")]
        assert paper.announce_type.value == entry.arxiv_announce_type
        assert paper.categories == [t.term for t in entry.tags]
        assert paper.abstract in " ".join(entry.summary.split())
        assert not paper.abstract.startswith("arXiv:")


def test_fields_of_a_known_paper() -> None:
    paper = next(p for p in parse(f"{ALL4}-2026-01-06") if p.arxiv_id == "2601.01209")
    assert paper.version == 1
    assert paper.title.startswith("OrchestrRL: Dynamic Compute")
    assert paper.authors[:2] == ["Xin Tan", "Yicheng Feng"]
    assert len(paper.authors) == 6
    assert paper.primary_category == "cs.DC"
    assert paper.announce_type is AnnounceType.NEW
    assert paper.announced == date(2026, 1, 6)
    assert paper.abstract.startswith("Post-training with reinforcement learning (RL)")
    assert paper.license == "http://creativecommons.org/licenses/by/4.0/"
    assert paper.link == "https://arxiv.org/abs/2601.01209"
    assert paper.guid == "https://arxiv.org/abs/2601.01209v1"


@pytest.mark.parametrize("day", DAYS)
def test_types_and_versions(day: str) -> None:
    papers = parse(f"{ALL4}-{day}")
    kinds = {p.announce_type for p in papers}
    assert AnnounceType.NEW in kinds
    for p in papers:
        assert (p.version >= 2) == (p.announce_type is AnnounceType.REPLACE)
        assert re.fullmatch(r"\d{4}\.\d{4,5}", p.arxiv_id)
        assert p.announced == date.fromisoformat(day)
    assert len({p.arxiv_id for p in papers}) == len(papers)  # a paper appears once


def test_cross_listed_paper_keeps_all_categories() -> None:
    crosses = [p for p in parse("cs.LG-2026-01-06") if p.announce_type is AnnounceType.CROSS]
    assert crosses
    for p in crosses:
        assert p.primary_category != "cs.LG"
        assert "cs.LG" in p.categories


def test_unicode_latex_doi_journal_and_old_ids() -> None:
    first, old = parse("unicode")
    assert first.title.startswith("Gödel, Escher and $\\alpha$-Divergence")
    assert "大语言模型 <script>alert(1)</script> & LLM" in first.title
    assert first.authors == ["Kurt Gödel", "Martin Luther King, Jr.", "Zoë Müller", "李华"]
    assert first.abstract.startswith("We study $\\mathcal{O}(n \\log n)$ inference")
    assert first.abstract.endswith("<b>bold</b>. Second line with spaces.")
    assert first.announce_type is AnnounceType.REPLACE_CROSS
    assert (first.arxiv_id, first.version) == ("2601.99901", 2)
    assert first.primary_category == "stat.ML"
    assert first.doi == "10.1000/xyz.123"
    assert first.journal_ref == "Proc. FOO 2025, pp. 1--10"
    assert (old.arxiv_id, old.version, old.doi) == ("hep-th/9901001", 3, None)


def test_empty_weekend_channel_is_an_empty_day() -> None:
    result = parse_listing(listing("cs.AI-weekend"), ["cs.AI"], NOW)
    assert result.papers == []
    assert result.day == date(2026, 1, 10)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "HTML page"),
        (b"<html><head><title>503</title></head></html>", "HTML page"),
        (b"", "empty body"),
        (b"   \n", "empty body"),
        (b"<rss><channel><item><title>cut off", "not well-formed"),
        (b"\x00\x01garbage", "not well-formed"),
    ],
)
def test_broken_bodies_are_upstream_errors(body: bytes, message: str) -> None:
    with pytest.raises(UpstreamParseError, match=message):
        parse_listing(body, ["cs.AI"], NOW)


def test_truncated_recorded_listing_is_an_error() -> None:
    data = listing("cs.LG-2026-01-06")
    with pytest.raises(UpstreamParseError):
        parse_listing(data[: len(data) // 2], ["cs.LG"], NOW)


def test_external_entities_are_not_resolved(tmp_path: object) -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><item><title>&x;</title>"
        b"<guid>oai:arXiv.org:2601.00001v1</guid></item></channel></rss>"
    )
    papers = parse_listing(evil, ["cs.AI"], NOW).papers
    assert all("root:" not in p.title for p in papers)


def test_atom_feed_goes_through_feedparser() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>other</title><id>urn:x</id><updated>2026-01-06T05:00:00Z</updated>
  <entry><id>http://arxiv.org/abs/2601.01234v2</id><title>An Atom Paper</title>
    <updated>2026-01-06T05:00:00Z</updated><published>2026-01-06T05:00:00Z</published>
    <summary>Plain abstract.</summary>
    <author><name>Ada Lovelace</name></author><author><name>Alan Turing</name></author>
    <category term="cs.LG"/><link href="http://arxiv.org/abs/2601.01234v2"/></entry>
</feed>"""
    (paper,) = parse_listing(atom, ["cs.LG"], NOW).papers
    assert (paper.arxiv_id, paper.version) == ("2601.01234", 2)
    assert paper.authors == ["Ada Lovelace", "Alan Turing"]
    assert paper.categories == ["cs.LG"]
    assert paper.announced == date(2026, 1, 6)


@pytest.mark.parametrize(
    ("creators", "expected"),
    [
        ("A. One, B. Two", ["A. One", "B. Two"]),
        ("Solo", ["Solo"]),
        ("", []),
        ("  X ,  , Y  ", ["X", "Y"]),
        ("Sammy Davis, Jr., Jane Roe", ["Sammy Davis, Jr.", "Jane Roe"]),
        ("One, Two, and Three", ["One", "Two", "Three"]),
    ],
)
def test_split_authors(creators: str, expected: list[str]) -> None:
    assert split_authors(creators) == expected
