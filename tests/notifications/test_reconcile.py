"""After a crash the provider is asked about each send left without an answer: Twilio's
message list, SMTP's Message-ID, the local outbox file; only a provider that cannot be asked
leaves a message unknown (flagged for staff)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

import chase.models  # noqa: F401  (the outbox's foreign keys name the chase's tables)
from notifications.channels import LocalOutboxChannel, SmtpEmailChannel, TwilioSmsChannel
from notifications.claims import claim_batch, outgoing
from notifications.message import Channel
from notifications.models import OutboxMessage
from notifications.outbox import LEASE, Envelope, drain_outbox, enqueue
from school.clock import FixedClock
from tests.fakes import FakeSmtpServer, FakeTwilio
from tests.fakes.gate import RecordingGate

MUM = "+447700900101"
TEXT = "Amy was not in school this morning. Please reply with the reason."


def _text(key: str, to: str = MUM, text: str = TEXT) -> Envelope:
    return Envelope(key, "emmanuel-middle", "sms", to, "Mum (priority 1)", "t", text)


def _email(key: str) -> Envelope:
    return Envelope(
        key, "emmanuel-middle", "email", "mum@example.org", "Mum", "t", TEXT, subject="Amy"
    )


def _twilio(fake: FakeTwilio) -> TwilioSmsChannel:
    return TwilioSmsChannel(
        fake.account_sid, fake.auth_token, fake.from_number, base_url=fake.base_url
    )


def _crash_mid_send(
    session: Session, clock: FixedClock, envelopes: list[Envelope], channel: Channel, sent: int
) -> None:
    """Queue, claim (marked started in the claim's commit), let the provider get the first
    `sent` messages, then die before any answer is stored."""
    enqueue(session, envelopes, clock.now())
    session.commit()
    _, rows = claim_batch(session, clock.now(), "emmanuel-middle")
    assert all(r.send_started_at is not None for r in rows)
    if sent:
        asyncio.run(channel.send_many([outgoing(r) for r in rows[:sent]], RecordingGate()))


def _drain(session: Session, clock: FixedClock, channels: dict[str, Channel]) -> None:
    asyncio.run(drain_outbox(session, channels, clock, school_id="emmanuel-middle"))


def _rows(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def test_a_text_twilio_holds_is_recorded_with_its_sid_and_one_it_does_not_is_sent_once(
    session: Session, school: str, clock: FixedClock
) -> None:
    with FakeTwilio() as fake:
        channel = _twilio(fake)
        envelopes = [_text("a"), _text("b", to="+447700900102")]
        _crash_mid_send(session, clock, envelopes, channel, sent=1)
        assert len(fake.messages) == 1
        _drain(session, clock, {"sms": channel})  # too soon: the dead run's lease is not over
        assert [r.status for r in _rows(session)] == ["sending", "sending"]
        clock.at += LEASE  # the lease's last instant: still not asked
        _drain(session, clock, {"sms": channel})
        assert fake.list_requests == [] and len(fake.messages) == 1
        clock.at += timedelta(seconds=1)
        _drain(session, clock, {"sms": channel})
        channel.close()
        rows = _rows(session)
        assert [r.status for r in rows] == ["sent", "sent"]
        assert rows[0].provider_id == fake.messages[0].sid  # found, never sent again
        assert Counter(m.to for m in fake.messages) == {MUM: 1, "+447700900102": 1}
        assert not any(r.flagged_for_staff for r in rows)
        assert {q["To"] for q in fake.list_requests} == {MUM, "+447700900102"}


def test_the_list_is_asked_from_before_the_send_started_and_only_that_body_counts(
    session: Session, school: str, clock: FixedClock
) -> None:
    with FakeTwilio() as fake:
        channel = _twilio(fake)
        # An earlier, different text to Mum is at Twilio: not this message.
        other = _text("earlier", text="Your child's attendance letter is ready.")
        _crash_mid_send(session, clock, [other], channel, sent=1)
        clock.at += LEASE + timedelta(seconds=1)
        _drain(session, clock, {"sms": channel})
        _crash_mid_send(session, clock, [_text("a")], channel, sent=0)
        clock.at += LEASE + timedelta(seconds=1)
        _drain(session, clock, {"sms": channel})
        channel.close()
        assert [r.status for r in _rows(session)] == ["sent", "sent"]
        assert Counter(m.body for m in fake.messages) == {TEXT: 1, other.text: 1}
        since = fake.list_requests[-1]["DateSent>"]
        assert since < clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_two_lost_sends_of_the_same_words_take_one_copy_each(
    session: Session, school: str, clock: FixedClock
) -> None:
    """Twilio holds one copy of two identical texts: one is recorded with it, one is sent."""
    with FakeTwilio() as fake:
        channel = _twilio(fake)
        _crash_mid_send(session, clock, [_text("a"), _text("b")], channel, sent=1)
        clock.at += LEASE + timedelta(seconds=1)
        _drain(session, clock, {"sms": channel})
        channel.close()
        rows = _rows(session)
        assert [r.status for r in rows] == ["sent", "sent"]
        assert len(fake.messages) == 2
        assert {r.provider_id for r in rows} == {m.sid for m in fake.messages}


def test_twilio_that_cannot_be_asked_leaves_the_text_unknown_and_flagged_never_resent(
    session: Session, school: str, clock: FixedClock
) -> None:
    with FakeTwilio() as fake:
        channel = _twilio(fake)
        _crash_mid_send(session, clock, [_text("a")], channel, sent=0)
        fake.fail_lists(500)
        clock.at += LEASE + timedelta(seconds=1)
        _drain(session, clock, {"sms": channel})
        channel.close()
        [row] = _rows(session)
        assert (row.status, row.flagged_for_staff) == ("unknown", True)
        assert row.last_error is not None and "twilio not asked" in row.last_error
        assert fake.messages == []


def test_a_lost_email_is_sent_again_with_the_same_message_id(
    session: Session, school: str, clock: FixedClock
) -> None:
    with FakeSmtpServer() as smtp:
        channel = SmtpEmailChannel("127.0.0.1", smtp.port, "Office <office@school.example>")
        _crash_mid_send(session, clock, [_email("a"), _email("b")], channel, sent=1)
        clock.at += LEASE + timedelta(seconds=1)
        _drain(session, clock, {"email": channel})
        rows = _rows(session)
        assert [r.status for r in rows] == ["sent", "sent"]
        ids = Counter((r.key, str(r.message["Message-ID"])) for r in smtp.received)
        # "a" reached the server twice as one message (receivers keep one); "b" once.
        assert sorted(ids.values()) == [1, 2]
        assert len({mid for _, mid in ids}) == 2
        assert {r.provider_id for r in rows} == {mid for _, mid in ids}


def test_the_local_outbox_is_read_for_a_lost_send(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    channel = LocalOutboxChannel(tmp_path / "sms.jsonl", "sms")
    _crash_mid_send(session, clock, [_text("a"), _text("b")], channel, sent=1)
    clock.at += LEASE + timedelta(seconds=1)
    _drain(session, clock, {"sms": channel})
    rows = _rows(session)
    assert [(r.status, r.provider_id) for r in rows] == [("sent", "local-1"), ("sent", "local-2")]
    assert len((tmp_path / "sms.jsonl").read_text().splitlines()) == 2


def test_a_channel_that_cannot_be_asked_leaves_it_unknown(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    class Mute:
        name = "sms"

        async def send_many(self, messages: object, gate: object) -> list[object]:
            raise AssertionError("never sent: it may have reached the provider")

    _crash_mid_send(session, clock, [_text("a")], LocalOutboxChannel(tmp_path / "x", "sms"), 0)
    clock.at += LEASE + timedelta(seconds=1)
    _drain(session, clock, {"sms": Mute()})  # type: ignore[dict-item]
    [row] = _rows(session)
    assert (row.status, row.flagged_for_staff) == ("unknown", True)
