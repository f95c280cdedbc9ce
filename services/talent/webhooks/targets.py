"""Where a webhook may be sent, and to which exact address (no SSRF, no DNS rebinding).

A URL is vetted once per delivery: its host is resolved, and every address must be public unless
the operator opted in to private targets (`TP_TALENT_WEBHOOK_ALLOW_PRIVATE_TARGETS`, never in
production). The delivery then connects to the vetted address itself, carrying the hostname in
the Host header and as the TLS server name, so a second DNS answer can never redirect it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

#: Resolves a host and port to IP addresses; the system resolver unless a test gives another.
Resolver = Callable[[str, int], Awaitable[list[str]]]


class TargetRefused(ValueError):
    """A webhook URL that must not be called."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(address: str) -> bool:
    """False for loopback, private (RFC 1918, ULA), link-local (cloud metadata at
    169.254.169.254 and fd00:ec2::254 included), CGNAT 100.64/10, multicast and reserved."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True, slots=True)
class Vetted:
    """A webhook URL and the one address it may be sent to."""

    url: str
    host: str
    port: int
    address: str

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the vetted address."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        return urlunsplit(parts._replace(netloc=f"{literal}:{self.port}"))

    @property
    def host_header(self) -> str:
        default = 443 if urlsplit(self.url).scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


async def check_target(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> Vetted:
    """Vet a URL: https to public addresses only, unless private targets were allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused("the URL must be an absolute https URL")
    if parts.username or parts.password:
        raise TargetRefused("the URL must not carry credentials")
    if parts.scheme != "https" and not allow_private:
        raise TargetRefused("the URL must use https")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [str(ipaddress.ip_address(parts.hostname))]
    except ValueError:
        try:
            addresses = await resolver(parts.hostname, port)
        except (OSError, UnicodeError) as error:
            raise TargetRefused(f"the host {parts.hostname} does not resolve") from error
    if not addresses:
        raise TargetRefused(f"the host {parts.hostname} does not resolve")
    if not allow_private and not all(is_public(a) for a in addresses):
        # Which address it was stays with us: the partner learns nothing of our network.
        raise TargetRefused(f"the host {parts.hostname} does not resolve to public addresses only")
    return Vetted(url, parts.hostname, port, addresses[0])
