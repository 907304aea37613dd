"""Email delivery against a real SMTP server on loopback (aiosmtpd): multipart content,
per-recipient 4xx retry / 5xx dead, STARTTLS / implicit TLS with login, digests, replies
for story updates, and no header injection from article text."""

from __future__ import annotations

import asyncio
import ssl

import pytest
import sqlalchemy as sa
from delivery_support import make_alert
from smtp_server import Handler, LoopbackSmtp, self_signed

from streams.deliver.dispatcher import Dispatcher
from streams.deliver.record import record_alert, record_story_update
from streams.deliver.retry_policy import RetryPolicy
from streams.deliver.sinks.smtp import SmtpSink
from streams.store.schema import deliveries

FAST = RetryPolicy(max_attempts=4, base=0.05, cap=0.1)
RCPTS = ["alice@example.org", "bob@example.org"]


@pytest.fixture
def handler():
    return Handler()


@pytest.fixture
def smtp(handler):
    server = LoopbackSmtp(handler)
    server.start()
    yield server
    server.stop()


def sink_for(server: LoopbackSmtp, **kwargs) -> SmtpSink:
    return SmtpSink("127.0.0.1", server.bound_port, RCPTS, "newswatch@example.org",
                    timeout=5, **kwargs)


async def rows(store):
    async with store.begin() as conn:
        return (await conn.execute(sa.select(deliveries).order_by(deliveries.c.id))).all()


async def work(store, sink, until_settled=True):
    dispatcher = Dispatcher(store, {"email": sink}, policy=FAST)
    await dispatcher.drain()
    while until_settled and any(r.state in ("retrying", "pending") for r in await rows(store)):
        await asyncio.sleep(0.05)
        await dispatcher.drain()
    return dispatcher


async def test_alert_mail_is_multipart_with_a_stable_message_id(smtp, handler, store):
    alert = make_alert(destinations=["email"])
    await record_alert(store, alert)
    await work(store, sink_for(smtp))
    (rcpts, mail), = handler.received
    assert sorted(rcpts) == RCPTS
    assert mail["Message-ID"] == f"<{alert.id}@newswatch.local>"
    assert "mass-casualty-strike" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Kherson" in part and "at least 24" in part and alert.id in part
    assert [r.state for r in await rows(store)] == ["sent"]


async def test_4xx_for_one_recipient_retries_only_that_recipient(smtp, handler, store):
    handler.refuse["bob@example.org"] = ["450 mailbox busy"]
    await record_alert(store, make_alert(destinations=["email"]))
    await work(store, sink_for(smtp))
    assert len(handler.to("alice@example.org")) == 1
    assert len(handler.to("bob@example.org")) == 1
    (row,) = await rows(store)
    assert row.state == "sent" and row.attempts == 2


async def test_5xx_for_one_recipient_is_dead_at_once_and_named(smtp, handler, store):
    handler.refuse["bob@example.org"] = ["550 no such user"]
    await record_alert(store, make_alert(destinations=["email"]))
    await work(store, sink_for(smtp))
    (row,) = await rows(store)
    assert row.state == "dead" and row.attempts == 1
    assert "bob@example.org (550 no such user)" in row.error
    assert "delivered to alice@example.org" in row.error
    assert len(handler.to("alice@example.org")) == 1


async def test_headline_cannot_inject_a_header(smtp, handler, store):
    title = "Breaking <!channel> <https://evil.example|x>\r\nBcc: victim@evil.example\r\nX-Evil: 1"
    await record_alert(store, make_alert(title=title, destinations=["email"]))
    await work(store, sink_for(smtp))
    (rcpts, mail), = handler.received
    assert sorted(rcpts) == RCPTS
    assert mail["Bcc"] is None and mail["X-Evil"] is None
    assert "Bcc: victim@evil.example" in mail["Subject"]  # kept as text, on one line
    html = mail.get_body(("html",)).get_content()
    assert "<!channel>" not in html and "&lt;!channel&gt;" in html


async def test_story_update_is_a_reply_to_the_alert_mail(smtp, handler, store):
    first = make_alert(destinations=["email"])
    await record_alert(store, first)
    await record_story_update(store, make_alert(article="a2", source="Reuters", killed=26))
    await work(store, sink_for(smtp))
    alert_mail, update_mail = [m for _, m in handler.received]
    assert update_mail["In-Reply-To"] == alert_mail["Message-ID"]
    assert update_mail["Subject"].startswith("Re: ")
    assert "also reported by Reuters" in update_mail.get_body(("plain",)).get_content()


async def test_digest_groups_a_rules_alerts_in_the_window(smtp, handler, store):
    for story in ("s1", "s2", "s3"):
        await record_alert(store, make_alert(story=story, destinations=["email"]))
    await record_alert(store, make_alert(rule="ceasefire", destinations=["email"]))
    sink = sink_for(smtp, digest_window=0.3)
    dispatcher = Dispatcher(store, {"email": sink}, policy=FAST)
    assert await dispatcher.drain() == 0  # the window is still open
    await asyncio.sleep(0.35)
    assert await dispatcher.drain() == 4
    mails = [m for rcpts, m in handler.received if "alice@example.org" in rcpts]
    assert len(mails) == 2
    digest = next(m for m in mails if "3 alerts" in m["Subject"])
    assert digest.get_body(("plain",)).get_content().count("mass-casualty-strike") == 3
    assert {r.state for r in await rows(store)} == {"sent"}


async def test_starttls_with_login(tmp_path, handler, store):
    cert, key = self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    server = LoopbackSmtp(handler, starttls=server_ctx, login=("nw", "s3cret"))
    server.start()
    try:
        client_ctx = ssl.create_default_context(cafile=str(cert))
        await record_alert(store, make_alert(destinations=["email"]))
        await work(store, sink_for(server, security="starttls", user="nw", password="s3cret",
                                   ssl_context=client_ctx))
        assert [r.state for r in await rows(store)] == ["sent"]
        assert len(handler.received) == 1
        await record_alert(store, make_alert(story="s2", destinations=["email"]))
        await work(store, sink_for(server, security="starttls", user="nw", password="wrong",
                                   ssl_context=client_ctx))
        last = (await rows(store))[-1]
        assert last.state == "dead" and "login refused" in last.error
        assert "wrong" not in last.error
    finally:
        server.stop()


async def test_implicit_tls(tmp_path, handler, store):
    cert, key = self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    server = LoopbackSmtp(handler, tls=server_ctx)
    server.start()
    try:
        await record_alert(store, make_alert(destinations=["email"]))
        await work(store, sink_for(server, security="tls",
                                   ssl_context=ssl.create_default_context(cafile=str(cert))))
        assert [r.state for r in await rows(store)] == ["sent"]
        assert len(handler.received) == 1
    finally:
        server.stop()


async def test_unreachable_server_is_retried_not_lost(store):
    sink = SmtpSink("127.0.0.1", 9, RCPTS, "nw@example.org", timeout=1)  # discard port
    await record_alert(store, make_alert(destinations=["email"]))
    await work(store, sink, until_settled=False)
    (row,) = await rows(store)
    assert row.state == "retrying" and "127.0.0.1:9" in row.error
