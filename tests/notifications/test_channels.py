"""The SMS, email and local-outbox channels against loopback fakes of their providers."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import logging
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from notifications.channels import (
    LocalOutboxChannel,
    SmtpEmailChannel,
    TwilioSmsChannel,
    channels_from_settings,
)
from notifications.channels.twilio_sms import request_never_left
from notifications.message import Channel, Delivery, OutgoingMessage, SendOutcome
from school.clock import FixedClock
from tests.fakes.certificates import loopback_certificate
from tests.fakes.gate import RecordingGate
from tests.fakes.smtp import FakeSmtpServer
from tests.fakes.twilio_api import FakeTwilio, running_twilio_fake

# Until tests/conftest.py lists it, this module pulls in the twilio_fake and smtp_server fixtures.

MUM = "+447700900123"
DAD = "+447700900456"
SENDER = "Oak Primary Attendance <attendance@oak.example>"


def sms(
    to: str = MUM, text: str = "Ada was not in school this morning.", key: str = "k1"
) -> OutgoingMessage:
    return OutgoingMessage(key=key, channel="sms", to=to, text=text)


def email(
    to: str = "parent@home.example",
    key: str = "e1",
    html: str | None = "<p>Ada was <b>not</b> in school.</p>",
) -> OutgoingMessage:
    return OutgoingMessage(
        key=key,
        channel="email",
        to=to,
        text="Ada was not in school this morning.",
        subject="Ada's attendance today",
        html=html,
    )


def send(channel: Channel, messages: list[OutgoingMessage]) -> list[SendOutcome]:
    return asyncio.run(channel.send_many(messages, RecordingGate()))


def twilio_channel(
    fake: FakeTwilio, *, timeout_s: float = 0.5, status_callback_url: str | None = None
) -> TwilioSmsChannel:
    return TwilioSmsChannel(
        fake.account_sid,
        fake.auth_token,
        fake.from_number,
        status_callback_url=status_callback_url,
        base_url=fake.base_url,
        timeout_s=timeout_s,
    )


def channel_to(base_url: str, **options: Any) -> TwilioSmsChannel:
    """A Twilio channel with made-up credentials, for an address that is not the fake."""
    return TwilioSmsChannel("AC" + "0" * 32, "token", "+447700900000", base_url=base_url,
                            **options)  # fmt: skip


def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def smtp_channel(
    server: FakeSmtpServer, *, connections: int = 4, timeout_s: float = 0.5
) -> SmtpEmailChannel:
    return SmtpEmailChannel(
        server.host, server.port, SENDER, connections=connections, timeout_s=timeout_s
    )


def closed_port() -> int:
    """A port nothing listens on, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- Twilio SMS ---------------------------------------------------------------------------


def test_sms_is_sent_with_the_message_sid(twilio_fake: FakeTwilio) -> None:
    twilio_fake.expect(to=MUM, body_contains="not in school")
    channel = twilio_channel(twilio_fake, status_callback_url="https://school.example/cb")

    [outcome] = send(channel, [sms()])

    assert outcome.delivery is Delivery.SENT
    [recorded] = twilio_fake.messages
    assert outcome.provider_id == recorded.sid == twilio_fake.sids[0]
    assert recorded.sid is not None and recorded.sid.startswith("SM") and len(recorded.sid) == 34
    assert (recorded.to, recorded.from_) == (MUM, twilio_fake.from_number)
    assert recorded.body == "Ada was not in school this morning."
    assert recorded.status_callback == "https://school.example/cb"
    channel.close()


@pytest.mark.parametrize(
    ("status", "code", "delivery"),
    [
        (400, 21211, Delivery.PERMANENT),  # invalid 'To'
        (400, 21614, Delivery.PERMANENT),  # not a mobile
        (400, 21610, Delivery.PERMANENT),  # the parent texted STOP
        (400, 21408, Delivery.PERMANENT),  # region not enabled
        (400, 21617, Delivery.PERMANENT),  # any other 4xx
        (429, 20429, Delivery.TRANSIENT),
        (500, 20500, Delivery.TRANSIENT),
        (503, 20503, Delivery.TRANSIENT),
    ],
)
def test_sms_errors_are_classified(
    twilio_fake: FakeTwilio, status: int, code: int, delivery: Delivery
) -> None:
    twilio_fake.fail(MUM, status=status, code=code)

    [outcome] = send(twilio_channel(twilio_fake), [sms()])

    assert outcome.delivery is delivery
    assert outcome.error is not None and outcome.error.startswith(f"twilio {status} {code}: ")
    assert "not in school" not in outcome.error  # never the body


