"""Where a webhook may be sent: https to a public address in production (no SSRF)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class TargetRefused(ValueError):
    """A webhook URL that must not be called."""


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that is not https to a public address (http and private allowed locally)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused("the URL must be an absolute https URL")
    if parts.username or parts.password:
        raise TargetRefused("the URL must not carry credentials")
    if allow_private:
        return
    if parts.scheme != "https":
        raise TargetRefused("the URL must use https")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, parts.port or 443, type=socket.SOCK_STREAM
        )
    except socket.gaierror as error:
        raise TargetRefused(f"the host {parts.hostname} does not resolve") from error
    addresses = {info[4][0] for info in infos}
    private = sorted(a for a in addresses if _is_private(str(a)))
    if private:
        raise TargetRefused(
            f"the host {parts.hostname} resolves to a private or loopback address ({private[0]})"
        )
