"""Mail, the second channel: digests composed from the table, sent by SMTP or kept as .eml files.

The worker reads `mail_deliveries` like an outbox: a delivery is claimed for a lease, sent outside
any transaction, then marked sent, or put back with a later attempt time. A notification never
waits for mail, and a mail is never lost to a failed send (it may, after a crash between sending
and marking, go twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

import aiosmtplib
from sqlalchemy import update
from sqlmodel import col

from common.db import Database, run_in_transaction, utcnow
from gateway.models import MailDelivery, Notification
from gateway.notifications import repository
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

#: A claimed mail is someone else's to retry once this passes (longer than any SMTP timeout).
LEASE = timedelta(minutes=5)
BATCH = 20


class PermanentFailure(Exception):
    """The server refused the mail for good (a 5xx reply): trying again cannot help."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage, *, ref: str) -> None: ...


class FileMailer:
    """The embedded default: each mail an .eml file under the mail directory, to read by hand."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage, *, ref: str) -> None:
        await asyncio.to_thread(self._write, message, ref)

    def _write(self, message: EmailMessage, ref: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S}-{ref}.eml"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(message.as_bytes())
        os.replace(partial, self.directory / name)


class SmtpMailer:
    """Production: an SMTP server from the settings, with STARTTLS or TLS and a login."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        password_file = settings.smtp_password_file
        self.password = password_file.read_text().strip() if password_file else None

    async def send(self, message: EmailMessage, *, ref: str) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_user,
                password=self.password,
                use_tls=s.smtp_tls == "tls",
                start_tls=s.smtp_tls == "starttls",
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise PermanentFailure(str(error)) from error
        except aiosmtplib.SMTPResponseException as error:
            if error.code >= 500:
                raise PermanentFailure(f"{error.code} {error.message}") from error
            raise


def make_mailer(settings: GatewaySettings) -> Mailer:
    if settings.mail_backend == "smtp":
        return SmtpMailer(settings)
    return FileMailer(settings.mail_dir or settings.common.var_dir / "mail")


DIGEST_SUBJECT = {"zh_CN": "您有 {n} 条新通知", "en": "You have {n} new notifications"}
FOOTER = {
    "zh_CN": "在“通知”中查看全部，或在偏好设置中关闭邮件提醒。",
    "en": "See them all under Notifications, or turn mail off in your preferences.",
}


def compose(
    delivery: MailDelivery, notifications: list[Notification], settings: GatewaySettings
) -> EmailMessage:
    """One mail: the notification itself, or a digest of several, in the user's language."""
    english = delivery.language == "en"
    base = settings.public_url.rstrip("/")
    parts = []
    for n in notifications:
        title, body = (n.title_en, n.body_en) if english else (n.title_zh, n.body_zh)
        parts.append(f"{title}\n{body}\n{base}{n.link}")
    if len(notifications) == 1:
        first = notifications[0]
        subject = first.title_en if english else first.title_zh
    else:
        subject = DIGEST_SUBJECT[delivery.language].format(n=len(notifications))
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = delivery.to_address
    message["Date"] = format_datetime(delivery.created_at)
    message["Message-ID"] = make_msgid(idstring=str(delivery.id), domain="teacherpool")
    message["Auto-Submitted"] = "auto-generated"
    text = "\n\n".join(parts) + "\n\n-- \n" + FOOTER[delivery.language] + "\n"
    message.set_content(text, charset="utf-8")
    return message


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: uuid.UUID
    message: EmailMessage | None
    attempts: int


class MailWorker:
    """Sends due mails; runs in every replica, which share the work by row locks and leases."""

    def __init__(self, db: Database, settings: GatewaySettings, mailer: Mailer) -> None:
        self.db = db
        self.settings = settings
        self.mailer = mailer
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """End `run` once the batch in hand is sent and recorded."""
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                worked = await self.work_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("mail worker: %r", error)
                worked = 0
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stopping.wait(), timeout=self.settings.mail_poll_seconds
                    )

    async def work_once(self) -> int:
        """Send what is due now; the number of mails tried."""
        claimed = await run_in_transaction(self.db, self._claim)
        for item in claimed:
            if item.message is None:
                await self._finish(item, status="sent", error=None)
                continue
            try:
                await self.mailer.send(item.message, ref=str(item.delivery_id))
            except PermanentFailure as error:
                log.error("mail %s refused for good: %s", item.delivery_id, error)
                await self._finish(item, status="failed", error=str(error))
            except Exception as error:
                log.warning(
                    "mail %s not sent (attempt %d): %r", item.delivery_id, item.attempts + 1, error
                )
                await self._finish(item, status="pending", error=repr(error))
            else:
                await self._finish(item, status="sent", error=None)
        return len(claimed)

    async def _claim(self, session) -> list[Claimed]:
        rows = await repository.claim_due_deliveries(session, utcnow(), lease=LEASE, limit=BATCH)
        if not rows:
            return []
        grouped = await repository.delivery_notifications(session, [r.id for r in rows])
        return [
            Claimed(
                r.id,
                compose(r, grouped[r.id], self.settings) if grouped[r.id] else None,
                r.attempts,
            )
            for r in rows
        ]

    async def _finish(self, item: Claimed, *, status: str, error: str | None) -> None:
        now = utcnow()
        attempts = item.attempts + 1
        values: dict[str, object] = {
            "status": status,
            "attempts": attempts,
            "lease_until": None,
            "last_error": error,
        }
        if status == "sent":
            values["sent_at"] = now
        elif status == "pending":
            delay = min(
                self.settings.mail_retry_max_seconds,
                self.settings.mail_retry_base_seconds * 2 ** (attempts - 1),
            )
            values["next_attempt_at"] = now + timedelta(seconds=delay)

        async def work(session) -> None:
            await session.execute(
                update(MailDelivery)
                .where(col(MailDelivery.id) == item.delivery_id)
                .values(**values)
            )

        await run_in_transaction(self.db, work)
