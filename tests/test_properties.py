"""Property tests (hypothesis): the parser, the keyword matcher and the query parameters.

* ``parse_listing``: any text in a title, author or abstract, XML-escaped into a listing, comes
  back as it went in (whitespace folded), or, when XML cannot carry it (C0 controls, U+FFFE),
  the listing is an ``UpstreamParseError``; any bytes, any mangled listing and any value in any
  field of an item give a ``Listing`` or an ``UpstreamParseError``, never another exception.
* ``compile_keywords``/``find_keywords``: a keyword between non-word characters is found, one
  glued to letters is not, case does not matter, duplicates count once, nothing raises.
* Query strings and category path segments through the ASGI app: 200, 304, 404 or 422 with a
  JSON error, never a 500.

The example database is off (``database=None``) so a run leaves no ``.hypothesis/`` folder;
a failure prints its falsifying example, which ``@example`` can pin.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

import httpx
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from app.arxiv import taxonomy
from app.arxiv.parse import parse_listing
from app.errors import UpstreamParseError
from app.keywords import compile_keywords
from app.main import create_app
from app.models import Listing
from app.ranking.index import find_keywords
from app.store import MemoryStore
from tests.conftest import FakeArxiv, listing, make_settings

NOW = datetime(2026, 1, 6, 12, tzinfo=UTC)
QUICK = settings(database=None, deadline=None, max_examples=200)

# -- text strategies ------------------------------------------------------------------------------

TRICKY = [
    "<script>alert(1)</script>",
    "&",
    "&amp;",
    "&lt",
    "&#0;",
    "&#xD800;",
    "&bogus;",
    "&#x110000;",
    "]]>",
    "<![CDATA[x]]>",
    "<!-- c -->",
    "<?pi x?>",
    '"',
    "'",
    "大语言模型的高效推理",
    "😀👩‍🔬🇨🇳",
    "\x00",
    "\x01",
    "\x0b",
    "\x1f",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\U0001fffe",
    "\r\n",
    "\r",
    "\t",
    "ΛΟΓΟΣ",
    "İı",
    "$\\alpha$",
    "Abstract:",
    "arXiv:2601.00001v2 Announce Type: cross",
]
CHARS = st.characters(exclude_categories=["Cs"])  # lone surrogates cannot be UTF-8 encoded
any_text = st.lists(st.one_of(st.text(CHARS), st.sampled_from(TRICKY)), max_size=8).map("".join)
NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


def fold(text: str) -> str:
    """Whitespace folded as the parser does (and as XML turns CR and CRLF into LF)."""
    return " ".join(text.split())


def plain_name(name: str) -> bool:
    """An author name ``split_authors`` keeps as it is (no comma, no "Jr.", no "and ...")."""
    low = fold(name).lower()
    return "," not in name and low not in NAME_SUFFIXES and not low.startswith("and ")


author_name = st.one_of(st.text(CHARS), st.sampled_from(TRICKY)).filter(plain_name)


def xml_can_carry(text: str) -> bool:
    """Whether every character is a ``Char`` of XML 1.0."""
    return all(
        c in "\t\n\r"
        or 0x20 <= ord(c) <= 0xD7FF
        or 0xE000 <= ord(c) <= 0xFFFD
        or 0x10000 <= ord(c) <= 0x10FFFF
        for c in text
    )


# -- listings built with XML escaping ----------------------------------------------------------

CHANNEL = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
     version="2.0"><channel><title>cs.AI updates on arXiv.org</title>
<pubDate>{day}</pubDate>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>{link}</link>
<description>{description}</description>
<guid isPermaLink="false">{guid}</guid>{categories}<pubDate>{pub}</pubDate>
<arxiv:announce_type>{kind}</arxiv:announce_type><dc:rights>{rights}</dc:rights>
<dc:creator>{creators}</dc:creator><arxiv:DOI>{doi}</arxiv:DOI></item>"""
ARXIV_DATE = "Tue, 06 Jan 2026 00:00:00 -0500"


