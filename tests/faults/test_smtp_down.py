"""The SMTP server down for ten minutes of a simulated morning (the aiosmtpd sink stopped at the
first step, started again ten minutes later), one mailbox that answers "try later" all morning,
and a pupil signed in by the office while their parent's email waits.

No email is lost or sent twice: each is retried with growing delays (a handful of attempts
over the ten minutes, not one a minute) and delivered once when the server is back. The email
about the pupil who arrived is withdrawn, never sent. The mailbox that never takes its message
fails once the retries are spent and is shown to staff with the server's reason. Every check
is decided by its deadline or escalated.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from notifications.channels import SmtpEmailChannel, TwilioSmsChannel
from notifications.claims import RETRY_DELAYS
from notifications.message import Channel
from school.clock import SCHOOL_TIME_ZONE, SystemClock
from school.database import make_engine, migrate
from tests.chase_helpers import MONDAY
from tests.fakes import FakeSmtpServer, FakeTwilio, ReceivedEmail
from tests.faults import morning
from tests.register_files import upn

SCHOOLS = ("emmanuel-middle",)
ABSENT = 10
DOWN_FOR = timedelta(minutes=10)
BUSY = "parent3@example.org"  # answers 451 "try later" to every attempt
ARRIVES = 5  # signed in four minutes into the outage: their parent's email must not go


def test_smtp_down_ten_minutes_loses_no_email_and_sends_none_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'morning.db'}"
    engine = make_engine(url)
    migrate(engine)
    morning.set_up_schools(engine, tmp_path, SCHOOLS, ABSENT)
    minutes = morning.morning_minutes(SCHOOLS)
    down_at, up_at = minutes[0], minutes[0] + DOWN_FOR
    arrives_at = down_at + timedelta(minutes=4)
    with FakeTwilio() as twilio, FakeSmtpServer() as smtp:
        smtp.refuse(BUSY, code=451)

        def outage(instant: datetime) -> None:
            if instant == down_at:
                smtp.stop()
            elif instant == arrives_at:
                # The office signs a pupil in while their parent's email waits for the server.
                monkeypatch.setattr(SystemClock, "now", lambda _: instant)
                local = f"{instant.astimezone(SCHOOL_TIME_ZONE):%H:%M}"
                office = ("--date", str(MONDAY), "--by", "Pat Jones, Office Manager")
                arrive = ["arrive", upn(ARRIVES), "--school", SCHOOLS[0], "--at", local, *office]
                signed_in = CliRunner().invoke(app, ["--database", url, *arrive])
                assert signed_in.exit_code == 0, signed_in.output
            elif instant == up_at:
                smtp.start()  # on the same port: the channel is not told anything

        sms = TwilioSmsChannel(
            twilio.account_sid, twilio.auth_token, twilio.from_number, base_url=twilio.base_url
        )
        email = SmtpEmailChannel(smtp.host, smtp.port, "Office <office@school.example>")
        channels: dict[str, Channel] = {"sms": sms, "email": email}
        asyncio.run(morning.run_morning(engine, SCHOOLS, channels, minutes, outage))
        sms.close()
        received = smtp.received
        twice = morning.duplicates(twilio, smtp)

    rows = morning.outbox_rows(engine)
    emails = [m for m in rows if m.channel == "email"]
    problems = morning.late_or_open(engine)
    shown = morning.shown_to_staff(url, SCHOOLS)
    delivered = [m for m in emails if m.status == "sent"]
    print(
        f"\nsmtp down: {len(emails)} emails, {len(delivered)} delivered after the outage, "
        f"{max(m.attempts for m in delivered)} attempts at most, {twice} duplicates, "
        f"{sum(m.status == 'failed' for m in emails)} failed and shown, "
        f"{len(problems)} checks late or open"
    )
    assert twice == 0
    assert problems == []
    assert morning.untold(engine, url, SCHOOLS) == []
    assert not [m for m in rows if m.status == "unknown"]

    # Every other email was delivered exactly once, after the server came back, having been
    # tried a few times with growing delays rather than every minute of the outage.
    assert len(delivered) == len(emails) - 2 == ABSENT - 2
    keys = [r.key for r in received]
    assert sorted(keys) == sorted(m.idempotency_key for m in delivered)
    for m in delivered:
        assert m.sent_at is not None and m.sent_at >= up_at
        assert 1 < m.attempts <= 6  # ten minutes of our backoff: 15 s, 30 s, 1, 2, 5 min

    # The pupil who arrived: their parent's email, still waiting, was withdrawn, not sent.
    arrived = next(m for m in emails if m.to == f"parent{ARRIVES}@example.org")
    assert arrived.status == "withdrawn" and not smtp_copies(received, arrived.idempotency_key)

    # The busy mailbox: retried until the retries were spent, then failed and shown to staff
    # with the server's words (the parent had the text, so the chase needed no other contact).
    busy = next(m for m in emails if m.to == BUSY)
    assert busy.status == "failed" and busy.attempts == len(RETRY_DELAYS) + 1
    assert "451" in str(shown[busy.id or 0]["why"])
    engine.dispose()


def smtp_copies(received: list[ReceivedEmail], key: str) -> list[ReceivedEmail]:
    return [r for r in received if r.key == key]