def test_sms_bad_credentials_are_retried_not_dropped(twilio_fake: FakeTwilio) -> None:
    twilio_fake.expect(to=MUM)
    channel = TwilioSmsChannel(
        twilio_fake.account_sid, "wrong-token", "+447700900000", base_url=twilio_fake.base_url
    )

    [outcome] = send(channel, [sms()])

    assert outcome.delivery is Delivery.TRANSIENT
    assert outcome.error is not None and outcome.error.startswith("twilio 401 20003")


def test_sms_invalid_number_is_permanent_without_scripting(twilio_fake: FakeTwilio) -> None:
    twilio_fake.expect(to="07700 900123")

    [outcome] = send(twilio_channel(twilio_fake), [sms(to="07700 900123")])

    assert outcome.delivery is Delivery.PERMANENT
    assert outcome.error is not None and "21211" in outcome.error


def test_sms_refused_connection_is_transient() -> None:
    channel = channel_to(f"http://127.0.0.1:{closed_port()}")

    [outcome] = send(channel, [sms()])

    assert outcome.delivery is Delivery.TRANSIENT
    assert outcome.error is not None and "refused" in outcome.error.lower()


@pytest.mark.parametrize("bypassed", [False, True])
def test_sms_goes_through_the_environments_proxy_unless_no_proxy_names_the_api(
    twilio_fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch, bypassed: bool
) -> None:
    # The channel reads the proxy settings once, when its client is made, not per request:
    # a school behind a proxy still sends through it, and NO_PROXY still exempts an address.
    no_proxy_settings(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")  # no proxy listens
    if bypassed:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        twilio_fake.expect(body_contains="not in school", count=1)
    channel = TwilioSmsChannel(twilio_fake.account_sid, twilio_fake.auth_token,
                               twilio_fake.from_number, base_url=twilio_fake.base_url)  # fmt: skip

    [outcome] = send(channel, [sms()])

    if bypassed:
        assert outcome.delivery is Delivery.SENT
    else:
        # Refused: the fake listens, so only the proxy's closed port can have refused it.
        assert outcome.delivery is Delivery.TRANSIENT
        assert outcome.error is not None and "refused" in outcome.error.lower()
        assert twilio_fake.messages == []


class _RefusingProxy(BaseHTTPRequestHandler):
    """A proxy that notes each tunnel it is asked for and refuses it (407)."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_CONNECT(self) -> None:
        self.seen.append((self.path, self.headers.get("Proxy-Authorization")))
        self.send_response(407)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_sms_asks_the_proxy_for_a_tunnel_with_the_credentials_in_its_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An LA's proxy that asks who is calling: user and password in HTTPS_PROXY, as requests
    # takes them, go as Proxy-Authorization on the CONNECT. A tunnel refused means nothing
    # reached Twilio: the text is retried, never flagged as perhaps sent.
    no_proxy_settings(monkeypatch)
    _RefusingProxy.seen = []
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HTTPS_PROXY", f"http://school:p%40ss@127.0.0.1:{proxy.server_port}")
        channel = channel_to("https://twilio.invalid")

        [outcome] = send(channel, [sms()])
    finally:
        proxy.shutdown()
        proxy.server_close()

    assert _RefusingProxy.seen == [
        ("twilio.invalid:443", "Basic " + base64.b64encode(b"school:p@ss").decode())
    ]
    assert outcome.delivery is Delivery.TRANSIENT, outcome
    assert outcome.error is not None and "407" in outcome.error


def test_sms_unreachable_api_fails_the_batch_fast() -> None:
    channel = channel_to(f"http://127.0.0.1:{closed_port()}", concurrency=2)
    started = time.monotonic()

    outcomes = send(channel, [sms(key=f"k{i}") for i in range(50)])

    assert {o.delivery for o in outcomes} == {Delivery.TRANSIENT}
    assert any(o.error and o.error.startswith("twilio not attempted") for o in outcomes)
    assert time.monotonic() - started < 1.5


_KEY = ConnectionKey("api.twilio.com", 443, True, True, None, None, None)


@pytest.mark.parametrize(
    ("error", "never_left"),
    [
        (aiohttp.ClientConnectorError(_KEY, ConnectionRefusedError(111, "refused")), True),
        (aiohttp.ClientConnectorDNSError(_KEY, OSError(-2, "Name or service not known")), True),
        (aiohttp.ClientProxyConnectionError(_KEY, ConnectionRefusedError(111, "refused")), True),
        (aiohttp.ClientConnectorCertificateError(_KEY, ssl.SSLCertVerificationError()), True),
        (aiohttp.ConnectionTimeoutError("Connection timeout to host"), True),
        (aiohttp.SocketTimeoutError("Timeout on reading data from socket"), False),
        (TimeoutError(), False),
        (aiohttp.ServerDisconnectedError(), False),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), False),
        (aiohttp.ClientPayloadError("Response payload is not completed"), False),
        (aiohttp.ClientHttpProxyError(None, (), status=407), True),
    ],
    ids=["refused", "dns", "proxy-refused", "certificate", "connect-timeout", "read-timeout",
         "timeout", "disconnected", "reset", "payload", "tunnel-refused"],
)  # fmt: skip
def test_which_transport_errors_mean_the_request_never_left(
    error: aiohttp.ClientError | TimeoutError, never_left: bool
) -> None:
    assert request_never_left(error) is never_left


def test_sms_connect_timeout_is_transient_and_names_it() -> None:
    # A listener whose queue is full: the kernel drops the next SYN, so connecting hangs until
    # the channel's connect timeout, which proves nothing was sent.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        channel = channel_to(f"http://127.0.0.1:{port}", timeout_s=0.3)
        try:
            [outcome] = send(channel, [sms()])
        finally:
            for filler in fillers:
                filler.close()

    assert outcome.delivery is Delivery.TRANSIENT, outcome
    assert outcome.error is not None and outcome.error.startswith("twilio not reached")


def test_sms_reply_lost_after_sending_is_unknown(twilio_fake: FakeTwilio) -> None:
    twilio_fake.hang(MUM, seconds=2)  # past the 0.2 s client timeout
    twilio_fake.close_connection(DAD)
    channel = twilio_channel(twilio_fake, timeout_s=0.2)

    hung, dropped = send(channel, [sms(), sms(to=DAD, key="k2")])

    assert hung.delivery is Delivery.UNKNOWN and dropped.delivery is Delivery.UNKNOWN
    # Both reached Twilio, which holds them: exactly why UNKNOWN must never be retried.
    assert {m.to for m in twilio_fake.messages if m.sid} == {MUM, DAD}


def test_sms_connections_are_kept_across_batches(twilio_fake: FakeTwilio) -> None:
    # Each of the channel's threads keeps its client's connection open: three batches of ten
    # texts travel on at most `concurrency` connections, not one per text or per batch.
    twilio_fake.expect(body_contains="not in school", count=30)
    channel = TwilioSmsChannel(twilio_fake.account_sid, twilio_fake.auth_token,
                               twilio_fake.from_number, base_url=twilio_fake.base_url,
                               concurrency=2)  # fmt: skip

    async def three_batches() -> list[SendOutcome]:
        outcomes = []
        for batch in range(3):
            texts = [sms(to=f"+4477009{batch}{i:04d}", key=f"b{batch}s{i}") for i in range(10)]
            outcomes += await channel.send_many(texts, RecordingGate())
        return outcomes

    outcomes = asyncio.run(three_batches())
    channel.close()

    assert {o.delivery for o in outcomes} == {Delivery.SENT}
    assert len(twilio_fake.messages) == 30
    assert 1 <= len({m.peer_port for m in twilio_fake.messages}) <= 2


def test_sms_connections_close_with_their_event_loop_and_open_again_on_the_next(
    twilio_fake: FakeTwilio,
) -> None:
    # The command line runs one asyncio.run a school with one channel: each loop's
    # connections are closed as it shuts down (no "Unclosed client session"), and the next
    # loop opens its own.
    twilio_fake.expect(body_contains="not in school", count=2)
    channel = twilio_channel(twilio_fake)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = send(channel, [sms(key="k1")])
        second = send(channel, [sms(key="k2")])
        channel.close()
        del channel
        gc.collect()

    assert [o.delivery for o in first + second] == [Delivery.SENT, Delivery.SENT]
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert len({m.peer_port for m in twilio_fake.messages}) == 2  # a connection each loop


def test_sms_channel_closed_inside_its_loop_is_usable_again(twilio_fake: FakeTwilio) -> None:
    twilio_fake.expect(body_contains="not in school", count=2)
    channel = twilio_channel(twilio_fake)

    async def close_between() -> list[SendOutcome]:
        first = await channel.send_many([sms(key="k1")], RecordingGate())
        channel.close()
        await asyncio.sleep(0)  # the keeper closes the connections on this loop
        return first + await channel.send_many([sms(key="k2")], RecordingGate())

    outcomes = asyncio.run(close_between())

    assert [o.delivery for o in outcomes] == [Delivery.SENT, Delivery.SENT]


def _trusting(monkeypatch: pytest.MonkeyPatch, bundle: str | None) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    if bundle is not None:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)


def test_sms_over_https_trusts_the_bundle_requests_ca_bundle_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A school whose traffic passes a TLS-inspecting proxy names its CA in REQUESTS_CA_BUNDLE.
    certificate, server = loopback_certificate(tmp_path)
    _trusting(monkeypatch, str(certificate))
    with running_twilio_fake(tls=server) as fake:
        fake.expect(to=MUM)
        assert fake.base_url.startswith("https:")

        [outcome] = send(twilio_channel(fake), [sms()])

    assert outcome.delivery is Delivery.SENT


@pytest.mark.parametrize("bundle", [None, "missing"])
def test_sms_over_https_to_an_untrusted_or_unreadable_bundle_never_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundle: str | None
) -> None:
    # Untrusted: the handshake fails before a byte of the request is sent. A bundle that
    # cannot be read: nothing is sent at all. Either way the text waits for the school's IT.
    _, server = loopback_certificate(tmp_path)
    _trusting(monkeypatch, None if bundle is None else str(tmp_path / "no-such-bundle.pem"))
    with running_twilio_fake(tls=server) as fake:
        outcomes = send(twilio_channel(fake), [sms(), sms(to=DAD, key="k2")])

        assert fake.messages == []
    for outcome in outcomes:
        assert outcome.delivery is Delivery.TRANSIENT, outcome
        assert outcome.error is not None and outcome.error.startswith("twilio not reached")
    expected = "certificate" if bundle is None else "no-such-bundle"
    assert expected in str(outcomes[0].error).lower()


def test_sms_batch_keeps_order_and_isolates_failures(twilio_fake: FakeTwilio) -> None:
    bad = "+447700900999"
    twilio_fake.expect(to=MUM, count=8)
    twilio_fake.fail(bad, code=21614)
    messages = [sms(to=bad if i % 3 == 0 else MUM, key=f"k{i}") for i in range(12)]

    outcomes = send(twilio_channel(twilio_fake), messages)

    for message, outcome in zip(messages, outcomes, strict=True):
        expected = Delivery.PERMANENT if message.to == bad else Delivery.SENT
        assert outcome.delivery is expected
    assert len({o.provider_id for o in outcomes if o.provider_id}) == 8


def test_sms_logs_no_numbers_or_bodies_at_info(
    twilio_fake: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    twilio_fake.expect(to=MUM)
    with caplog.at_level(logging.INFO):
        send(twilio_channel(twilio_fake), [sms()])
    assert caplog.records == [] or all(
        MUM not in r.getMessage() and "not in school" not in r.getMessage() for r in caplog.records
    )


def test_sms_wrong_channel_is_refused_without_a_request(twilio_fake: FakeTwilio) -> None:
    [outcome] = send(twilio_channel(twilio_fake), [email()])
    assert outcome.delivery is Delivery.PERMANENT
    assert twilio_fake.messages == []


def test_fake_twilio_fails_on_an_unexpected_message() -> None:
    with FakeTwilio() as fake:
        fake.expect(to=MUM)
        send(twilio_channel(fake), [sms(), sms(to=DAD, key="k2")])
        with pytest.raises(AssertionError, match=f"unexpected SMS to \\{DAD}"):
            fake.assert_all_expected()
        assert [m.to for m in fake.unexpected] == [DAD]


def test_fake_twilio_fails_on_a_missing_message() -> None:
    with FakeTwilio() as fake:
        fake.expect(to=MUM, count=2)
        send(twilio_channel(fake), [sms()])
        with pytest.raises(AssertionError, match="expected 2 message"):
            fake.assert_all_expected()


def test_fake_twilio_fixture_fails_at_teardown_on_a_surprise() -> None:
    # What the twilio_fake fixture does after the test body: an unexpected SMS is an error.
    with pytest.raises(AssertionError, match="unexpected SMS"), running_twilio_fake() as fake:
        send(twilio_channel(fake), [sms()])


# -- SMTP email ---------------------------------------------------------------------------


def test_email_is_sent_with_text_html_and_key(smtp_server: FakeSmtpServer) -> None:
    [outcome] = send(smtp_channel(smtp_server), [email(key="welfare-17-step-1-email")])

    assert outcome.delivery is Delivery.SENT
    [received] = smtp_server.received
    message = received.message
    assert outcome.provider_id == message["Message-ID"]
    assert outcome.provider_id is not None and outcome.provider_id.endswith("@oak.example>")
    assert received.mail_from == "attendance@oak.example"
    assert received.rcpt_tos == ("parent@home.example",)
    assert message["To"] == "parent@home.example"
    assert message["From"] == SENDER
    assert message["Subject"] == "Ada's attendance today"
    assert message["X-Attendance-Key"] == "welfare-17-step-1-email" == received.key
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and "not in school" in text.get_content()
    assert html is not None and "<b>not</b>" in html.get_content()


def test_email_non_ascii_survives(smtp_server: FakeSmtpServer) -> None:
    message = OutgoingMessage(
        key="e1",
        channel="email",
        to="Siân Ó Briain <sian@home.example>",
        text="Zoë was not in school — please call.",
        subject="Zoë’s attendance",
    )
    [outcome] = send(smtp_channel(smtp_server), [message])
    assert outcome.delivery is Delivery.SENT
    received = smtp_server.received[0]
    assert received.rcpt_tos == ("sian@home.example",)
    assert received.message["Subject"] == "Zoë’s attendance"
    assert received.message["To"] == "Siân Ó Briain <sian@home.example>"
    body = received.message.get_body(("plain",))
    assert body is not None and "Zoë was not in school — please call." in body.get_content()


def test_email_bodies_are_readable_when_they_can_be_and_survive_when_not(
    smtp_server: FakeSmtpServer,
) -> None:
    long_line = "word " * 300  # 1,500 characters: beyond SMTP's 998
    subject = "Zoë’s attendance — " + "a subject long enough to be folded " * 3
    messages = [
        email(key="ascii"),
        OutgoingMessage(key="accents", channel="email", to="p@home.example", subject=subject,
                        text="Zoë was not in school.", html="<p>Zoë — absent</p>"),
        OutgoingMessage(key="long", channel="email", to="p@home.example", subject="Long",
                        text=long_line, html=None),
    ]  # fmt: skip
    assert {o.delivery for o in send(smtp_channel(smtp_server), messages)} == {Delivery.SENT}
    by_key = {r.key: r for r in smtp_server.received}

    ascii_raw = by_key["ascii"].raw
    assert b"Ada was not in school this morning." in ascii_raw  # 7bit, as written
    assert ascii_raw.count(b"MIME-Version: 1.0") == 1
    assert max(len(line) for line in ascii_raw.split(b"\r\n")) <= 998
    assert max(len(line) for line in by_key["long"].raw.split(b"\r\n")) <= 998
    for received in smtp_server.received:
        assert received.raw.count(b"\r\n") == received.raw.count(b"\n")  # CRLF only
        for part in received.message.walk():
            assert not part.defects, (received.key, part.defects)
    accents = by_key["accents"].message
    assert accents["Subject"] == subject
    html = accents.get_body(("html",))
    assert html is not None and "Zoë — absent" in html.get_content()
    long_body = by_key["long"].message.get_body(("plain",))
    assert long_body is not None and long_body.get_content() == long_line


@pytest.mark.parametrize(
    "to", ["parent@home.example\r\nBcc: x@y.z", "zoë@home.example", "no address here"]
)
def test_email_that_cannot_be_addressed_is_permanent(smtp_server: FakeSmtpServer, to: str) -> None:
    [outcome] = send(smtp_channel(smtp_server), [email(to=to)])
    assert outcome.delivery is Delivery.PERMANENT
    assert smtp_server.received == []


def test_email_without_html_is_plain_text(smtp_server: FakeSmtpServer) -> None:
    [outcome] = send(smtp_channel(smtp_server), [email(html=None)])
    assert outcome.delivery is Delivery.SENT
    assert smtp_server.received[0].message.get_content_type() == "text/plain"


@pytest.mark.parametrize(
    ("code", "delivery"), [(451, Delivery.TRANSIENT), (550, Delivery.PERMANENT)]
)
def test_email_refused_recipient(
    smtp_server: FakeSmtpServer, code: int, delivery: Delivery
) -> None:
    smtp_server.refuse("gone@home.example", code=code)
    # One connection: the refusal must leave it usable for the next message.
    channel = smtp_channel(smtp_server, connections=1)

    refused, sent = send(channel, [email(to="gone@home.example"), email(key="e2")])

    assert refused.delivery is delivery
    assert refused.error is not None and refused.error.startswith(f"smtp {code}")
    assert sent.delivery is Delivery.SENT
    assert [r.key for r in smtp_server.received] == ["e2"]


@pytest.mark.parametrize(
    ("code", "delivery"), [(451, Delivery.TRANSIENT), (554, Delivery.PERMANENT)]
)
def test_email_rejected_after_data(
    smtp_server: FakeSmtpServer, code: int, delivery: Delivery
) -> None:
    smtp_server.fail_data("parent@home.example", code=code, times=1)

    rejected, sent = send(smtp_channel(smtp_server, connections=1), [email(), email(key="e2")])

    assert (rejected.delivery, sent.delivery) == (delivery, Delivery.SENT)


def test_email_refused_connection_is_transient_and_fast() -> None:
    channel = SmtpEmailChannel("127.0.0.1", closed_port(), SENDER, timeout_s=0.5)
    started = time.monotonic()

    outcomes = send(channel, [email(key=f"e{i}") for i in range(40)])

    assert {o.delivery for o in outcomes} == {Delivery.TRANSIENT}
    assert outcomes[0].error is not None and outcomes[0].error.startswith("smtp connect failed")
    assert time.monotonic() - started < 1.5


def test_email_reply_lost_after_data_is_unknown(smtp_server: FakeSmtpServer) -> None:
    smtp_server.hang_after_data("slow@home.example", seconds=2)
    smtp_server.drop_after_data("drop@home.example")
    channel = smtp_channel(smtp_server, connections=1, timeout_s=0.2)

    hung, dropped, after = send(
        channel,
        [
            email(to="slow@home.example"),
            email(to="drop@home.example", key="e2"),
            email(key="e3"),
        ],
    )

    assert (hung.delivery, dropped.delivery) == (Delivery.UNKNOWN, Delivery.UNKNOWN)
    assert after.delivery is Delivery.SENT  # a fresh connection after each loss
    # The server has all three: exactly why UNKNOWN must never be retried.
    assert [r.key for r in smtp_server.received] == ["e1", "e2", "e3"]


def test_email_connection_dropped_mid_batch_is_reopened(smtp_server: FakeSmtpServer) -> None:
    # The server drops the pooled connection at the third MAIL: nothing of that message
    # was accepted, so the channel reconnects and sends it once.
    smtp_server.drop_at_mail(after=2)
    messages = [email(key=f"e{i}") for i in range(5)]

    outcomes = send(smtp_channel(smtp_server, connections=1), messages)

    assert {o.delivery for o in outcomes} == {Delivery.SENT}
    assert [r.key for r in smtp_server.received] == [m.key for m in messages]
    assert len({r.peer for r in smtp_server.received}) == 2


def test_email_dropped_fresh_connection_is_transient(smtp_server: FakeSmtpServer) -> None:
    smtp_server.drop_at_mail()

    first, second = send(smtp_channel(smtp_server, connections=1), [email(), email(key="e2")])

    assert (first.delivery, second.delivery) == (Delivery.TRANSIENT, Delivery.SENT)
    assert [r.key for r in smtp_server.received] == ["e2"]


def test_email_pool_delivers_200_messages_exactly_once(smtp_server: FakeSmtpServer) -> None:
    messages = [email(to=f"parent{i}@home.example", key=f"e{i}", html=None) for i in range(200)]

    outcomes = send(smtp_channel(smtp_server, connections=4), messages)

    assert all(o.delivery is Delivery.SENT for o in outcomes)
    keys = [r.key or "" for r in smtp_server.received]
    assert sorted(keys) == sorted(m.key for m in messages)  # each once
    assert len({o.provider_id for o in outcomes}) == 200
    peers = {r.peer for r in smtp_server.received}
    assert 1 < len(peers) <= 4  # reused connections, not one per message


def test_email_connections_are_kept_across_batches(smtp_server: FakeSmtpServer) -> None:
    # A dispatcher sends claim after claim in one event loop: the pool's connections carry
    # them all, instead of a connect, greeting and EHLO per connection per claim.
    channel = smtp_channel(smtp_server, connections=2)

    async def three_batches() -> list[SendOutcome]:
        outcomes = []
        for batch in range(3):
            messages = [
                email(to=f"p{batch}{i}@home.example", key=f"b{batch}e{i}") for i in range(6)
            ]
            outcomes += await channel.send_many(messages, RecordingGate())
        return outcomes

    outcomes = asyncio.run(three_batches())

    assert {o.delivery for o in outcomes} == {Delivery.SENT}
    assert len(smtp_server.received) == 18
    assert len({r.peer for r in smtp_server.received}) <= 2


def test_email_kept_connection_dropped_between_batches_is_reopened(
    smtp_server: FakeSmtpServer,
) -> None:
    channel = smtp_channel(smtp_server, connections=1)

    async def two_batches() -> list[SendOutcome]:
        first = await channel.send_many([email(key="e1")], RecordingGate())
        smtp_server.drop_at_mail()  # the server hangs up on the kept connection
        return first + await channel.send_many([email(key="e2")], RecordingGate())

    outcomes = asyncio.run(two_batches())

    assert [o.delivery for o in outcomes] == [Delivery.SENT, Delivery.SENT]
    assert [r.key for r in smtp_server.received] == ["e1", "e2"]
    assert len({r.peer for r in smtp_server.received}) == 2


def test_email_pool_starts_afresh_in_a_new_event_loop(smtp_server: FakeSmtpServer) -> None:
    # aiosmtplib ties a connection to its loop: the first loop's are closed as it ends, and a
    # batch in a new loop opens its own.
    channel = smtp_channel(smtp_server, connections=2)

    first = send(channel, [email(key="e1"), email(key="e2")])
    second = send(channel, [email(key="e3"), email(key="e4")])

    assert {o.delivery for o in first + second} == {Delivery.SENT}
    assert [r.key for r in smtp_server.received].count("e3") == 1
    first_peers = {r.peer for r in smtp_server.received if r.key in ("e1", "e2")}
    second_peers = {r.peer for r in smtp_server.received if r.key in ("e3", "e4")}
    assert not first_peers & second_peers
    channel.close()


def test_email_header_injection_is_permanent(smtp_server: FakeSmtpServer) -> None:
    bad = OutgoingMessage(
        key="e1", channel="email", to="parent@home.example", text="x", subject="Hi\nBcc: x@y.z"
    )
    [outcome] = send(smtp_channel(smtp_server), [bad])
    assert outcome.delivery is Delivery.PERMANENT
    assert smtp_server.received == []


# -- local outbox -------------------------------------------------------------------------


def test_local_outbox_appends_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "outbox" / "sms.jsonl"
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    channel = LocalOutboxChannel(path, "sms", clock=FixedClock(at))

    outcomes = send(channel, [sms(key="a"), sms(to=DAD, key="b"), email(key="c")])

    assert [o.delivery for o in outcomes] == [Delivery.SENT, Delivery.SENT, Delivery.PERMANENT]
    assert [o.provider_id for o in outcomes[:2]] == ["local-1", "local-2"]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == {
        "key": "a",
        "channel": "sms",
        "to": MUM,
        "subject": None,
        "text": "Ada was not in school this morning.",
        "html": None,
        "sent_at": "2026-03-02T09:30:00+00:00",
        "provider_id": "local-1",
    }
    assert lines[1]["to"] == DAD

    # A new process carries the numbering on, after a line a crash cut short.
    with path.open("a") as handle:
        handle.write('{"key": "half')
    [again] = send(LocalOutboxChannel(path, "sms"), [sms(key="d")])
    assert again.provider_id == "local-4"
    assert json.loads(path.read_text().splitlines()[-1])["key"] == "d"


# -- settings -----------------------------------------------------------------------------


def test_no_settings_means_local_outboxes(tmp_path: Path) -> None:
    channels = channels_from_settings({"TWILIO_AUTH_TOKEN": ""}, tmp_path)

    assert isinstance(channels["sms"], LocalOutboxChannel)
    assert isinstance(channels["email"], LocalOutboxChannel)
    assert channels["sms"].path == tmp_path / "sms.jsonl"
    assert channels["email"].path == tmp_path / "email.jsonl"
    assert (channels["sms"].name, channels["email"].name) == ("sms", "email")


@pytest.mark.parametrize(
    ("settings", "loaded"),
    [
        ({}, set()),
        (
            {
                "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
                "TWILIO_AUTH_TOKEN": "t",
                "TWILIO_FROM_NUMBER": "+447700900000",
            },
            {"twilio", "requests"},
        ),
        ({"SMTP_HOST": "127.0.0.1", "SMTP_FROM": "a@school.example"}, {"aiosmtplib"}),
    ],
    ids=["local outboxes", "twilio", "smtp"],
)
def test_a_provider_is_loaded_only_when_its_settings_name_it(
    tmp_path: Path, settings: dict[str, str], loaded: set[str]
) -> None:
    """The demo and a review on the local outboxes start without the twilio SDK, requests and
    aiosmtplib (70 ms); a configured provider loads its own."""
    code = (
        "import sys, json, pathlib\n"
        "from notifications.channels import channels_from_settings\n"
        f"channels_from_settings(json.loads({json.dumps(json.dumps(settings))}), "
        f"pathlib.Path({str(tmp_path)!r}))\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'twilio', 'requests', 'aiosmtplib'})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert set(json.loads(done.stdout)) == loaded


def test_settings_pick_twilio_and_smtp(
    tmp_path: Path,
    twilio_fake: FakeTwilio,
    smtp_server: FakeSmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = {**twilio_fake.settings(), **smtp_server.settings(), "PATH": "/usr/bin"}
    env["TWILIO_STATUS_CALLBACK_URL"] = "https://school.example/twilio/status"
    twilio_fake.expect(to=MUM)

    with caplog.at_level(logging.DEBUG, logger="notifications"):
        channels = channels_from_settings(env, tmp_path)
    sms_channel, email_channel = channels["sms"], channels["email"]
    assert isinstance(sms_channel, TwilioSmsChannel)
    assert isinstance(email_channel, SmtpEmailChannel)
    assert email_channel.start_tls is False and email_channel.use_tls is False
    logged = caplog.text
    assert "Twilio" in logged and "SMTP" in logged
    assert twilio_fake.from_number not in logged and "attendance@" not in logged

    [texted] = send(sms_channel, [sms()])
    [mailed] = send(email_channel, [email()])
    assert (texted.delivery, mailed.delivery) == (Delivery.SENT, Delivery.SENT)
    assert twilio_fake.messages[0].status_callback == "https://school.example/twilio/status"
    assert not (tmp_path / "sms.jsonl").exists()


def test_half_configured_provider_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TWILIO_FROM_NUMBER"):
        channels_from_settings(
            {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t"}, tmp_path
        )
    with pytest.raises(ValueError, match="SMTP_FROM"):
        channels_from_settings({"SMTP_HOST": "smtp.example"}, tmp_path)
    with pytest.raises(ValueError, match="SMTP_STARTTLS"):
        channels_from_settings(
            {"SMTP_HOST": "smtp.example", "SMTP_FROM": SENDER, "SMTP_STARTTLS": "maybe"},
            tmp_path,
        )


def test_smtp_port_465_means_implicit_tls(tmp_path: Path) -> None:
    env = {"SMTP_HOST": "smtp.example", "SMTP_FROM": SENDER, "SMTP_PORT": "465"}
    channel = channels_from_settings(env, tmp_path)["email"]
    assert isinstance(channel, SmtpEmailChannel)
    assert (channel.use_tls, channel.start_tls, channel.port) == (True, False, 465)


def test_email_whose_body_holds_the_boundary_keeps_both_parts(
    smtp_server: FakeSmtpServer,
) -> None:
    # Every message shares one boundary (mime._BOUNDARY); a body line that happens to be it
    # must not split the message: the generator picks another boundary for that message.
    text = "Before\n--=_attendance-alternative\nafter, still the text part.\n"
    html = "<p>--=_attendance-alternative--</p>"
    message = OutgoingMessage(key="e1", channel="email", to="p@home.example", subject="S",
                              text=text, html=html)  # fmt: skip
    [outcome] = send(smtp_channel(smtp_server), [message])
    assert outcome.delivery is Delivery.SENT
    received = smtp_server.received[0].message
    plain, rich = received.get_body(("plain",)), received.get_body(("html",))
    assert plain is not None and plain.get_content().replace("\r\n", "\n") == text
    assert rich is not None and rich.get_content().strip() == html
    assert len(list(received.iter_parts())) == 2
