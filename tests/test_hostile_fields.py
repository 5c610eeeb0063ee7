"""Hostile text from arXiv in every channel's markup: no live mention, link, image or HTML.

One paper whose title, authors, abstract, category, DOI and journal reference are written to
forge Slack control sequences (``<!channel>``, ``<url|text>``), Discord masked links and
mentions, Feishu ``<at>`` tags, HTML and Markdown links. Each formatter's output is parsed the
way its platform reads it, and every link must be one we built (arXiv, doi.org, or a code link
``app.arxiv.links`` found), labelled with our own words or the escaped field.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt

from app.arxiv.links import code_links
from app.delivery.content import DigestInfo, digest_info, web_url
from app.delivery.email import html_body
from app.delivery.webhooks import discord_messages, feishu_messages, slack_messages
from app.models import AnnounceType, FeedQuery, Paper, RankedFeed, ScoredPaper, Summary
from app.render.feeds import doi_url
from app.render.markdown import DigestMeta, render_digest

EVIL = "evil.example"
DOI = "10.1234/abc> <!channel> <https://evil.example|Verify your account>"
CATEGORY = "<img src=x onerror=alert(1)>"
HOSTILE = Paper(
    arxiv_id="2601.00666",
    version=1,
    title='*bold* [x](https://evil.example) <!channel> @everyone <at user_id="all">all</at>',
    authors=["<@U123>", "Eve <!here|here>", "[Mallory](https://evil.example/m)"],
    abstract=(
        "We show [Verify your account](https://evil.example/login) and ![p](https://evil.example/p.png)."
        ' <script>alert(1)</script> <at user_id="all"></at> @here <@U999> ||spoiler||'
        "\n# Heading\n- item\n> quote"
    ),
    categories=[CATEGORY, "cs.LG"],
    primary_category=CATEGORY,
    announce_type=AnnounceType.NEW,
    announced=date(2026, 1, 6),
    published=datetime(2026, 1, 6, 5, tzinfo=UTC),
    doi=DOI,
    journal_ref="J. [Evil](https://evil.example/j) <b>1</b>",
)
PAGE = "https://feeds.example.org/"


def feed(summary: str | None = None) -> RankedFeed:
    item = ScoredPaper(
        paper=HOSTILE,
        contributions={"keywords": 1.0},
        matched=["LLM"],
        title_matched=[],
        rank=1,
        summary=Summary(
            versioned_id=HOSTILE.versioned_id,
            model="m",
            language="en",
            source="abstract",
            markdown=summary,
            created_at=datetime(2026, 1, 6, 6, tzinfo=UTC),
        )
        if summary is not None
        else None,
    )
    return RankedFeed(
        query=FeedQuery(categories=("cs.LG",), keywords=("LLM",)),
        listing_day=date(2026, 1, 6),
        fetched_at=datetime(2026, 1, 6, 6, tzinfo=UTC),
        total_listed=1,
        items=[item],
    )


def info(f: RankedFeed) -> DigestInfo:
    return digest_info(f, "arXiv papers", "default", PAGE)


def evil(url: str) -> bool:
    """Whether ``url`` points at the attacker's host (not: names it in its path)."""
    return urlsplit(url.replace("&amp;", "&")).hostname == EVIL


def our_urls() -> set[str]:
    """Every URL a channel may link to for ``HOSTILE`` (percent-decoded): arXiv, the DOI, the
    code links found in the abstract, the digest's page."""
    urls = [
        "https://arxiv.org/abs/2601.00666",
        "https://arxiv.org/abs/2601.00666v1",
        "https://arxiv.org/pdf/2601.00666v1",
        PAGE,
        doi_url(DOI),
        *(c.url for c in code_links(HOSTILE.abstract)),
    ]
    return {unquote(u) for u in urls}


def ours(url: str) -> bool:
    return unquote(url.replace("&amp;", "&")) in our_urls()


def test_web_url_keeps_only_plain_http_urls() -> None:
    assert web_url("https://github.com/a/b") == "https://github.com/a/b"
    assert web_url("https://x.org/a b(c)[d]<e>|f\"g'h*") == (
        "https://x.org/a%20b%28c%29%5Bd%5D%3Ce%3E%7Cf%22g%27h%2A"
    )
    assert web_url("https://x.org/?q=1&r=%3E#frag") == "https://x.org/?q=1&r=%3E#frag"
    assert web_url("https://Bücher.example/ü") == "https://xn--bcher-kva.example/%C3%BC"
    for bad in (
        "javascript:alert(1)",
        "data:text/html,x",
        "https://github.com@evil.example/",
        "https:///nohost",
        "https://[::1]/",
        "https://ev<il>.example/",
        "https://a.org](https://evil.example/",
        "https://x.org:99999/",
        "ftp://x.org/",
    ):
        assert web_url(bad) is None, bad


# -- Slack --------------------------------------------------------------------------------------

SLACK_LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>")


def slack_texts(message: dict[str, Any]) -> list[dict[str, Any]]:
    texts = [b["text"] for b in message["blocks"] if b["type"] == "section"]
    texts += [e for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]
    return texts


