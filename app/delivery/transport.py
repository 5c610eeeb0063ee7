"""The HTTP client webhooks are posted with: ``PublicOnly`` sends a request only to a public
address of its host, the one it checked (see ``app.delivery.addresses``).

It resolves the host itself and refuses it unless every address is public, then connects to
the first one; the URL's host stays in the ``Host`` header and in TLS's SNI (so the certificate
is checked against it). A DNS answer that changes between the check and the connection (DNS
rebinding) thus never reaches a private address.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from ipaddress import ip_address

import httpx

from app.delivery.addresses import is_public
from app.errors import DeliveryError

Resolve = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class PublicOnly(httpx.AsyncBaseTransport):
    """Sends a request only to a public address of its host, the one it checked."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport | None = None, resolver: Resolve = resolve
    ) -> None:
        # no kept-alive connections: one to an address under one name must not carry a
        # request for another name that resolves to the same address
        self.inner = inner or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_keepalive_connections=0)
        )
        self.resolver = resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Resolve, check, then send to the checked address (``DeliveryError`` if none)."""
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            found = await self.resolver(host, port)
        except OSError:
            raise DeliveryError(f"webhook host {host} cannot be resolved") from None
        addresses = [ip_address(a.split("%", 1)[0]) for a in found]
        if not addresses or not all(is_public(a) for a in addresses):
            raise DeliveryError(
                f"webhook host {host} resolves to an address that is not public; refused "
                "(set delivery_allow_private to allow it)"
            )
        request.url = request.url.copy_with(host=str(addresses[0]))
        request.extensions = {**request.extensions, "sni_hostname": host}
        return await self.inner.handle_async_request(request)  # Host header: still ``host``

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()


def webhook_client(user_agent: str, *, allow_private: bool) -> httpx.AsyncClient:
    """The HTTP client webhooks are posted with: public addresses only, unless allowed."""
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent},
        follow_redirects=False,
        transport=None if allow_private else PublicOnly(),
    )
