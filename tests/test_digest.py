"""The Markdown digest: structure against a real digest of the older bot, the abstract cut,
hostile titles and summaries, the template file, ``/digest.md`` caching, the CLI, the workflow.

Rendered Markdown is checked the way a reader sees it: turned into HTML by markdown-it
(CommonMark with raw HTML on, like GitHub before its sanitizer) and walked with ``html.parser``.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from markdown_it import MarkdownIt

from app.errors import ConfigError
from app.main import create_app
from app.models import AnnounceType, FeedQuery, Paper, RankedFeed, ScoredPaper, Summary
from app.render.markdown import (
    DEFAULT_TEMPLATE,
    PLACEHOLDERS,
    DigestMeta,
    cut_abstract,
    digest_values,
    render_digest,
    safe_summary,
)
from app.store import MemoryStore
from tests.conftest import DATA, FakeArxiv, listing, make_settings
from tests.openai_stub import HTML_CONTENT, OpenAIStub

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent
REAL = DATA / "digests" / "2026-01-06.md"
WORKFLOW = ROOT / "examples" / "github-actions" / "arxiv-digest.yml"
LABELS = ["Authors", "Category", "Published", "Score", "Type", "ArXiv ID"]
HEADINGS = [
    "Statistics", "Recent Papers", "Configuration", "Schedule", "How to Use", "Customization",
    "Manual Trigger",
]  # fmt: skip
ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "p", "a", "strong", "em", "code", "pre", "ul", "ol", "li", "hr",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "br", "details", "summary",
}  # fmt: skip


# -- helpers ------------------------------------------------------------------------------------


def real_digest() -> str:
    return REAL.read_text(encoding="utf-8", errors="replace")


def without_summaries(text: str) -> str:
    return re.sub(r"<details>.*?</details>", "", text, flags=re.S)


def section_headings(text: str) -> list[str]:
    """``## `` headings outside summaries, letters only (the real ones' emoji are damaged)."""
    lines = without_summaries(text).splitlines()
    return [re.sub(r"[^A-Za-z ]", "", h[3:]).strip() for h in lines if h.startswith("## ")]


def paper_blocks(text: str) -> list[str]:
    return re.split(r"^### \d+\. ", without_summaries(text), flags=re.M)[1:]


def labels(block: str) -> list[str]:
    return re.findall(r"^\*\*([^*]+)\*\*: .*\S  $", block, flags=re.M)


