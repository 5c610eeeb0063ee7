"""``deliver``: one feed's daily digest to every channel its ``delivery`` setting names.

Each channel (the e-mail, each webhook) goes its own way: one failing does not stop the others,
and each is recorded in the ledger (``app.delivery.ledger``) so it gets the digest at most once
per feed and announcement day, whatever retries, restarts or other instances do. A day without
papers, a listing without an announcement day and the bundled sample data send nothing (a dry
run still shows the sample's messages). The
clients (store, HTTP, SMTP) are arguments; ``dry_run`` builds every message, sends none and
records nothing. When the ledger cannot be written (the store full or unreachable), nothing is
sent to the channel, which is reported as failed and retried by the next run.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from email.message import EmailMessage

import httpx

from app.delivery import email, webhooks
from app.delivery.content import DigestInfo, digest_info
from app.delivery.ledger import Ledger
from app.delivery.report import ChannelReport, DeliveryReport
from app.delivery.settings import Delivery, EmailDelivery, Webhook
from app.errors import DeliveryError, StoreUnavailable
from app.models import RankedFeed
from app.store import Store

log = logging.getLogger(__name__)


async def deliver(
    feed: RankedFeed,
    delivery: Delivery,
    *,
    feed_name: str,
    ledger_name: str | None = None,
    title: str,
    page_url: str | None,
    store: Store,
    http: httpx.AsyncClient,
    smtp: email.SMTPConnect | None = None,
    dry_run: bool = False,
) -> DeliveryReport:
    """Send ``feed``'s digest to each channel of ``delivery`` that has not had it today.

    ``ledger_name`` is the feed's name in the ledger (``ledger.feed_key``; default:
    ``feed_name``), ``feed_name`` the one its messages show.
    """
    report = DeliveryReport(feed=feed_name, day=feed.listing_day, papers=len(feed.items))
    if feed.listing_day is None:
        report.note = "the listing has no announcement day: nothing sent"
    elif not feed.items:
        report.note = "no paper in the digest today: nothing sent"
    elif feed.sample:
        report.note = "bundled sample data, not today's listing: nothing sent"
        if dry_run:  # still show what the messages look like
            report.note = "bundled sample data: shown, but a real run sends nothing"
    if report.note is not None and not (dry_run and feed.sample and feed.items):
        return report
    info = digest_info(feed, title, feed_name, page_url)
    ledger = Ledger(store, feed=ledger_name or feed_name)
    if delivery.email is not None:
        msg = email.build_message(feed, info, delivery.email)
        connect = smtp or email.smtp_connector()
        report.channels.append(
            await _email(msg, delivery.email, connect, info, ledger, dry_run=dry_run)
        )
    for hook in delivery.webhooks:
        bodies = webhooks.messages(feed, info, hook)
        report.channels.append(await _webhook(bodies, hook, http, info, ledger, dry_run=dry_run))
    return report


async def _email(
    msg: EmailMessage,
    cfg: EmailDelivery,
    connect: email.SMTPConnect,
    info: DigestInfo,
    ledger: Ledger,
    *,
    dry_run: bool,
) -> ChannelReport:
    if dry_run:
        return ChannelReport(
            channel=cfg.label, status="dry_run", messages=1, preview=[email.preview(msg)]
        )

    async def send(_: int) -> None:
        await email.send(msg, cfg, connect)

    return await _once(cfg.label, cfg.channel_id, 1, send, info, ledger)


async def _webhook(
    bodies: list[webhooks.Message],
    hook: Webhook,
    http: httpx.AsyncClient,
    info: DigestInfo,
    ledger: Ledger,
    *,
    dry_run: bool,
) -> ChannelReport:
    if dry_run:
        unsigned = hook.model_copy(update={"secret_env": None})
        previews = [webhooks.encode(unsigned, body)[0].decode() for body in bodies]
        return ChannelReport(
            channel=hook.label, status="dry_run", messages=len(bodies), preview=previews
        )

    async def send(i: int) -> None:
        await webhooks.post(http, hook, bodies[i])

    return await _once(hook.label, hook.channel_id, len(bodies), send, info, ledger)


async def _once(
    label: str,
    channel_id: str,
    count: int,
    send: Callable[[int], Awaitable[None]],
    info: DigestInfo,
    ledger: Ledger,
) -> ChannelReport:
    """Send messages ``0..count-1`` through ``send`` unless the ledger says otherwise."""
    slot = ledger.slot(channel_id, info.day)
    if await ledger.sent(slot):
        return ChannelReport(channel=label, status="already_sent")
    try:
        if not await ledger.claim(slot):
            return ChannelReport(channel=label, status="in_progress")
    except StoreUnavailable as exc:  # not recorded, so not sent: it could be sent twice later
        log.warning("delivery of %s for %s waits: %s", info.feed_name, info.day, exc.message)
        return ChannelReport(
            channel=label, status="failed", error=f"{exc.message}; nothing sent, retried next run"
        )
    sent = 0
    try:
        if await ledger.sent(slot):  # finished elsewhere between the check and the claim
            await ledger.release(slot)
            return ChannelReport(channel=label, status="already_sent")
        start = min(await ledger.parts_done(slot), count)
        for i in range(start, count):
            await send(i)
            sent += 1
            await ledger.part_sent(slot, i + 1)
        await ledger.finish(slot, count)
    except (DeliveryError, StoreUnavailable) as exc:
        with contextlib.suppress(StoreUnavailable):
            await ledger.release(slot)
        log.warning("delivery of %s for %s failed: %s", info.feed_name, info.day, exc.message)
        return ChannelReport(channel=label, status="failed", messages=sent, error=exc.message)
    except BaseException:
        with contextlib.suppress(StoreUnavailable):
            await ledger.release(slot)
        raise
    log.info("delivered %s for %s to %s (%d messages)", info.feed_name, info.day, label, sent)
    return ChannelReport(channel=label, status="sent", messages=sent)
