"""NATS users per service and what each may publish and subscribe to (nats-server permissions).

Every permission is an allow list, so what is not listed is refused:

- a service publishes only its own events (`<service>.>`) and its own dead letters
  (`dlq.<service>`), so a compromised or buggy process cannot forge `staffing.staff.hired`;
- of JetStream's API it may keep its own stream (create, update, info), create and read the
  dead-letter stream, and use its own durable consumer on each stream it consumes (create,
  info, pull the next messages, acknowledge them). It cannot delete or purge a stream, delete a
  consumer, read another stream's messages directly, or use another service's consumer;
- it may take a dead letter off the list once it has applied it (`$JS.API.STREAM.MSG.DELETE.DLQ`,
  the one delete any service makes): replaying a dead letter is done by the service that parked
  it, never by re-publishing another service's event;
- replies come to an inbox prefix of its own (`_INBOX_<service>.>`), so no one can listen to
  another's acknowledgements or pulled messages;
- only the gateway has its core subjects (revocations between replicas, inbox wake-ups), its
  rate-limit bucket, and lists consumers (for reconciliation). It publishes no events.

No service answers requests of another, so `allow_responses` stays off (the default).
The subjects are JetStream's wire API (docs.nats.io, "JetStream wire API Reference").
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import quote, urlsplit

SERVICES = ("staffing", "sharing", "talent", "gateway")
#: The services that publish events, each into a stream of its own (mirrors `common.bus`).
PUBLISHERS = ("staffing", "sharing", "talent")
DLQ_STREAM = "DLQ"
#: Which publishers' streams each service consumes, a durable consumer each (named after the
#: service). The services declare their handlers in their own apps; a test checks that this
#: table says the same.
CONSUMES: dict[str, tuple[str, ...]] = {
    "staffing": ("sharing", "talent"),
    "sharing": ("staffing",),
    "talent": ("staffing", "talent"),
    "gateway": ("sharing", "staffing", "talent"),
}
RATE_LIMIT_BUCKET = "gateway_rate_limits"
#: Core subjects only the gateway uses: revocations between replicas, inbox wake-ups.
GATEWAY_CORE = ("tp.gateway.>", "tp.notify.>")
#: JetStream API calls nobody is given; listed as a deny as well, so that a later allow
#: cannot grant them by accident.
DESTRUCTIVE = (
    "$JS.API.STREAM.DELETE.>",
    "$JS.API.STREAM.PURGE.>",
    "$JS.API.CONSUMER.DELETE.>",
)
API = "$JS.API"


def inbox_prefix(name: str) -> str:
    """The reply-subject prefix of a connection named `name` (nats-py `inbox_prefix`)."""
    return f"_INBOX_{name}"


def _consumer_rights(service: str, publisher: str) -> list[str]:
    stream, durable = publisher.upper(), service
    return [
        # nats-py names the consumer in the subject, with its filter when it has one only;
        # older servers take the durable form.
        f"{API}.CONSUMER.CREATE.{stream}.{durable}",
        f"{API}.CONSUMER.CREATE.{stream}.{durable}.>",
        f"{API}.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
        f"{API}.CONSUMER.INFO.{stream}.{durable}",
        f"{API}.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
        # the stream must exist before its consumer; its owner creates it
        f"{API}.STREAM.INFO.{stream}",
    ]


def permissions(service: str) -> dict[str, dict[str, list[str]]]:
    """The nats-server `permissions` block of one service's user."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    publish = [
        f"dlq.{service}",
        f"{API}.INFO",
        f"{API}.STREAM.CREATE.{DLQ_STREAM}",
        f"{API}.STREAM.INFO.{DLQ_STREAM}",
        f"{API}.STREAM.MSG.GET.{DLQ_STREAM}",
        f"{API}.STREAM.MSG.DELETE.{DLQ_STREAM}",
    ]
    if service in PUBLISHERS:
        stream = service.upper()
        publish += [
            f"{service}.>",
            f"{API}.STREAM.CREATE.{stream}",
            f"{API}.STREAM.UPDATE.{stream}",
            f"{API}.STREAM.INFO.{stream}",
        ]
    for publisher in CONSUMES[service]:
        publish += _consumer_rights(service, publisher)
    subscribe = [f"{inbox_prefix(service)}.>"]
    if service == "gateway":
        kv = f"KV_{RATE_LIMIT_BUCKET}"
        publish += [
            *GATEWAY_CORE,
            f"$KV.{RATE_LIMIT_BUCKET}.>",
            f"{API}.STREAM.CREATE.{kv}",
            f"{API}.STREAM.INFO.{kv}",
            f"{API}.STREAM.MSG.GET.{kv}",
            f"{API}.DIRECT.GET.{kv}",
            f"{API}.DIRECT.GET.{kv}.>",
            *(f"{API}.CONSUMER.LIST.{p.upper()}" for p in PUBLISHERS),
        ]
        subscribe += list(GATEWAY_CORE)
    return {
        "publish": {"allow": sorted(set(publish)), "deny": list(DESTRUCTIVE)},
        "subscribe": {"allow": subscribe},
    }


def owned_streams(name: str) -> frozenset[str] | None:
    """The streams a connection named `name` keeps the configuration of; None: every stream
    (a name that is no service, such as a test's own connection to an open server)."""
    if name not in SERVICES:
        return None
    return frozenset({name.upper()}) if name in PUBLISHERS else frozenset()


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


def password_variable(service: str) -> str:
    """The environment variable of the NATS server that holds `service`'s password."""
    return f"NATS_{service.upper()}_PASSWORD"


def authorization_block_from_environment() -> str:
    """The same users, each password read by nats-server from its environment
    (`$NATS_STAFFING_PASSWORD`, …): the file holds no secret, so it ships with the deployment
    (deploy/nats/auth.conf, deploy/k8s/base/nats-auth.conf) and the passwords come from
    secrets."""
    marker = "@@{}@@"
    text = authorization_block({s: marker.format(password_variable(s)) for s in SERVICES})
    for service in SERVICES:
        variable = password_variable(service)
        text = text.replace(f'"{marker.format(variable)}"', f"${variable}")
    return text


def url_for(base_url: str, service: str, password: str) -> str:
    """`nats://host:port` with the service's user and password in it (what TP_NATS_URL takes)."""
    scheme, _, rest = base_url.partition("://")
    return f"{scheme}://{service}:{quote(password, safe='')}@{rest}"


def has_credentials(url: str) -> bool:
    return bool(urlsplit(url).username)


def write_users(out: Path, base_url: str, passwords: dict[str, str] | None = None) -> None:
    """`out/auth.conf` for nats-server and `out/<service>.url` for each service, all 0600."""
    passwords = passwords or new_passwords()
    out.mkdir(parents=True, exist_ok=True)
    files = {"auth.conf": authorization_block(passwords)}
    files |= {f"{s}.url": url_for(base_url, s, p) + "\n" for s, p in passwords.items()}
    for name, text in files.items():
        fd = os.open(out / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)


def generated_url(folder: Path, service: str, base_url: str) -> str | None:
    """The URL with `service`'s credentials that `write_users` left in `folder` for the server
    at `base_url`'s address, if there is one (what `teacherpool up` generates under `var/`)."""
    path = folder / f"{service}.url"
    if not path.exists():
        return None
    url = path.read_text().strip()
    found, wanted = urlsplit(url), urlsplit(base_url)
    if (found.hostname, found.port) != (wanted.hostname, wanted.port):
        return None
    return url