class Structure(HTMLParser):
    """Tags, paper headings outside ``<details>``, links, and what each ``<details>`` holds."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.depth = 0
        self.tags: list[str] = []
        self.papers: list[str] = []  # h3 text at depth 0
        self.nested_h3 = 0
        self.links: list[tuple[str, str]] = []
        self.details: list[str] = []  # text inside each details
        self._h3: list[str] | None = None
        self._href: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "details":
            self.depth += 1
            self.details.append("")
        elif tag == "h3":
            self.nested_h3 += int(self.depth > 0)
            self._h3 = [] if self.depth == 0 else None
        elif tag == "a":
            self._href = dict(attrs).get("href") or ""
            self.links.append((self._href, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.depth -= 1
        elif tag == "h3" and self._h3 is not None:
            self.papers.append("".join(self._h3))
            self._h3 = None
        elif tag == "a":
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._h3 is not None:
            self._h3.append(data)
        if self._href is not None:
            href, text = self.links[-1]
            self.links[-1] = (href, text + data)
        if self.depth > 0:
            self.details[-1] += data


def structure(markdown: str) -> Structure:
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    return Structure(rendered)


def paper(n: int = 1, title: str = "A paper", abstract: str = "An abstract.") -> Paper:
    return Paper(
        arxiv_id=f"2601.0000{n}",
        version=1,
        title=title,
        authors=["Ada Lovelace", "Alan Turing"],
        abstract=abstract,
        categories=["cs.AI"],
        primary_category="cs.AI",
        announce_type=AnnounceType.NEW,
        announced=date(2026, 1, 6),
        published=datetime(2026, 1, 6, 5, tzinfo=UTC),
    )


def ranked(
    *items: tuple[Paper, str | None],
    keywords: tuple[str, ...] = ("LLM",),
    exclude: tuple[str, ...] = (),
) -> RankedFeed:
    scored = [
        ScoredPaper(
            paper=p,
            contributions={"keywords": 2.5},
            matched=[],
            title_matched=[],
            rank=rank,
            summary=Summary(
                versioned_id=p.versioned_id,
                model="stub-model",
                language="en",
                source="abstract",
                markdown=md,
                created_at=datetime(2026, 1, 6, 6, tzinfo=UTC),
            )
            if md is not None
            else None,
        )
        for rank, (p, md) in enumerate(items, 1)
    ]
    return RankedFeed(
        query=FeedQuery(categories=("cs.AI",), keywords=keywords, exclude=exclude),
        listing_day=date(2026, 1, 6),
        fetched_at=datetime(2026, 1, 6, 5, 59, 48, tzinfo=UTC),
        total_listed=10,
        items=scored,
    )


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as s:
        yield s


async def open_client(
    tmp_path: Path, config: dict[str, Any] | None = None, fake: FakeArxiv | None = None, **kw: Any
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(tmp_path, config, **kw)
    app = create_app(
        settings, transport=httpx.MockTransport(fake or FakeArxiv()), store=MemoryStore()
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
    await app.state.runtime.aclose()


# -- structure ----------------------------------------------------------------------------------


async def test_structure_matches_the_real_digest(client: httpx.AsyncClient) -> None:
    r = await client.get("/digest.md")
    assert r.status_code == 200
    text = r.content.decode("utf-8")  # strict: clean UTF-8
    real = real_digest()
    expected = [h for h in section_headings(real) if not h.startswith("RSS Vercel")]
    assert expected == HEADINGS
    assert section_headings(text) == HEADINGS
    assert [line for line in text.splitlines() if line.startswith("# ")] == ["# arXiv papers 🤖"]
    for emoji in ("🤖", "📊", "📚", "⚙️", "🕐", "📖", "🔧", "▶️"):
        assert emoji in text
    assert "\ufffd" not in text
    for old in ("Vercel", "github.com", "tachicoma", "Fork this repository", "arXiv Bot"):
        assert old not in text

    stats = text.split("## 📊 Statistics\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert re.fullmatch(r"- \*\*Last Updated\*\*: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", stats[0])
    assert stats[1:] == [
        "- **Total Papers Found**: 30",
        "- **Categories Monitored**: cs.AI, cs.CL, cs.DC, cs.LG",
    ]
    blocks, real_blocks = paper_blocks(text), paper_blocks(real)
    assert len(blocks) == len(real_blocks) == 30
    assert re.findall(r"^### (\d+)\. \[", text, flags=re.M) == [str(n) for n in range(1, 31)]
    for block in blocks + real_blocks:
        assert labels(block) == LABELS
        assert "\n\n#### Abstract\n" in block
        assert block.split("\n## ", 1)[0].rstrip("\n").endswith("\n\n---")
    first = blocks[0]
    assert first.startswith(
        "[OrchestrRL: Dynamic Compute and Network Orchestration for Disaggregated RL]"
        "(https://arxiv.org/abs/2601.01209)\n\n**Authors**: Xin Tan, Yicheng Feng,"
    )
    assert "**Published**: 2026-01-06  \n" in first
    assert "**ArXiv ID**: 2601.01209v1  \n" in first
    assert re.search(r"\*\*Score\*\*: \d+\.\d  \n", first)
    config = text.split("## ⚙️ Configuration\n\n", 1)[1].split("\n\n", 1)[0]
    assert config.endswith("\n- LLM, RL, RLHF, Inference, Training, Attention, Pipeline, MOE, "
                           "Sparse, Quantization, Speculative, Efficient, Efficiency, Framework, "
                           "Parallel, Distributed, Kernel, Decode, Decoding, Prefill, Throughput, "
                           "Fast, Network, Hardware, Cluster, FP8, FP4, Optimization, Scalable, "
                           "Communication")  # fmt: skip
    assert "mentioning any of these" not in text  # no exclude keywords configured
    for path in ("/rss", "/atom", "/feed.json", "/feeds.opml"):
        assert f"](http://feeds.test{path})" in text
    shape = structure(text)
    assert len(shape.papers) == 30
    assert set(shape.tags) <= ALLOWED_TAGS


async def test_the_abstract_cut_of_the_real_digest(client: httpx.AsyncClient) -> None:
    real = re.findall(r"^#### Abstract\n(.*)$", real_digest(), flags=re.M)
    assert len(real) == 30
    for line in real:  # the old bot: the first 300 characters, then "..."
        assert len(line) == 303
        assert line.endswith("...")
        assert cut_abstract(line[:-3] + " and the rest of the abstract.") == line
    # the recorded listing holds those 300 (or, with a trailing space dropped, 299) characters:
    # nothing is cut, so nothing is added
    text = (await client.get("/digest.md")).text
    mine = dict(re.findall(r"\*\*ArXiv ID\*\*: (\S+)  \n\n#### Abstract\n(.*)\n", text))
    theirs = dict(re.findall(r"\*\*ArXiv ID\*\*: (\S+)  \n\n#### Abstract\n(.*)\n", real_digest()))
    shared = set(mine) & set(theirs)
    assert len(shared) >= 10
    for vid in shared:  # the same text once Markdown's backslash escapes are read
        shown = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", mine[vid]).replace("&lt;", "<")
        assert theirs[vid] == shown.ljust(300) + "..."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 299, "a" * 299),
        ("a" * 300, "a" * 300),  # exactly 300: nothing cut, no "..."
        ("a" * 301, "a" * 300 + "..."),
        ("é" * 301, "é" * 300 + "..."),  # two bytes each: 300 characters, not 300 bytes
        ("中" * 400, "中" * 300 + "..."),
        ("a" * 299 + "e\u0301z", "a" * 299 + "..."),  # e + combining acute stay together
        ("a" * 298 + "e\u0301z", "a" * 298 + "e\u0301..."),
        ("a" * 299 + "👍🏽z", "a" * 299 + "..."),  # emoji + skin tone modifier
        ("a" * 299 + "👩\u200d💻z", "a" * 299 + "..."),  # ZWJ sequence
        ("a" * 299 + "🇫🇷z", "a" * 299 + "..."),  # a flag is two code points
        ("a" * 299 + "😀z", "a" * 299 + "😀..."),  # four bytes, one character: kept whole
    ],
)
def test_cut_abstract_edge_cases(text: str, expected: str) -> None:
    cut = cut_abstract(text)
    assert cut == expected
    assert cut.encode("utf-8").decode("utf-8") == cut


# -- hostile input ------------------------------------------------------------------------------


async def test_hostile_title_from_arxiv(tmp_path: Path) -> None:
    fake = FakeArxiv()
    fake.serve("stat.ML", body=listing("unicode"))
    config = {"categories": ["stat.ML"], "keywords": ["LLM"]}
    async for c in open_client(tmp_path, config, fake):
        r = await c.get("/digest.md", params={"types": "all"})
    text = r.content.decode("utf-8")
    assert "<script>" not in text
    assert "<b>" not in text
    shape = structure(text)
    assert set(shape.tags) <= ALLOWED_TAGS
    title = (
        "Gödel, Escher and $\\alpha$-Divergence: Naïve Bayes for 大语言模型 "
        "<script>alert(1)</script> & LLM Inference"
    )
    assert shape.papers == [f"1. {title}"]
    assert ("https://arxiv.org/abs/2601.99901", title) in shape.links
    assert "**Authors**: Kurt Gödel, Martin Luther King, Jr., Zoë Müller, 李华  " in text
    assert "$\\mathcal{O}(n \\log n)$" in text  # LaTeX left for GitHub's math
    assert "with 中文 text <b>bold</b>" in html.unescape(MarkdownIt().render(text))


def test_markdown_in_titles_and_keywords_is_escaped() -> None:
    title = "[x](javascript:alert(1)) *a* _b_ `c` <img src=x onerror=1> ~~d~~ | # 1. \\"
    feed = ranked((paper(1, title=title), None), keywords=("1. one", "<i>", "-x"))
    text = render_digest(feed, DigestMeta(title="*Mine*"))
    shape = structure(text)
    assert shape.papers == [f"1. {title}"]
    assert shape.links[0] == ("https://arxiv.org/abs/2601.00001", title)
    assert not [h for h, _ in shape.links if "javascript" in h]
    assert set(shape.tags) <= ALLOWED_TAGS
    assert "# \\*Mine\\* 🤖" in text
    assert "\n- 1\\. one, &lt;i&gt;, -x\n" in text


def test_exclude_keywords_and_notes() -> None:
    feed = ranked(keywords=(), exclude=("survey", "# all", "*x*")).model_copy(
        update={"sample": True, "stale": True}
    )
    text = render_digest(feed, DigestMeta(title="arXiv papers"))
    assert "# arXiv papers (sample data) 🤖" in text
    assert "\n- (none: all papers)\n" in text
    assert "left out:\n- survey, \\# all, \\*x\\*\n" in text
    assert "> Sample data" in text
    assert "> arXiv could not be reached" in text
    assert "_No paper matched in this listing._" in text
    assert section_headings(text) == HEADINGS


HOSTILE_SUMMARIES = [
    HTML_CONTENT,
    "</details>\n\n## Injected\n<script>alert(1)</script>",
    "Intro\n\n```\nan unclosed fence </details>",
    "~~~~\nunclosed tildes",
    "- item\n  ```\n<script>alert(1)</script>",  # the list ends, and the fence with it
    "<!-- an unclosed comment",
    "<div>\n\n</details><details open>",
    "> quoted <details open><summary>x</summary>",
    "| a | b |\n|---|---|\n| x<br>y | <script>z</script> |",
    "`code` then <summary>x</summary> and <img src=x>",
    "<textarea>\nswallow everything",
    "    indented </details>\n\n<style>p{}</style>",
    "![pixel](https://tracker.example/p.png)\n\n| a |\n|---|\n| ![x](https://t.example/x) |",
]


@pytest.mark.parametrize("summary", HOSTILE_SUMMARIES)
def test_hostile_summaries_stay_in_their_block(summary: str) -> None:
    feed = ranked((paper(1), summary), (paper(2), None), (paper(3), "## 1. Fine"))
    text = render_digest(feed, DigestMeta(title="arXiv papers"))
    shape = structure(text)
    assert shape.papers == ["1. A paper", "2. A paper", "3. A paper"]
    assert shape.nested_h3 == 0
    assert shape.tags.count("details") == shape.tags.count("summary") == 2
    assert shape.depth == 0
    assert set(shape.tags) <= ALLOWED_TAGS, set(shape.tags) - ALLOWED_TAGS
    assert section_headings(text) == HEADINGS
    assert "Fine" in shape.details[1]


def test_summary_images_show_as_their_markdown() -> None:
    summary = (
        "See ![pixel](https://tracker.example/p.png) and `![code](x)`\n\n[a](https://a.example)"
    )
    shape = structure(render_digest(ranked((paper(1), summary)), DigestMeta(title="t")))
    assert "img" not in shape.tags  # as on the page and in the feeds (nh3 keeps no image)
    assert "See ![pixel](https://tracker.example/p.png)" in shape.details[0]
    assert ("https://a.example", "a") in shape.links  # the summary's links stay


def test_summary_markdown_survives() -> None:
    kept = [
        "## 1. Main contributions\n\n- **bold** and *em*\n\n> quote  \n> next",
        "Tokens `<plan>` and `<step>` in code",
        "```python\nif a < b and c <d>:\n    pass\n```",
        "| a | b |\n|---|---|\n| x<br>y | z<br/>w |",
        "$a<b$ and x < y",
    ]
    for markdown in kept:
        assert safe_summary(markdown) == markdown
    assert safe_summary("<b>x</b> `<plan>`") == "&lt;b>x&lt;/b> `&lt;plan>`"
    assert safe_summary("```\nopen") == "```\nopen\n```"
    assert safe_summary("\r\n\r\nText\r\n") == "Text"


async def test_summaries_from_the_llm(tmp_path: Path, stub: OpenAIStub) -> None:
    stub.failures.extend(["html"] * 2)
    summary = {
        "enabled": True,
        "base_url": stub.base_url,
        "model": "stub-model",
        "max_papers_to_summarize": 5,
        "time_budget": 10,
    }
    async for c in open_client(tmp_path, {"ai_summary": summary}):
        text = (await c.get("/digest.md")).text
    shape = structure(text)
    assert len(shape.papers) == 30
    assert shape.nested_h3 == 0
    assert len(shape.details) == 5
    assert set(shape.tags) <= ALLOWED_TAGS
    assert sum("Stub summary of" in d for d in shape.details) == 3
    line = re.compile(
        r"<summary><strong>(\S+) AI Summary \(by ([^)]+)\)</strong> - Click to expand</summary>"
    )
    assert {m.groups() for m in line.finditer(text)} == {("🤖", "stub-model")}
    assert {m.group(2) for m in line.finditer(real_digest())} == {"qwen-long"}
    real_block = re.search(r"\n\n<details>\n<summary>.*?</summary>\n\n", real_digest())
    assert real_block is not None
    assert text.count("\n\n<details>\n<summary><strong>🤖") == 5
    assert text.count("\n\n</details>\n\n---\n\n") == 5


# -- the template -------------------------------------------------------------------------------


async def test_a_template_file_replaces_the_layout(tmp_path: Path) -> None:
    template = tmp_path / "digest.tpl.md"
    template.write_text(
        "Digest for $categories on $day: $total of $listed papers\n\n$papers\n$unknown costs $$5\n",
        encoding="utf-8",
    )
    async for c in open_client(tmp_path, {"digest_template": str(template)}):
        text = (await c.get("/digest.md", params={"limit": "2"})).text
        template.write_text("Changed: $total\n", encoding="utf-8")
        changed = (await c.get("/digest.md", params={"limit": "2"})).text
    assert text.startswith("Digest for cs.AI, cs.CL, cs.DC, cs.LG on 2026-01-06: 2 of ")
    assert "\n\n### 1. [" in text
    assert "### 3." not in text
    assert text.endswith("---\n\n$unknown costs $5\n")
    assert changed == "Changed: 2\n"


def test_every_placeholder_is_filled_and_documented() -> None:
    values = digest_values(ranked((paper(1), "x")), DigestMeta(title="t"))
    assert set(values) == set(PLACEHOLDERS)
    everything = "".join(f"[${name}]" for name in PLACEHOLDERS)
    assert "$" not in render_digest(ranked((paper(1), None)), DigestMeta("t", template=everything))
    assert render_digest(ranked(), DigestMeta("t")).count("$") == 0
    documented = (ROOT / "docs" / "delivery.md").read_text(encoding="utf-8")
    for name in PLACEHOLDERS:
        assert f"${name}" in documented
        assert f"${name}" in DEFAULT_TEMPLATE or name in ("exclude_keywords", "listed")


def test_a_missing_template_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="digest_template"):
        make_settings(tmp_path, {"digest_template": str(tmp_path / "nope.md")})
    assert make_settings(tmp_path, digest_template=REAL).digest_template == REAL


# -- /digest.md ---------------------------------------------------------------------------------


async def test_digest_route_caches_like_the_feeds(client: httpx.AsyncClient) -> None:
    r = await client.get("/digest.md")
    assert r.headers["content-type"] == "text/markdown; charset=utf-8"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "s-maxage=" in r.headers["cache-control"]
    assert r.headers["last-modified"].endswith("GMT")
    etag = r.headers["etag"]
    assert (await client.get("/digest.md")).headers["etag"] == etag
    cached = await client.get("/digest.md", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    three = await client.get("/digest.md", params={"limit": "3", "keywords": "<script>,RL,LLM"})
    assert three.headers["etag"] != etag
    assert len(paper_blocks(three.text)) == 3
    assert "- &lt;script&gt;, RL, LLM\n" in three.text
    assert "<script" not in three.text
    bad = await client.get("/digest.md", params={"limit": "0"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_query"


# -- the command line ---------------------------------------------------------------------------


def cli_env(tmp_path: Path, config: dict[str, Any]) -> dict[str, str]:
    from tests.conftest import legacy

    path = tmp_path / "config.json"
    path.write_text(json.dumps(legacy(config)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARXIV_", "OPENAI_"))}
    return env | {
        "ARXIV_FEEDS_CONFIG": str(path),
        "ARXIV_SOURCE": "sample",
        "STORE_URL": "memory://",
        "ARXIV_FEEDS_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
    }


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "app", "digest", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_cli_writes_the_digest_atomically(tmp_path: Path, stub: OpenAIStub) -> None:
    summary = {"enabled": True, "base_url": stub.base_url, "max_papers_to_summarize": 4}
    out = tmp_path / "site" / "README.md"
    out.parent.mkdir()
    out.write_text("the old README\n", encoding="utf-8")
    out.chmod(0o640)
    before = out.stat().st_ino
    done = run_cli(cli_env(tmp_path, {"ai_summary": summary}), "-o", str(out))
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    assert done.stdout == b""
    assert "summaries [" in stderr
    assert "4/4" in stderr
    assert f"wrote {out}: 30 papers, 4 AI summaries" in stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# arXiv papers (sample data) 🤖\n")
    assert text.count("<details>") == 4
    assert out.stat().st_ino != before  # a new file renamed over the old one
    assert out.stat().st_mode & 0o777 == 0o640
    assert os.listdir(out.parent) == ["README.md"]  # no temporary file left behind
    assert len(stub.chat_calls()) == 4


def test_cli_writes_to_stdout_by_default(tmp_path: Path) -> None:
    done = run_cli(cli_env(tmp_path, {"keywords": ["LLM"], "max_papers": 3}))
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode("utf-8")
    assert text.startswith("# arXiv papers (sample data) 🤖\n")
    assert len(paper_blocks(text)) == 3
    assert "wrote stdout: 3 papers, 0 AI summaries" in done.stderr.decode()


def test_cli_refuses_a_missing_directory(tmp_path: Path) -> None:
    done = run_cli(cli_env(tmp_path, {}), "-o", str(tmp_path / "missing" / "README.md"))
    assert done.returncode == 2
    assert b"no such directory" in done.stderr
    assert b"Traceback" not in done.stderr


# -- the example workflow -----------------------------------------------------------------------


def test_example_workflow_steps() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "\t" not in text
    cron = re.search(r'- cron: "(\d+) (\d+) \* \* 1-5"', text)
    assert cron is not None  # weekdays
    minute, hour = int(cron.group(1)), int(cron.group(2))
    for day in (date(2026, 1, 6), date(2026, 7, 7)):  # winter and summer time
        midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("America/New_York"))
        update = midnight.astimezone(UTC)
        assert (update.hour, update.minute) < (hour, minute)  # after arXiv's update
    for needed in (
        "actions/checkout@v",
        'python-version: "3.12"',
        "pip install .",
        "arxiv-feeds digest -o README.md",
        "${{ secrets.OPENAI_API_KEY }}",
        "git diff --quiet -- README.md",
        "git push",
        "contents: write",
        "workflow_dispatch",
    ):
        assert needed in text, needed


def test_example_workflow_is_valid_yaml() -> None:
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"] == "30 5 * * 1-5"
    assert "workflow_dispatch" in triggers
    steps = workflow["jobs"]["digest"]["steps"]
    runs = [s.get("run", "") for s in steps]
    uses = [s.get("uses", "") for s in steps]
    assert uses[0].startswith("actions/checkout@")
    assert uses[1].startswith("actions/setup-python@")
    assert steps[1]["with"]["python-version"] == "3.12"
    digest = next(s for s in steps if "arxiv-feeds digest" in s.get("run", ""))
    assert digest["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"
    assert "git diff --quiet" in runs[-1]
    assert "git commit" in runs[-1]