def test_slack_sends_no_control_sequence_from_arxiv() -> None:
    f = feed()
    (message,) = slack_messages(f, info(f))
    for obj in slack_texts(message):
        assert obj["type"] == "mrkdwn"
        assert obj["verbatim"] is True  # no automatic parsing of names, channels or URLs
        text = obj["text"]
        for url, label in SLACK_LINK.findall(text):
            assert ours(url), url
            assert not evil(url) or label == "Project page", (url, label)
        rest = SLACK_LINK.sub("", text)
        assert not re.search("[<>]", rest), rest  # no <!channel>, <@U..> nor <url|text>
        assert not re.search(r"&(?!amp;|lt;|gt;)", rest)  # every & is one of the three escapes
    section = slack_texts(message)[0]["text"]
    assert "&lt;!channel&gt;" in section
    assert "&lt;@U123&gt;" in section
    assert "&lt;img src=x onerror=alert(1)&gt; · score" in section


def test_slack_summary_keeps_emphasis_but_no_links() -> None:
    f = feed("**Contribution**: see <https://evil.example|here> <!channel>")
    (message,) = slack_messages(f, info(f))
    text = slack_texts(message)[0]["text"]
    assert "*Contribution*: see &lt;https://evil.example|here&gt; &lt;!channel&gt;" in text


# -- Discord ------------------------------------------------------------------------------------

DISCORD_LINK = re.compile(r"\[((?:\\.|[^\\\[\]])*)\]\(([^()\s]*)\)")


def unescaped(text: str) -> str:
    """``text`` with every backslash escape (``\\x``) replaced by ``·``: what is left is live."""
    return re.sub(r"\\.", "·", text, flags=re.S)


def test_discord_sends_no_masked_link_or_mention_from_arxiv() -> None:
    f = feed()
    (message,) = discord_messages(f, info(f))
    assert message["allowed_mentions"] == {"parse": []}
    (embed,) = message["embeds"]
    assert embed["url"] == "https://arxiv.org/abs/2601.00666"
    for field in (embed["title"], embed["description"]):
        live = unescaped(field)
        for label, url in DISCORD_LINK.findall(live):
            assert ours(url), url
            assert label in ("PDF", "Project page") or label.startswith("DOI "), label
            assert not evil(url) or label == "Project page", (url, label)
        rest = DISCORD_LINK.sub("", live)
        assert not re.search(r"[\[\]<>`|]", rest), rest
        assert not re.search(r"@(everyone|here)", rest), rest
        assert not re.search(r"(?m)^\s*(#|-|>)", rest), rest
    assert embed["title"].startswith("1. \\*bold\\* \\[x\\](https://evil.example) \\<!channel\\>")
    description = embed["description"]
    assert "\\<\\@U123\\>" in description  # shown as text
    assert "\\[Verify your account\\](https://evil.example/login)" in description


def test_discord_summary_keeps_emphasis_but_no_links() -> None:
    f = feed("**Contribution**: [click](https://evil.example) @everyone <@U1>")
    (message,) = discord_messages(f, info(f))
    description = message["embeds"][0]["description"]
    assert "**Contribution**: \\[click\\](https://evil.example) \\@everyone \\<\\@U1>" in (
        description
    )


# -- Feishu / Lark ------------------------------------------------------------------------------


def test_feishu_sends_no_at_tag_from_arxiv() -> None:
    f = feed()
    (message,) = feishu_messages(f, info(f))
    body = json.dumps(message, ensure_ascii=False)
    assert not re.search(r"<\s*at\b", body, re.IGNORECASE)
    elements = [e for p in message["content"]["post"]["en_us"]["content"] for e in p]
    assert {e["tag"] for e in elements} <= {"a", "text"}
    assert all(ours(e["href"]) for e in elements if e["tag"] == "a")
    assert [e["text"] for e in elements if e["tag"] == "a" and evil(e["href"])] == [
        "Project page",
        "Project page",
    ]


# -- e-mail and the Markdown digest -------------------------------------------------------------


class Links(HTMLParser):
    """Tags, and each link as (href, text)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._in_a = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.append((dict(attrs).get("href") or "", ""))
            self._in_a = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_a = False

    def handle_data(self, data: str) -> None:
        if self._in_a:
            href, text = self.links[-1]
            self.links[-1] = (href, text + data)


def check_html(html: str) -> None:
    seen = Links(html)
    assert not {"img", "script", "b", "at"} & set(seen.tags), seen.tags
    for href, text in seen.links:
        assert ours(href), (href, text)
        if evil(href):
            assert text in ("Project page", "GitHub"), text  # a code link, in our words


def test_email_html_part_escapes_every_field() -> None:
    f = feed()
    check_html(html_body(f, info(f)))


def test_digest_renders_arxiv_fields_as_text() -> None:
    f = feed()
    text = render_digest(f, DigestMeta(title="arXiv papers"))
    html = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(text)
    check_html(html)
    assert "onerror=alert(1)" in html  # as text
    assert 'href="https://evil.example' not in html.replace(
        '<a href="https://evil.example/login">Project page</a>', ""
    ).replace('<a href="https://evil.example/p.png">Project page</a>', "")
