"""Webhooks go only to public addresses (unless the ``delivery_allow_private`` setting says so).

A webhook URL is given by the owner, but a stored profile's comes through the API, and either
may name a host inside the deployment's network: ``localhost``, ``10.x``, or the cloud metadata
service at ``169.254.169.254``. Two checks keep digests from being posted there:

- ``private_webhooks`` (when the settings or a profile are validated): a host that is
  ``localhost`` or a literal non-public address;
- ``app.delivery.transport.PublicOnly`` (when sending): resolves the host and refuses it unless
  every address is public, then connects to the address it checked, so a DNS answer that
  changes between the check and the connection (DNS rebinding) cannot reach a private one.

Public means global unicast: not private, loopback, link-local, shared (100.64/10), reserved,
documentation, unspecified or multicast, nor an IPv6 address embedding one of those.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from urllib.parse import urlsplit

from app.delivery.settings import Delivery

NAT64 = ip_network("64:ff9b::/96")


def is_public(ip: IPv4Address | IPv6Address) -> bool:
    """Whether ``ip`` is a global unicast address (an embedded IPv4 address must be one too)."""
    if isinstance(ip, IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in NAT64:
            embedded = IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return ip.is_global and not ip.is_multicast


def private_host(host: str) -> bool:
    """Whether ``host`` is plainly not public: ``localhost`` (or under it) or such an address."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not is_public(ip_address(host))
    except ValueError:
        return False  # a name: checked when sending, once resolved


def private_webhooks(delivery: Delivery | None) -> list[str]:
    """The webhooks of ``delivery`` (by kind and host only) whose host is plainly private."""
    if delivery is None:
        return []
    return [w.label for w in delivery.webhooks if private_host(urlsplit(w.url).hostname or "")]


def refusal(labels: list[str]) -> str:
    """Why these webhooks are refused, and how to allow them."""
    return (
        f"webhook {', '.join(labels)} is not a public address (loopback, private, link-local "
        "or the like); set delivery_allow_private (ARXIV_FEEDS_DELIVERY_ALLOW_PRIVATE=true) "
        "to allow it"
    )