def item(
    *,
    title: str = "A title",
    creators: str = "Ada Lovelace, Alan Turing",
    abstract: str = "An abstract.",
    guid: str = "oai:arXiv.org:2601.00001v1",
    link: str = "https://arxiv.org/abs/2601.00001",
    description: str | None = None,
    categories: tuple[str, ...] = ("cs.AI",),
    pub: str = ARXIV_DATE,
    kind: str = "new",
    rights: str = "http://creativecommons.org/licenses/by/4.0/",
    doi: str = "10.1000/xyz",
) -> str:
    """One ``<item>``, every value XML-escaped."""
    if description is None:
        description = f"arXiv:2601.00001v1 Announce Type: {kind} \nAbstract: {abstract}"
    return ITEM.format(
        title=escape(title),
        link=escape(link),
        description=escape(description),
        guid=escape(guid),
        categories="".join(f"<category>{escape(c)}</category>" for c in categories),
        pub=escape(pub),
        kind=escape(kind),
        rights=escape(rights),
        creators=escape(creators),
        doi=escape(doi),
    )


def channel(*items: str, day: str = ARXIV_DATE) -> bytes:
    return CHANNEL.format(day=escape(day), items="\n".join(items)).encode("utf-8")


def parse_or_parse_error(data: bytes) -> Listing | None:
    """``parse_listing``'s result, or None when it raised ``UpstreamParseError``.

    Any other exception propagates and fails the test.
    """
    try:
        return parse_listing(data, ["cs.AI"], NOW)
    except UpstreamParseError:
        return None


# -- (a) the parser ------------------------------------------------------------------------------


@QUICK
@given(title=any_text, authors=st.lists(author_name, max_size=6), abstract=any_text)
@example(
    title="<script>alert(1)</script> & &bogus; 大语言模型 😀", authors=["李华"], abstract="]]>"
)
@example(title="x\x01y", authors=[], abstract="")
@example(title=" \r\n\t ", authors=[], abstract="a")
def test_text_comes_back_as_it_went_in(title: str, authors: list[str], abstract: str) -> None:
    creators = ", ".join(authors)
    data = channel(item(title=title, creators=creators, abstract=abstract))
    if not xml_can_carry(title + creators + abstract):
        with pytest.raises(UpstreamParseError):
            parse_listing(data, ["cs.AI"], NOW)
        return
    papers = parse_listing(data, ["cs.AI"], NOW).papers
    if not fold(title):
        assert papers == []  # no title: not a paper
        return
    (paper,) = papers
    assert paper.title == fold(title)
    assert paper.abstract == fold(abstract)
    assert paper.authors == [fold(a) for a in authors if fold(a)]
    assert paper.versioned_id == "2601.00001v1"


