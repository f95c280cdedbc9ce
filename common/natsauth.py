"""NATS users per service and what each may publish and subscribe to (nats-server permissions).

A service publishes only its own events (`<service>.>`) and its own dead letters
(`dlq.<service>`), so a compromised or buggy process cannot forge `staffing.staff.hired` or
another service's revocations. JetStream's API stays usable (streams, pull consumers, acks,
key-value reads) except the calls that destroy data: deleting or purging a stream, deleting a
message or a consumer. Only the gateway owns its rate-limit bucket and its core subjects.
"""

from __future__ import annotations

import json
import secrets

SERVICES = ("staffing", "sharing", "talent", "gateway")

#: JetStream API calls no service makes, and which would let one erase another's events.
DESTRUCTIVE = (
    "$JS.API.STREAM.DELETE.>",
    "$JS.API.STREAM.PURGE.>",
    "$JS.API.STREAM.MSG.DELETE.>",
    "$JS.API.CONSUMER.DELETE.>",
)
#: Core subjects only the gateway uses: revocations between replicas, inbox wake-ups, rate limits.
GATEWAY_OWN = ("tp.gateway.>", "tp.notify.>", "$KV.gateway_rate_limits.>")


def permissions(service: str) -> dict[str, dict[str, list[str]]]:
    """The nats-server `permissions` block of one service's user."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    publish = [f"{service}.>", f"dlq.{service}", "$JS.API.>", "$JS.ACK.>", "_INBOX.>"]
    subscribe = ["_INBOX.>"]
    if service == "gateway":
        publish += list(GATEWAY_OWN)
        subscribe += ["tp.gateway.>", "tp.notify.>"]
    return {
        "publish": {"allow": publish, "deny": list(DESTRUCTIVE)},
        "subscribe": {"allow": subscribe},
    }


def new_passwords() -> dict[str, str]:
    """A random password for each service's user."""
    return {service: secrets.token_urlsafe(32) for service in SERVICES}


def authorization_block(passwords: dict[str, str]) -> str:
    """The `authorization { users = [...] }` block of a nats-server configuration file.

    JSON is valid nats-server configuration syntax, so values need no escaping of their own."""
    users = [
        {"user": service, "password": password, "permissions": permissions(service)}
        for service, password in sorted(passwords.items())
    ]
    return "authorization " + json.dumps({"users": users}, indent=2) + "\n"


def url_for(base_url: str, service: str, password: str) -> str:
    """`nats://host:port` with the service's user and password in it (what TP_NATS_URL takes)."""
    scheme, _, rest = base_url.partition("://")
    return f"{scheme}://{service}:{password}@{rest}"
