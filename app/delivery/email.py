"""The daily digest by e-mail: one multipart/alternative message over SMTP.

``build_message`` (pure) writes a plain-text part and an HTML part with the same content: each
ranked paper, why it is there, its summary (Markdown rendered to sanitized HTML, as in the
feeds), its links; a ``List-Unsubscribe`` header points at the feed's page. Subject and display
names may be any Unicode (RFC 2047 encoded by the stdlib's ``email`` package).

Sending uses the stdlib's ``smtplib`` in a worker thread: one message a day does not justify
an extra dependency (aiosmtplib) in the bundle. ``smtp_connector`` makes the connection
(``starttls``, ``ssl`` or ``none``); tests pass one that trusts their own certificate.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from html import escape

from app.delivery.content import DigestInfo, paper_text, subject
from app.delivery.settings import EmailDelivery
from app.errors import DeliveryError
from app.models import RankedFeed
from app.render.feeds import item_html

SMTPConnect = Callable[[EmailDelivery], smtplib.SMTP]


def smtp_connector(context: ssl.SSLContext | None = None) -> SMTPConnect:
    """A function that opens an SMTP connection as ``EmailDelivery.security`` says.

    ``context`` verifies the server's certificate (default: the system's trust store).
    """

    def connect(cfg: EmailDelivery) -> smtplib.SMTP:
        tls = context or ssl.create_default_context()
        port = cfg.effective_port
        if cfg.security == "ssl":
            return smtplib.SMTP_SSL(cfg.host, port, timeout=cfg.timeout, context=tls)
        smtp = smtplib.SMTP(cfg.host, port, timeout=cfg.timeout)
        try:
            if cfg.security == "starttls":
                smtp.starttls(context=tls)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp

    return connect


def build_message(feed: RankedFeed, info: DigestInfo, cfg: EmailDelivery) -> EmailMessage:
    """The digest as a multipart/alternative message (text, then HTML)."""
    msg = EmailMessage()
    msg["Subject"] = subject(info)
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(cfg.to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(cfg.sender)[1].rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid("digest", domain=domain)
    msg["X-Arxiv-Feeds-Day"] = info.day.isoformat()
    if info.page_url:
        msg["List-Unsubscribe"] = f"<{info.page_url}>"
        msg["List-Id"] = f"{info.feed_name} <{info.feed_name}.arxiv-feeds>"
    msg.set_content(text_body(feed, info), subtype="plain", charset="utf-8")
    msg.add_alternative(html_body(feed, info), subtype="html", charset="utf-8")
    return msg


def text_body(feed: RankedFeed, info: DigestInfo) -> str:
    """The plain-text part."""
    blocks = [subject(info), "=" * min(72, len(subject(info))), ""]
    for n, item in enumerate(feed.items, 1):
        blocks += [paper_text(n, item), "", "-" * 40, ""]
    blocks.append(_footer_text(info))
    return "\n".join(blocks) + "\n"


def html_body(feed: RankedFeed, info: DigestInfo) -> str:
    """The HTML part: every value escaped, summaries sanitized (``item_html``)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(subject(info))}</title></head>",
        '<body style="font-family:sans-serif;max-width:46em;margin:auto;line-height:1.4">',
        f"<h1>{escape(subject(info))}</h1>",
    ]
    for n, item in enumerate(feed.items, 1):
        p = item.paper
        parts.append(f'<h2><a href="{escape(p.link)}">{n}. {escape(p.title)}</a></h2>')
        parts.append(item_html(item))
        parts.append("<hr/>")
    footer = escape(_footer_text(info))
    if info.page_url:
        link = f'<a href="{escape(info.page_url)}">{escape(info.page_url)}</a>'
        footer = footer.replace(escape(info.page_url), link)
    parts += [f"<p><small>{footer}</small></p>", "</body></html>"]
    return "\n".join(parts) + "\n"


def _footer_text(info: DigestInfo) -> str:
    where = f" The feed and its settings: {info.page_url}" if info.page_url else ""
    return (
        f"Sent by arxiv-feeds for the feed {info.feed_name!r}, once per announcement day.{where}"
        " To stop these messages, remove your address from delivery.email.to."
    )


def preview(msg: EmailMessage) -> str:
    """The headers and the text part, for ``--dry-run``."""
    head = "\n".join(f"{k}: {v}" for k, v in msg.items())
    text = msg.get_body(("plain",))
    return head + "\n\n" + (text.get_content() if text is not None else "")


async def send(msg: EmailMessage, cfg: EmailDelivery, connect: SMTPConnect) -> None:
    """Send ``msg`` in a worker thread; any failure is a ``DeliveryError`` without secrets."""
    try:
        await asyncio.to_thread(_send, msg, cfg, connect)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{cfg.label}: login refused ({exc.smtp_code})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"{cfg.label}: refused {len(exc.recipients)} recipient(s)") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"{cfg.label}: the server answered {exc.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"{cfg.label}: {type(exc).__name__}: {exc}") from None


def _send(msg: EmailMessage, cfg: EmailDelivery, connect: SMTPConnect) -> None:
    with connect(cfg) as smtp:
        password = cfg.password()
        if cfg.user and password:
            smtp.login(cfg.user, password)
        smtp.send_message(msg, from_addr=parseaddr(cfg.sender)[1], to_addrs=cfg.recipients())
