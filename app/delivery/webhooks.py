"""The daily digest by webhook, in each platform's documented format and limits.

``messages`` (pure) turns a digest into the JSON bodies to POST, split so each stays within
its platform's limits; ``post`` sends one (signing it when the kind says so).

- ``slack`` (incoming webhooks, Block Kit): a ``text`` fallback, a ``header`` block (150
  characters), one ``section`` per paper (mrkdwn, 3000 characters); at most 50 blocks a message,
  so a long digest becomes several messages. Every text is mrkdwn-escaped (``&``, ``<``, ``>``:
  no ``<!channel>``, ``<@U…>`` or ``<url|text>`` but ours) and ``verbatim`` (Slack links no
  names or URLs on its own).
- ``discord`` (execute webhook): ``content`` of at most 2000 characters and up to 10 embeds per
  message, each with a title of at most 256 and a description of at most 4096 characters, all
  embeds of a message at most 6000 characters together; mentions are disabled
  (``allowed_mentions``). Fields from arXiv are Markdown-escaped with backslashes (no masked
  link, mention, spoiler, heading or list); the LLM summary keeps its emphasis and lists but
  not its links or mentions.
- ``feishu`` (Feishu and Lark custom bots): ``msg_type: post`` rich text, each request body at
  most 20 KB; with ``secret_env`` the body carries ``timestamp`` and ``sign`` (Base64 of
  HMAC-SHA256 keyed by ``timestamp + "\\n" + secret`` over an empty message). Feishu answers
  HTTP 200 with a non-zero ``code`` when it refuses a message. Text elements are plain, except
  that Feishu reads an inline ``<at user_id=…>``: a zero-width space after each ``<`` stops it.
- ``generic``: one JSON body with the ranked papers as the JSON API shows them
  (``/api/papers``), and ``X-Arxiv-Feeds-Signature: sha256=<hex HMAC of the body>`` when
  ``secret_env`` is set.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any

import httpx

from app.delivery.content import (
    DigestInfo,
    abs_link,
    cut,
    extra_links,
    facts_line,
    fit,
    pdf_link,
    subject,
    summary_text,
    web_url,
    why_line,
)
from app.delivery.settings import Webhook
from app.errors import DeliveryError
from app.models import RankedFeed, ScoredPaper

SLACK_BLOCKS = 50
SLACK_SECTION = 3000
SLACK_HEADER = 150
DISCORD_CONTENT = 2000
DISCORD_EMBEDS = 10
DISCORD_TITLE = 256
DISCORD_DESCRIPTION = 4096
DISCORD_TOTAL = 6000
DISCORD_PER_PAPER = 1500  # so a message holds a few papers, not one huge one
FEISHU_BODY = 20_000  # bytes; leaves room below Feishu's 20 KB for timestamp and sign
FEISHU_PER_PAPER = 1500
SIGNATURE_HEADER = "X-Arxiv-Feeds-Signature"
RETRY_AFTER_MAX = 10.0  # a 429 asking for longer fails the run; the next run retries

Message = dict[str, Any]


def messages(feed: RankedFeed, info: DigestInfo, hook: Webhook) -> list[Message]:
    """The JSON bodies to POST for ``hook.kind``, in order (unsigned)."""
    if hook.kind == "slack":
        return slack_messages(feed, info)
    if hook.kind == "discord":
        return discord_messages(feed, info)
    if hook.kind == "feishu":
        return feishu_messages(feed, info)
    return [generic_message(feed, info)]


# -- Slack --------------------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_markdown(markdown: str) -> str:
    """CommonMark emphasis and headings as Slack mrkdwn (``*bold*``), everything escaped."""
    text = _slack_escape(markdown)
    text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)
    return re.sub(r"(?m)^#{1,6}\s+(.+)$", r"*\1*", text)


def _slack_label(text: str) -> str:
    return _slack_escape(text).replace("|", "¦")


def _slack_link(url: str, label: str) -> str:
    """``<url|label>``; ``url`` is one of ours (``web_url``), ``label`` is escaped here."""
    return f"<{_slack_escape(url)}|{_slack_label(label)}>"


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def slack_section(n: int, item: ScoredPaper) -> str:
    """One paper as a section's mrkdwn text, within Slack's 3000 characters."""
    p = item.paper
    links = [_slack_link(pdf_link(item), "PDF")]
    links += [_slack_link(url, name) for name, url in extra_links(item)]
    title = fit(p.title, 300, _slack_label)
    head = "\n".join(
        [
            f"*<{_slack_escape(abs_link(item))}|{n}. {title}>*",
            fit(", ".join(p.authors), 300, _slack_escape),
            fit(facts_line(item), 200, _slack_escape),
            f"_Why: {fit(why_line(item), 500, _slack_escape)}_",
            " · ".join(links),
        ]
    )
    room = max(0, SLACK_SECTION - len(head) - 1)
    summary = summary_text(item)
    if summary is not None:
        body = fit(summary, room, _slack_markdown)
    else:
        body = fit(p.abstract, room, _slack_escape)
    return f"{head}\n{body}" if body else head[:SLACK_SECTION]


def slack_messages(feed: RankedFeed, info: DigestInfo) -> list[Message]:
    """Block Kit messages of at most 50 blocks."""
    sections = [
        {"type": "section", "text": _mrkdwn(slack_section(n, item))}
        for n, item in enumerate(feed.items, 1)
    ]
    per = SLACK_BLOCKS - 2  # header and footer context
    chunks = [sections[i : i + per] for i in range(0, len(sections), per)]
    page = web_url(info.page_url) if info.page_url else None
    out: list[Message] = []
    for k, chunk in enumerate(chunks, 1):
        title = subject(info) + (f" ({k}/{len(chunks)})" if len(chunks) > 1 else "")
        header = {"type": "header", "text": {"type": "plain_text", "text": cut(title, 150)}}
        blocks: list[dict[str, Any]] = [header, *chunk]
        if page:
            footer = f"From {_slack_link(page, info.title)}"
            blocks.append({"type": "context", "elements": [_mrkdwn(footer)]})
        out.append({"text": fit(title, 3000, _slack_escape), "blocks": blocks})
    return out


# -- Discord ------------------------------------------------------------------------------------

_DISCORD_INLINE = re.compile(r"[\\*_~`|<>\[\]@]")
_DISCORD_LINE_START = re.compile(r"(?m)^([ \t]*)([#>+-])")
_DISCORD_SUMMARY = re.compile(r"[\\<\[\]@]")


def discord_escape(text: str) -> str:
    """Text from arXiv as Discord Markdown that shows it as it is: a backslash before each
    character that could start emphasis, code, a spoiler, a masked link or a mention, and
    before a heading, quote or list marker at the start of a line."""
    text = _DISCORD_INLINE.sub(lambda m: "\\" + m.group(0), text)
    return _DISCORD_LINE_START.sub(r"\1\\\2", text)


def discord_summary(markdown: str) -> str:
    """The LLM summary's Markdown without masked links or mentions (emphasis, lists, code and
    quotes stay)."""
    return _DISCORD_SUMMARY.sub(lambda m: "\\" + m.group(0), markdown)


def discord_embed(n: int, item: ScoredPaper) -> dict[str, Any]:
    """One paper as an embed, within Discord's limits."""
    p = item.paper
    links = [f"[PDF]({pdf_link(item)})"]
    links += [f"[{fit(name, 200, discord_escape)}]({url})" for name, url in extra_links(item)]
    head = "\n".join(
        [
            fit(", ".join(p.authors), 300, discord_escape),
            fit(facts_line(item), 200, discord_escape),
            f"*Why: {fit(why_line(item), 400, discord_escape)}*",
            " · ".join(links),
        ]
    )
    room = max(0, min(DISCORD_PER_PAPER, DISCORD_DESCRIPTION) - len(head) - 2)
    summary = summary_text(item)
    if summary is not None:
        body = fit(summary, room, discord_summary)
    else:
        body = fit(p.abstract, room, discord_escape)
    description = f"{head}\n\n{body}".strip()
    prefix = f"{n}. "
    return {
        "title": prefix + fit(p.title, DISCORD_TITLE - len(prefix), discord_escape),
        "url": abs_link(item),
        "description": description[:DISCORD_DESCRIPTION],
    }