@QUICK
@given(st.binary(max_size=2000))
@example(b"")
@example(b"<html><body>maintenance</body></html>")
@example(b"<?xml version='1.0'?><rss><channel/></rss>")
@example(b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>x</id></entry></feed>")
@example(b"\xef\xbb\xbf<rss><channel><item><title>t</title></item></channel></rss>")
@example(b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><rss>&b;</rss>')
def test_any_bytes_give_a_listing_or_a_parse_error(data: bytes) -> None:
    parse_or_parse_error(data)


RECORDED = listing("cs.AI-2026-01-06")


@QUICK
@given(
    cut=st.integers(0, len(RECORDED)),
    start=st.integers(0, len(RECORDED)),
    length=st.integers(0, 64),
    noise=st.binary(max_size=64),
)
def test_a_mangled_listing_gives_a_listing_or_a_parse_error(
    cut: int, start: int, length: int, noise: bytes
) -> None:
    parse_or_parse_error(RECORDED[:cut])  # truncated
    mangled = RECORDED[:start] + noise + RECORDED[start + length :]
    result = parse_or_parse_error(mangled)
    if result is not None:
        assert len(result.papers) <= 200


version = st.one_of(st.integers(0, 10**6).map(str), st.text("0123456789", min_size=1))
near_guid = st.one_of(
    any_text,
    st.builds("oai:arXiv.org:2601.{}v{}".format, st.integers(0, 99999), version),
    st.builds("https://arxiv.org/abs/{}v{}".format, any_text, version),
    st.just("oai:arXiv.org:2601.00001v" + "9" * 5000),  # more digits than int() accepts
)
near_date = st.one_of(
    any_text,
    st.builds(
        "{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} {}".format,
        st.sampled_from(["Mon", "Tue", "Sun", "Xyz"]),
        st.integers(0, 40),
        st.sampled_from(["Jan", "Feb", "Dec", "Foo"]),
        st.integers(0, 10000),
        st.integers(0, 30),
        st.integers(0, 70),
        st.integers(0, 70),
        st.sampled_from(["-0500", "+1400", "-2359", "+9999", "GMT", "UT", "EST", ""]),
    ),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)


@QUICK
@given(
    guid=near_guid,
    link=st.one_of(any_text, st.builds("https://arxiv.org/abs/{}".format, any_text)),
    description=st.one_of(
        any_text, st.builds("arXiv:{}v{} Announce Type: {}".format, any_text, version, any_text)
    ),
    categories=st.lists(any_text, max_size=4).map(tuple),
    pub=near_date,
    day=near_date,
    kind=any_text,
    rights=any_text,
    doi=any_text,
)
@example(
    guid="oai:arXiv.org:2601.00001v0",
    link="",
    description="",
    categories=(),
    pub=ARXIV_DATE,
    day=ARXIV_DATE,
    kind="new",
    rights="",
    doi="",
)
@example(
    guid="oai:arXiv.org:2601.00001v1",
    link="",
    description="",
    categories=(),
    pub="Fri, 31 Dec 9999 23:59:59 -1200",
    day="Mon, 01 Jan 0001 00:00:00 +1400",
    kind="new",
    rights="",
    doi="",
)
def test_any_value_in_any_field_gives_a_listing_or_a_parse_error(
    guid: str,
    link: str,
    description: str,
    categories: tuple[str, ...],
    pub: str,
    day: str,
    kind: str,
    rights: str,
    doi: str,
) -> None:
    odd = item(
        guid=guid,
        link=link,
        description=description,
        categories=categories,
        pub=pub,
        kind=kind,
        rights=rights,
        doi=doi,
    )
    result = parse_or_parse_error(channel(odd, item(), day=day))
    if result is not None:
        for paper in result.papers:
            assert paper.version >= 1
            assert paper.title


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title>
<entry><id>{id}</id><title>{title}</title><summary>{summary}</summary>
<updated>{date}</updated><author><name>{author}</name></author>
<category term="{category}"/><link href="{link}"/></entry></feed>"""


@QUICK
@given(
    title=any_text,
    summary=any_text,
    author=any_text,
    ident=near_guid,
    date=near_date,
    category=any_text,
    link=any_text,
)
def test_any_atom_feed_gives_a_listing_or_a_parse_error(
    title: str, summary: str, author: str, ident: str, date: str, category: str, link: str
) -> None:
    """The general (feedparser) path, for feeds not in arXiv's own RSS shape."""
    data = ATOM.format(
        title=escape(title),
        summary=escape(summary),
        author=escape(author),
        id=escape(ident),
        date=escape(date),
        category=escape(category, {'"': "&quot;"}),
        link=escape(link, {'"': "&quot;"}),
    )
    parse_or_parse_error(data.encode("utf-8"))


# -- (b) the keyword matcher ----------------------------------------------------------------------

WORD = re.compile(r"\w")
METACHARACTERS = [".*", "a|b", "(", ")", "[", "]", "\\", "C++", "C#", ".NET", "$x$", "^", "k-NN"]
METACHARACTERS += ["(?i)", "\\b", "{2}", "?", "RL", "LLM", "ΛΟΓΟΣ", "µs", "ſ", "ß", "İ"]
keyword = st.one_of(st.text(CHARS, min_size=1), st.sampled_from(METACHARACTERS)).filter(
    lambda k: bool(k.split())
)
non_word = CHARS.filter(lambda c: WORD.match(c) is None)
word_char = CHARS.filter(lambda c: WORD.match(c) is not None)


@QUICK
@given(pre=st.text(CHARS), left=non_word, kw=keyword, right=non_word, post=st.text(CHARS))
@example(pre="about ", left=" ", kw="ΛΟΓΟΣ", right=".", post="Next")  # lower() made it σ, not ς
@example(pre="", left=" ", kw="C++", right=" ", post="")
@example(pre="", left="(", kw="RL", right=")", post="")
def test_a_keyword_between_non_word_characters_is_found(
    pre: str, left: str, kw: str, right: str, post: str
) -> None:
    text = pre + left + kw + right + post
    assert find_keywords(compile_keywords((kw,)), text) == [fold(kw)]


@QUICK
@given(left=word_char, kw=keyword, right=word_char)
@example(left="x", kw="RL", right="y")
@example(left="x", kw="LLM", right="y")
def test_a_keyword_glued_to_letters_is_not_found(left: str, kw: str, right: str) -> None:
    folded = fold(kw)
    assume(WORD.match(folded[0]) and WORD.match(folded[-1]))  # else there is nothing to glue
    # a trailing "s" (or "es") would make the text a plural: "kw" + "s" is meant to match
    assume(not re.fullmatch("s", right, re.IGNORECASE))
    text = left + folded + right
    assert find_keywords(compile_keywords((kw,)), text) == []


def case_stable(c: str) -> bool:
    """A character whose upper and lower case are single characters that fold like it.

    Excluded are e.g. "ß" (upper case "SS") and Turkish "ı"/"İ", which ``re`` pairs with "i"
    although case folding keeps them apart: the matcher follows case folding there.
    """
    up, low = c.upper(), c.lower()
    return len(up) == len(low) == 1 and up.casefold() == low.casefold() == c.casefold()


cased_keyword = st.text(CHARS.filter(case_stable), min_size=1).filter(lambda k: bool(k.split()))


@QUICK
@given(
    kw=cased_keyword,
    how=st.sampled_from([str.upper, str.lower, str.swapcase, str.title]),
    left=non_word,
    right=non_word,
)
@example(kw="µs", how=str.upper, left=" ", right=" ")  # micro sign -> capital mu
@example(kw="Speculative Decoding", how=str.swapcase, left="(", right=")")
def test_matching_ignores_case(kw: str, how: Callable[[str], str], left: str, right: str) -> None:
    variant = how(kw)
    assume(len(variant) == len(kw))
    keywords = compile_keywords((kw,))
    assert find_keywords(keywords, left + variant + right) == [fold(kw)]
    assert find_keywords(compile_keywords((variant,)), left + kw + right) == [fold(variant)]


@QUICK
@given(kw=cased_keyword, left=non_word, right=non_word)
def test_duplicates_count_once(kw: str, left: str, right: str) -> None:
    keywords = compile_keywords((kw, kw.upper(), kw.lower(), f"  {kw}\t", kw))
    assert len(keywords) == 1
    text = f"{left}{kw}{right}{left}{kw.upper()}{right}"
    assert find_keywords(keywords, text) == [fold(kw)]


@QUICK
@given(keywords=st.lists(st.one_of(st.text(CHARS), st.sampled_from(METACHARACTERS))), text=any_text)
def test_no_keyword_text_raises(keywords: list[str], text: str) -> None:
    compiled = compile_keywords(tuple(keywords))
    found = find_keywords(compiled, text)
    assert len(found) == len(set(found)) <= len(compiled)
    assert all(k in {fold(w) for w in keywords} for k in found)


# -- (c) query parameters through the ASGI app -----------------------------------------------------


class AppClient:
    """The app over ASGI on one event loop that lives as long as the module's tests."""

    def __init__(self, tmp_path: Path) -> None:
        self.runner = asyncio.Runner()
        self.fake = FakeArxiv()
        self.app = create_app(
            make_settings(tmp_path),
            transport=httpx.MockTransport(self.fake),
            store=MemoryStore(),
        )
        transport = httpx.ASGITransport(app=self.app)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://feeds.test")

    def get(
        self,
        path: str,
        params: dict[str, str] | None = None,
        headers: dict[bytes, bytes] | None = None,
    ) -> httpx.Response:
        """GET ``path`` (already percent-encoded) with a query string made from ``params``."""
        return self.runner.run(self.client.get(path, params=params, headers=headers))

    def close(self) -> None:
        async def aclose() -> None:
            await self.client.aclose()
            await self.app.state.runtime.aclose()

        self.runner.run(aclose())
        self.runner.close()


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppClient]:
    client = AppClient(tmp_path_factory.mktemp("props"))
    yield client
    client.close()


ALLOWED = {200, 304, 308, 404, 414, 422}  # 308: "/rss/" -> "/rss"; 414: a query over 8 KB
some_category = st.sampled_from(sorted([*taxonomy.CATEGORIES, *taxonomy.ALIASES]))
categories_segment = st.one_of(
    st.text(CHARS, min_size=1),
    st.lists(some_category, min_size=1, max_size=25).map("+".join),
    st.lists(st.one_of(some_category, st.text(CHARS, max_size=6)), min_size=1).map(",".join),
    st.sampled_from([".", "..", "cs..AI", "cs.AI/../..", "<script>", "%00", "cs.A", "cs.XX"]),
)
param_value = st.one_of(
    any_text,
    st.sampled_from(["", "0", "-1", "1e309", "nan", "inf", "1_0", "١٢", " 3 ", "all", "new,cross"]),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True).map(str),
    st.just("9" * 5000),
    st.just(",".join(f"k{i}" for i in range(60))),
)
PARAMS = ["keywords", "exclude", "types", "min_score", "limit"]


