"""Delivery: each feed's daily digest by e-mail (SMTP) or webhook (Slack, Discord, Feishu/Lark,
generic JSON), at most once per feed, channel and announcement day.

``settings`` holds the ``delivery`` setting, ``content`` the facts every channel shows,
``email`` and ``webhooks`` the formats, ``ledger`` the once-only record in the store,
``addresses`` and ``transport`` keep webhooks to public addresses, and ``deliver`` is the
function the daily refresh calls for each feed. (Nothing is imported here, so
``app.config`` can load the settings model without the senders.)
"""