def _embed_size(embed: dict[str, Any]) -> int:
    return len(embed.get("title", "")) + len(embed.get("description", ""))


def discord_messages(feed: RankedFeed, info: DigestInfo) -> list[Message]:
    """Messages of at most 10 embeds and 6000 embed characters each."""
    groups: list[list[dict[str, Any]]] = [[]]
    for n, item in enumerate(feed.items, 1):
        embed = discord_embed(n, item)
        group = groups[-1]
        size = sum(_embed_size(e) for e in group) + _embed_size(embed)
        if group and (len(group) >= DISCORD_EMBEDS or size > DISCORD_TOTAL):
            groups.append([])
        groups[-1].append(embed)
    page = web_url(info.page_url) if info.page_url else None
    out: list[Message] = []
    for k, group in enumerate(groups, 1):
        content = f"**{subject(info)}**" + (f" ({k}/{len(groups)})" if len(groups) > 1 else "")
        if k == 1 and page:
            content += f"\n<{page}>"
        out.append(
            {
                "content": cut(content, DISCORD_CONTENT),
                "embeds": group,
                "allowed_mentions": {"parse": []},
            }
        )
    return out


# -- Feishu / Lark ------------------------------------------------------------------------------


def feishu_text(text: str) -> str:
    """Plain text for a ``text`` or ``a`` element: ``<`` followed by a zero-width space, so no
    ``<at user_id="all">`` from arXiv mentions anyone."""
    return text.replace("<", "<\u200b")


