"""A morning chase through the real providers' clients: the twilio SDK against a loopback fake
of Twilio's Messages API, and aiosmtplib into an aiosmtpd server on loopback."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select
from sqlmodel import col

from chase.service import chase_tick
from notifications.channels import channels_from_settings
from notifications.models import OutboxMessage
from school.clock import FixedClock
from tests.chase_helpers import MONDAY, check_for, loaded, local, mobile, set_up_morning


def test_first_messages_reach_twilio_and_smtp_once_each(
    session, engine, tmp_path, twilio_fake, smtp_server
) -> None:
    set_up_morning(
        session,
        "emmanuel-middle",
        tmp_path,
        {1: {"year": 7}, 2: {"year": 8}, 3: {"year": 8, "present": True}},
    )
    # The fake fails the test on any text it was not told to expect: exactly these two.
    for n in (1, 2):
        twilio_fake.expect(to=mobile(n), body_contains=f"Pupil{n}")
    channels = channels_from_settings(
        twilio_fake.settings() | smtp_server.settings(), tmp_path / "outbox"
    )
    clock = FixedClock(local(MONDAY, "09:00"))
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels))
    asyncio.run(
        chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels)
    )  # a repeat sends nothing

    twilio_fake.assert_all_expected()
    for n in (1, 2):
        [email] = smtp_server.messages_to(f"parent{n}@example.org")
        assert (
            f"Pupil{n}"
            in email.message["Subject"] + email.message.get_body(("plain",)).get_content()
        )
        check = check_for(session, "emmanuel-middle", n)
        assert check is not None
        assert re.fullmatch(rf"check:{check.id}:step:0:contact:\d+:email", email.key or "")
    sids = {m.sid for m in twilio_fake.messages}
    stored = set(
        session.scalars(
            select(OutboxMessage.provider_id).where(col(OutboxMessage.channel) == "sms")
        )
    )
    assert stored == sids  # the provider's id is kept for the delivery reports


def test_an_invalid_number_is_final_and_the_chase_moves_on(
    session, engine, tmp_path, twilio_fake, smtp_server
) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}})
    twilio_fake.fail(to=mobile(1), code=21211)
    smtp_server.refuse("parent1@example.org", code=550)
    twilio_fake.expect(to=mobile(1, 2))  # the grandmother, once the parent cannot be reached
    channels = channels_from_settings(
        twilio_fake.settings() | smtp_server.settings(), tmp_path / "outbox"
    )
    clock = FixedClock(local(MONDAY, "09:00"))
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels))
    twilio_fake.assert_all_expected()
    statuses = {
        (m.recipient_label, m.channel): m.status for m in session.scalars(select(OutboxMessage))
    }
    assert statuses == {
        ("mother (priority 1)", "sms"): "failed",
        ("mother (priority 1)", "email"): "failed",
        ("grandmother (priority 2)", "sms"): "sent",
    }
