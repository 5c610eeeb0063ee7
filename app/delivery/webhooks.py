"""The daily digest by webhook, in each platform's documented format and limits.

``messages`` (pure) turns a digest into the JSON bodies to POST, split so each stays within
its platform's limits; ``post`` sends one (signing it when the kind says so).

- ``slack`` (incoming webhooks, Block Kit): a ``text`` fallback, a ``header`` block (150
  characters), one ``section`` per paper (mrkdwn, 3000 characters); at most 50 blocks a message,
  so a long digest becomes several messages.
- ``discord`` (execute webhook): ``content`` of at most 2000 characters and up to 10 embeds per
  message, each with a title of at most 256 and a description of at most 4096 characters, all
  embeds of a message at most 6000 characters together; mentions are disabled.
- ``feishu`` (Feishu and Lark custom bots): ``msg_type: post`` rich text, each request body at
  most 20 KB; with ``secret_env`` the body carries ``timestamp`` and ``sign`` (Base64 of
  HMAC-SHA256 keyed by ``timestamp + "\\n" + secret`` over an empty message). Feishu answers
  HTTP 200 with a non-zero ``code`` when it refuses a message.
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
    body_text,
    cut,
    extra_links,
    facts_line,
    pdf_link,
    subject,
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


def _slack_link(url: str, text: str) -> str:
    return f"<{url}|{_slack_escape(text).replace('|', '¦')}>"


def slack_section(n: int, item: ScoredPaper) -> str:
    """One paper as a section's mrkdwn text, within Slack's 3000 characters."""
    p = item.paper
    links = [_slack_link(pdf_link(item), "PDF")]
    links += [_slack_link(url, name) for name, url in extra_links(item)]
    head = "\n".join(
        [
            f"*{_slack_link(p.link, f'{n}. {cut(p.title, 300)}')}*",
            _slack_escape(cut(", ".join(p.authors), 300)),
            _slack_escape(facts_line(item)),
            f"_Why: {_slack_escape(cut(why_line(item), 500))}_",
            " · ".join(links),
        ]
    )
    room = SLACK_SECTION - len(head) - 1
    body = cut(_slack_markdown(body_text(item)), max(0, room))
    return f"{head}\n{body}" if body else head[:SLACK_SECTION]


def slack_messages(feed: RankedFeed, info: DigestInfo) -> list[Message]:
    """Block Kit messages of at most 50 blocks."""
    sections = [
        {"type": "section", "text": {"type": "mrkdwn", "text": slack_section(n, item)}}
        for n, item in enumerate(feed.items, 1)
    ]
    per = SLACK_BLOCKS - 2  # header and footer context
    chunks = [sections[i : i + per] for i in range(0, len(sections), per)]
    out: list[Message] = []
    for k, chunk in enumerate(chunks, 1):
        title = subject(info) + (f" ({k}/{len(chunks)})" if len(chunks) > 1 else "")
        header = {"type": "header", "text": {"type": "plain_text", "text": cut(title, 150)}}
        blocks: list[dict[str, Any]] = [header, *chunk]
        if info.page_url:
            footer = f"From {_slack_link(info.page_url, info.title)}"
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
        out.append({"text": cut(title, 3000), "blocks": blocks})
    return out


# -- Discord ------------------------------------------------------------------------------------


def discord_embed(n: int, item: ScoredPaper) -> dict[str, Any]:
    """One paper as an embed, within Discord's limits."""
    p = item.paper
    links = [f"[PDF]({pdf_link(item)})"] + [f"[{name}]({url})" for name, url in extra_links(item)]
    head = "\n".join(
        [
            cut(", ".join(p.authors), 300),
            facts_line(item),
            f"*Why: {cut(why_line(item), 400)}*",
            " · ".join(links),
        ]
    )
    room = min(DISCORD_PER_PAPER, DISCORD_DESCRIPTION) - len(head) - 2
    description = f"{head}\n\n{cut(body_text(item), max(0, room))}".strip()
    return {
        "title": cut(f"{n}. {p.title}", DISCORD_TITLE),
        "url": p.link,
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
    out: list[Message] = []
    for k, group in enumerate(groups, 1):
        content = f"**{subject(info)}**" + (f" ({k}/{len(groups)})" if len(groups) > 1 else "")
        if k == 1 and info.page_url:
            content += f"\n<{info.page_url}>"
        out.append(
            {
                "content": cut(content, DISCORD_CONTENT),
                "embeds": group,
                "allowed_mentions": {"parse": []},
            }
        )
    return out


# -- Feishu / Lark ------------------------------------------------------------------------------


def feishu_paragraphs(n: int, item: ScoredPaper) -> list[list[dict[str, str]]]:
    """One paper as rich-text paragraphs."""
    p = item.paper
    links: list[dict[str, str]] = [{"tag": "a", "text": "PDF", "href": pdf_link(item)}]
    for name, url in extra_links(item):
        links += [{"tag": "text", "text": " · "}, {"tag": "a", "text": name, "href": url}]
    return [
        [{"tag": "a", "text": f"{n}. {cut(p.title, 300)}", "href": p.link}],
        [{"tag": "text", "text": cut(", ".join(p.authors), 300)}],
        [{"tag": "text", "text": f"{facts_line(item)}\nWhy: {cut(why_line(item), 400)}"}],
        links,
        [{"tag": "text", "text": cut(body_text(item), FEISHU_PER_PAPER)}],
        [{"tag": "text", "text": " "}],
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
    if info.page_url:
        groups[-1].append([{"tag": "a", "text": info.title, "href": info.page_url}])
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
