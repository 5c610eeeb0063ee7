"""Structured metadata in every format: license, DOI, journal reference, announce type and code
links in RSS, Atom, JSON Feed, the digest and the JSON API; the RSS channel's link and skipDays."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import etree

from app.arxiv.links import code_links
from app.models import RankedFeed
from app.render.arxiv_ext import ARXIV_NS
from app.render.feeds import FeedMeta, render_atom, render_rss
from app.render.jsonfeed import render_json_feed
from app.render.markdown import DigestMeta, render_digest
from app.schemas import PaperOut
from tests.test_jsonfeed import ranked

META = FeedMeta(title="arXiv papers", self_url="https://f.test/rss", site_url="https://f.test/")
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
AX = f"{{{ARXIV_NS}}}"
LICENSE = "http://creativecommons.org/licenses/by/4.0/"
ABSTRACT_TAIL = (
    " Code: https://github.com/acme/tool. Weights at huggingface.co/acme/model (see"
    " https://acme.github.io/tool/); mirror https://gitlab.com/acme/tool, arXiv:"
    " https://arxiv.org/abs/2401.00001."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Code is at https://github.com/org/repo.", [("github", "https://github.com/org/repo")]),
        ("(github.com/org/repo)", [("github", "https://github.com/org/repo")]),
        ("see https://hf.co/org/m!", [("huggingface", "https://hf.co/org/m")]),
        ("page: https://org.github.io/p/.", [("project", "https://org.github.io/p/")]),
        ("https://gitlab.com/g/p; more", [("gitlab", "https://gitlab.com/g/p")]),
        (
            "https://github.com/a/b and https://github.com/a/b/",
            [("github", "https://github.com/a/b")],
        ),
        ("https://arxiv.org/abs/1 https://doi.org/10.1/x mail a@github.com/x", []),
        (
            "https://github.com/ alone, and https://en.wikipedia.org/wiki/X_(y).",
            [("project", "https://en.wikipedia.org/wiki/X_(y)")],
        ),
    ],
)
def test_code_links(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(c.kind, c.url) for c in code_links(text)] == expected


def rich_feed() -> RankedFeed:
    feed = ranked("cs.AI+cs.CL+cs.DC+cs.LG-2026-01-06")
    first = feed.items[0]
    paper = first.paper.model_copy(
        update={
            "abstract": first.paper.abstract + ABSTRACT_TAIL,
            "doi": "10.1145/3600006.3613165",
            "journal_ref": "SOSP '23 <best>",
            "license": LICENSE,
        }
    )
    items = [first.model_copy(update={"paper": paper}), *feed.items[1:]]
    return feed.model_copy(update={"items": items})


EXPECTED_CODE = [
    ("GitHub", "https://github.com/acme/tool"),
    ("Hugging Face", "https://huggingface.co/acme/model"),
    ("Project page", "https://acme.github.io/tool/"),
    ("GitLab", "https://gitlab.com/acme/tool"),
]


def test_rss_items_and_channel() -> None:
    feed = rich_feed()
    root = etree.fromstring(render_rss(feed, META))
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("link") == "https://f.test/"  # the site, not the feed itself
    assert [d.text for d in channel.iterfind("skipDays/day")] == ["Saturday", "Sunday"]
    self_link = channel.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href") == "https://f.test/rss"
    items = channel.findall("item")
    first = items[0]
    assert first.findtext(f"{DC}rights") == LICENSE
    assert first.findtext(f"{AX}announce_type") == feed.items[0].paper.announce_type.value
    assert first.findtext(f"{AX}DOI") == "10.1145/3600006.3613165"
    assert first.findtext(f"{AX}journal_reference") == "SOSP '23 <best>"
    html = first.findtext("description") or ""
    assert '<a href="https://doi.org/10.1145/3600006.3613165">' in html
    for name, url in EXPECTED_CODE:
        assert f'<a href="{url}">{name}</a>' in html
    for item, ranked_item in zip(items, feed.items, strict=True):
        assert item.findtext(f"{AX}announce_type") == ranked_item.paper.announce_type.value
        assert item.findtext(f"{DC}rights") == ranked_item.paper.license


def test_atom_entries() -> None:
    feed = rich_feed()
    root = etree.fromstring(render_atom(feed, META))
    entry = root.find(f"{ATOM}entry")
    assert entry is not None
    assert entry.findtext(f"{ATOM}rights") == LICENSE
    assert entry.findtext(f"{AX}DOI") == "10.1145/3600006.3613165"
    assert entry.findtext(f"{AX}announce_type") == feed.items[0].paper.announce_type.value
    related = [
        (e.get("title"), e.get("href")) for e in entry.iterfind(f"{ATOM}link[@rel='related']")
    ]
    assert related == [
        ("DOI 10.1145/3600006.3613165", "https://doi.org/10.1145/3600006.3613165"),
        *EXPECTED_CODE,
    ]
    alternate = entry.find(f"{ATOM}link")
    assert alternate is not None
    assert alternate.get("href") == feed.items[0].paper.link


def test_json_feed_and_api() -> None:
    feed = rich_feed()
    doc: dict[str, Any] = json.loads(render_json_feed(feed, META))
    ext = doc["items"][0]["_arxiv"]
    assert ext["license"] == LICENSE
    assert ext["doi"] == "10.1145/3600006.3613165"
    assert ext["journal_ref"] == "SOSP '23 <best>"
    expected = [
        {"kind": "github", "url": "https://github.com/acme/tool"},
        {"kind": "huggingface", "url": "https://huggingface.co/acme/model"},
        {"kind": "project", "url": "https://acme.github.io/tool/"},
        {"kind": "gitlab", "url": "https://gitlab.com/acme/tool"},
    ]
    assert ext["code_links"] == expected
    out = PaperOut.of(feed.items[0]).model_dump(mode="json")
    assert out["code_links"] == expected
    assert out["doi_link"] == "https://doi.org/10.1145/3600006.3613165"
    assert PaperOut.of(feed.items[1]).model_dump(mode="json")["doi_link"] is None


def test_digest_shows_code_doi_and_journal() -> None:
    text = render_digest(rich_feed(), DigestMeta(title="arXiv papers"))
    block = text.split("### 2.")[0]
    assert "**DOI**: [10.1145/3600006.3613165](<https://doi.org/10.1145/3600006.3613165>)" in block
    assert "**Journal ref**: SOSP '23 &lt;best&gt;" in block
    code = "**Code**: " + " · ".join(f"[{n}](<{u}>)" for n, u in EXPECTED_CODE)
    assert code in block
