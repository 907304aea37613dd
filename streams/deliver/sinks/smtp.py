"""Email sink: SMTP with STARTTLS or implicit TLS and login; multipart text + HTML.

Per recipient: the delivery's `ref` remembers who already accepted the mail (and who refused
it for good), so a retry only goes to those still owed. 4xx replies retry with backoff, 5xx
are dead at once; a bad login is dead and flags the destination. The Message-ID is derived
from the alert id, so a resend after a crash is recognisable as the same mail; updates are
replies (In-Reply-To the alert's Message-ID). Headers only ever get one-line text, and the
email package refuses CR/LF in a header as a second guard.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from streams.config.settings import Settings
from streams.deliver.render import email_content, one_line
from streams.deliver.retry_policy import Message, SendResult, SinkBase
from streams.deliver.sink_kinds import KINDS, Destination

MSGID_DOMAIN = "newswatch.local"


def message_id(key: str) -> str:
    """A stable Message-ID for an alert, update or digest key."""
    return f"<{key}@{MSGID_DOMAIN}>"


def build_email(
    messages: Sequence[Message], sender: str, recipients: Sequence[str]
) -> EmailMessage:
    """The MIME message (text + HTML alternatives) for one alert, update or digest."""
    content = email_content([(m.alert, m.update) for m in messages])
    mail = EmailMessage()
    mail["From"] = one_line(sender)
    mail["To"] = ", ".join(one_line(r) for r in recipients)
    mail["Subject"] = content.subject
    mail["Date"] = formatdate(usegmt=True)
    if len(messages) == 1:
        key = messages[0].key
    else:
        key = "digest." + hashlib.sha256(
            ".".join(sorted(m.key for m in messages)).encode()).hexdigest()[:16]
    mail["Message-ID"] = message_id(key)
    if len(messages) == 1 and messages[0].update is not None:
        mail["In-Reply-To"] = message_id(messages[0].alert.id)
        mail["References"] = message_id(messages[0].alert.id)
    mail["X-Newswatch-Alert"] = ", ".join(m.key for m in messages)
    mail.set_content(content.text)
    mail.add_alternative(content.html, subtype="html")
    return mail


@dataclass
class _Progress:
    """Who has the mail (done) and who refused it for good (dead: address -> reply)."""

    done: list[str]
    dead: dict[str, str]

    @classmethod
    def load(cls, ref: str | None) -> _Progress:
        data = json.loads(ref) if ref else {}
        return cls(list(data.get("done", [])), dict(data.get("dead", {})))

    def dump(self) -> str:
        return json.dumps({"done": self.done, "dead": self.dead}, sort_keys=True)


class SmtpSink(SinkBase):
    """Sends each alert (or a rule's digest) to every recipient, tracking each recipient."""

    digests = True  # a rule's `group` is one mail (render.email_content lists them)

    def __init__(
        self, host: str, port: int, recipients: Sequence[str], sender: str,
        security: str = "none", user: str | None = None, password: str | None = None,
        timeout: float = 30.0, digest_window: float = 0.0,
        ssl_context: ssl.SSLContext | None = None, name: str = "email",
    ) -> None:
        if not recipients:
            raise ValueError("email needs at least one recipient (NEWSWATCH_SMTP_TO)")
        self.name = name
        self.host, self.port, self.security = host, port, security
        self.recipients = list(dict.fromkeys(recipients))
        self.sender = sender
        self._user, self._password = user, password
        self._timeout = timeout
        self.digest_window = digest_window
        self._ssl = ssl_context

    async def send(self, messages: Sequence[Message]) -> SendResult:
        progress = _Progress.load(messages[0].ref)
        if messages[0].attempt == 1:
            progress.dead = {}  # a fresh start (`deliveries retry`) tries refused ones again
        owed = [r for r in self.recipients if r not in progress.done and r not in progress.dead]
        if owed:
            mail = build_email(messages, self.sender, self.recipients)
            try:
                refused = await asyncio.to_thread(self._transmit, mail, owed)
            except smtplib.SMTPRecipientsRefused as exc:
                refused = {r: (code, _text(msg)) for r, (code, msg) in exc.recipients.items()}
            except smtplib.SMTPAuthenticationError as exc:
                return SendResult.dead(f"smtp login refused: {exc.smtp_code} "
                                       f"{_text(exc.smtp_error)}", exc.smtp_code, flag=True)
            except smtplib.SMTPResponseException as exc:
                return _by_code(exc.smtp_code, f"smtp {exc.smtp_code} {_text(exc.smtp_error)}",
                                progress)
            except (smtplib.SMTPException, OSError) as exc:  # timeouts, resets, TLS failures
                return SendResult.retry(f"smtp {self.host}:{self.port}: {type(exc).__name__}: "
                                        f"{exc}", ref=progress.dump())
            progress.done += [r for r in owed if r not in refused]
            retry = {}
            for rcpt, (code, text) in refused.items():
                if 400 <= code < 500:
                    retry[rcpt] = f"{code} {text}"
                else:
                    progress.dead[rcpt] = f"{code} {text}"
            if retry:
                return SendResult.retry("smtp: deferred " + _list(retry), min(
                    refused[r][0] for r in retry), ref=progress.dump())
        if progress.dead:
            got = ", ".join(progress.done) or "nobody"
            return SendResult.dead(f"smtp: refused {_list(progress.dead)}; delivered to {got}",
                                   ref=progress.dump())
        return SendResult.sent(ref=progress.dump(), status=250)

    def _transmit(self, mail: EmailMessage, rcpts: list[str]) -> dict[str, tuple[int, str]]:
        """One SMTP session (blocking; run in a thread); the recipients it refused."""
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self._timeout, context=self._ssl)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=self._ssl)
            if self._user:
                smtp.login(self._user, self._password or "")
            refused = smtp.send_message(mail, from_addr=self.sender, to_addrs=rcpts)
        return {r: (code, _text(msg)) for r, (code, msg) in refused.items()}


def _text(value: bytes | str) -> str:
    return one_line(value.decode("utf-8", "replace") if isinstance(value, bytes) else value)


def _list(items: dict[str, str]) -> str:
    return "; ".join(f"{r} ({why})" for r, why in sorted(items.items()))


def _by_code(code: int, error: str, progress: _Progress) -> SendResult:
    if 400 <= code < 500:
        return SendResult.retry(error, code, ref=progress.dump())
    return SendResult.dead(error, code, ref=progress.dump())


def build(dest: Destination, settings: Settings) -> SmtpSink:
    """The sink of an email destination (streams/deliver/sink_kinds.py EmailKind)."""
    kind = KINDS["email"]
    security = kind.option(dest, "security", settings)
    ca_file = kind.option(dest, "ca_file", settings)
    ctx = None
    if security != "none":
        ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    return SmtpSink(
        dest.options["host"], kind.option(dest, "port", settings), dest.options["to"],
        kind.option(dest, "from", settings), security=security, user=dest.options.get("user"),
        password=dest.secret("password"), timeout=settings.delivery_timeout, ssl_context=ctx,
        name=dest.name, digest_window=kind.option(dest, "digest_window", settings),
    )