def feishu_paragraphs(n: int, item: ScoredPaper) -> list[list[dict[str, str]]]:
    """One paper as rich-text paragraphs."""
    p = item.paper

    def text(value: str) -> dict[str, str]:
        return {"tag": "text", "text": feishu_text(value)}

    def link(label: str, href: str) -> dict[str, str]:
        return {"tag": "a", "text": feishu_text(label), "href": href}

    links = [link("PDF", pdf_link(item))]
    for name, url in extra_links(item):
        links += [text(" · "), link(name, url)]
    body = summary_text(item) or p.abstract.strip()
    return [
        [link(f"{n}. {cut(p.title, 300)}", abs_link(item))],
        [text(cut(", ".join(p.authors), 300))],
        [text(f"{facts_line(item)}\nWhy: {cut(why_line(item), 400)}")],
        links,
        [text(cut(body, FEISHU_PER_PAPER))],
        [text(" ")],
    ]


def _feishu_post(title: str, paragraphs: list[list[dict[str, str]]]) -> Message:
    post = {"title": title, "content": paragraphs}
    return {"msg_type": "post", "content": {"post": {"zh_cn": post, "en_us": post}}}


def _size(message: Message) -> int:
    return len(json.dumps(message, ensure_ascii=False).encode()) + 120  # + timestamp and sign


def feishu_messages(feed: RankedFeed, info: DigestInfo) -> list[Message]:
    """Rich-text posts whose bodies stay under Feishu's 20 KB."""
    title = subject(info)
    groups: list[list[list[dict[str, str]]]] = [[]]
    for n, item in enumerate(feed.items, 1):
        paragraphs = feishu_paragraphs(n, item)
        if groups[-1] and _size(_feishu_post(title, groups[-1] + paragraphs)) > FEISHU_BODY:
            groups.append([])
        groups[-1].extend(paragraphs)
    page = web_url(info.page_url) if info.page_url else None
    if page:
        groups[-1].append([{"tag": "a", "text": feishu_text(info.title), "href": page}])
    out = []
    for k, group in enumerate(groups, 1):
        label = title + (f" ({k}/{len(groups)})" if len(groups) > 1 else "")
        out.append(_feishu_post(label, group))
    return out


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu's signature: Base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


# -- generic ------------------------------------------------------------------------------------


def generic_message(feed: RankedFeed, info: DigestInfo) -> Message:
    """The ranked papers as ``/api/papers`` shows them, with the digest's facts."""
    from app.schemas import PaperOut

    return {
        "feed": info.feed_name,
        "title": info.title,
        "day": info.day.isoformat(),
        "page_url": info.page_url,
        "total": info.total,
        "papers": [PaperOut.of(item).model_dump(mode="json") for item in feed.items],
    }


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- sending ------------------------------------------------------------------------------------


def encode(
    hook: Webhook, message: Message, now: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers to POST, signed as ``hook`` says."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    secret = hook.secret()
    if hook.kind == "feishu" and secret:
        timestamp = int(time.time() if now is None else now)
        message = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **message}
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    if hook.kind == "generic" and secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    return body, headers


async def post(http: httpx.AsyncClient, hook: Webhook, message: Message) -> None:
    """POST one message; anything but acceptance is a ``DeliveryError`` naming only the host."""
    for attempt in (1, 2):
        body, headers = encode(hook, message)
        try:
            response = await http.post(
                hook.url, content=body, headers=headers, timeout=hook.timeout
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{hook.label}: {type(exc).__name__}") from None
        if response.status_code == 429 and attempt == 1:
            wait = _retry_after(response)
            if wait is not None and wait <= RETRY_AFTER_MAX:
                await asyncio.sleep(wait)
                continue
        break
    if not response.is_success:
        raise DeliveryError(f"{hook.label}: answered HTTP {response.status_code}")
    if hook.kind == "feishu":
        code = _feishu_code(response)
        if code not in (None, 0):
            raise DeliveryError(f"{hook.label}: refused the message (code {code})")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _feishu_code(response: httpx.Response) -> object:
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return data.get("code", data.get("StatusCode"))