def check_answer(r: httpx.Response, what: str) -> None:
    assert r.status_code in ALLOWED, f"{what} -> {r.status_code}: {r.text[:300]}"
    if r.status_code >= 400:
        error = r.json()["error"]
        assert error["code"]
        assert error["message"]


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    fmt=st.sampled_from(["rss", "atom"]),
    categories=st.one_of(st.none(), categories_segment),
    params=st.dictionaries(st.sampled_from(PARAMS), param_value, max_size=5),
    etag=st.one_of(st.none(), any_text.map(lambda t: t.encode("utf-8", "replace")[:100])),
)
@example(fmt="rss", categories="cs.AI+cs.LG", params={"keywords": "(?i)", "limit": "1"}, etag=None)
@example(fmt="atom", categories=None, params={"min_score": "1e309"}, etag=b"*")
@example(fmt="rss", categories=None, params={"limit": "9" * 5000}, etag=None)
def test_no_query_is_a_server_error(
    app_client: AppClient,
    fmt: str,
    categories: str | None,
    params: dict[str, str],
    etag: bytes | None,
) -> None:
    path = f"/{fmt}"
    if categories is not None:
        # one path segment: "/" and "." are escaped too, so it stays one segment
        path += "/" + quote(categories, safe="").replace(".", "%2E")
    headers = {b"If-None-Match": etag} if etag is not None else {}
    try:
        r = app_client.get(path, params=params, headers=headers)
    except (httpx.InvalidURL, httpx.LocalProtocolError):
        assume(False)  # the client refuses to send it (e.g. a CR in a header): not our concern
        return
    if (
        r.status_code == 307
        and categories is not None
        and (categories.endswith("/") or not categories)
    ):
        # "/rss/" and "/rss/cs.AI%2F" (decoded to "/rss/cs.AI/"): Starlette redirects to the
        # path without the trailing slash before any of our code runs
        assert r.headers["location"].startswith("http://feeds.test/")
        return
    check_answer(r, f"{path}?{params}")
    if r.status_code == 200:
        check_conditional(app_client, path, params, r)


def check_conditional(
    app_client: AppClient, path: str, params: dict[str, str], first: httpx.Response
) -> None:
    """A 200 comes with an ETag that makes the same request a 304."""
    etag = first.headers["etag"].encode()
    again = app_client.get(path, params=params, headers={b"If-None-Match": etag})
    assert again.status_code == 304


def test_the_query_property_reached_the_upstream(app_client: AppClient) -> None:
    """The property above is not vacuous: valid categories were fetched and served."""
    r = app_client.get("/rss/cs.AI", params={"keywords": "LLM"})
    assert r.status_code == 200
    assert app_client.fake.requests
