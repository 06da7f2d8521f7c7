"""A way around the platform: an e-mail to the committee chair (and `CANDOR_ALERT_EMAIL`) when
the committee's channel has refused Candor's notices for longer than `CANDOR_ALERT_STALE_MINUTES`.

Once per outage (bot.delivery.outage: the row is marked told before the e-mail goes, so two
replicas send one), audited, and content-free: how many notices, since when, the platform's error
code and its fix. Never a case code, a category or anything about a report. SMTP from
`CANDOR_SMTP_URL`: `smtp://` (plain, for a local relay), `smtp+starttls://` or `smtps://`, with an
optional `user:password@` and `?from=ADDRESS`.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from bot.core import Core
from bot.delivery.outage import Outage, addresses, audit_told, mark_told, outages_to_tell
from bot.wording import notices
from storage.db import Database

log = logging.getLogger("candor.mail")

_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailConfigError(ValueError):
    """CANDOR_SMTP_URL cannot be used; the message says why (never the URL: it may hold a
    password)."""


@dataclass(frozen=True)
class Mailer:
    scheme: str
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    timeout: float = 20.0

    @classmethod
    def from_url(cls, url: str) -> Mailer:
        parts = urlsplit(url)
        if parts.scheme not in _PORTS or not parts.hostname:
            raise MailConfigError("CANDOR_SMTP_URL must look like smtp://host:port, "
                                  "smtp+starttls://... or smtps://...")
        query = parse_qs(parts.query)
        sender = (query.get("from") or [f"candor@{parts.hostname}"])[0]
        return cls(parts.scheme, parts.hostname, parts.port or _PORTS[parts.scheme], sender,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)

    def send(self, *, to: list[str], subject: str, body: str) -> None:
        """Send one message (blocking). Raises smtplib.SMTPException or OSError."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, ", ".join(to), subject
        message.set_content(body)
        smtp: smtplib.SMTP
        if self.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


@dataclass
class OutageMail:
    db: Database
    core: Core
    mailer: Mailer
    stale: timedelta
    extra: str | None = None

    def check(self) -> int:
        """E-mail about every outage past the threshold not yet told (blocking); returns how many
        e-mails went."""
        now = self.core.now()
        outages = outages_to_tell(self.db, now=now, after=self.stale)
        sent = 0
        for outage in outages:
            if not mark_told(self.db, outage, at=now):
                continue  # another replica tells
            sent += self._tell(outage)
        return sent

    def _tell(self, outage: Outage) -> int:
        to = addresses(self.db, self.extra)
        if not to:
            log.warning("the committee channel on %s is blocked (%s) and no e-mail address is "
                        "known",
                        outage.platform.value, outage.cause)
            return 0
        since = outage.started_at.strftime("%Y-%m-%d %H:%M UTC")
        body = notices.outage_email(count=outage.notices, since=since,
                                    platform=outage.platform.label,
                                 cause=outage.cause)
        try:
            self.mailer.send(to=to, subject=notices.OUTAGE_EMAIL_SUBJECT, body=body)
        except (smtplib.SMTPException, OSError) as exc:
            log.error("outage e-mail failed: %s; tried again at the next check", type(exc).__name__)
            mark_told(self.db, outage, at=None)
            return 0
        audit_told(self.db, self.core.audit, outage, recipients=len(to))
        log.info("operators e-mailed: %s committee channel blocked (%s)", outage.platform.value,
                 outage.cause)
        return 1

    async def run(self, stop: asyncio.Event) -> None:
        every = min(30.0, max(self.stale.total_seconds() / 3, 0.2))
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.check)
            except Exception as exc:  # noqa: BLE001  the database may be briefly unreachable
                log.error("outage check failed: %s", type(exc).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                pass
