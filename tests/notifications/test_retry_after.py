"""Twilio's Retry-After on a 429: read from the answer, in seconds or as a date, and capped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from notifications.channels.twilio_http import MAX_RETRY_AFTER, retry_after
from notifications.message import Delivery
from tests.fakes.twilio_api import FakeTwilio
from tests.notifications.test_channels import DAD, MUM, send, sms, twilio_channel

GRAN = "+447700900789"


def test_a_429_carries_twilios_retry_after(twilio_fake: FakeTwilio) -> None:
    twilio_fake.fail(MUM, status=429, retry_after="45")

    [outcome] = send(twilio_channel(twilio_fake), [sms()])

    assert outcome.delivery is Delivery.TRANSIENT
    assert outcome.retry_after == timedelta(seconds=45)


def test_each_429_keeps_its_own_retry_after_when_sent_together(twilio_fake: FakeTwilio) -> None:
    # The sends of a batch are in flight at once: one text's wait must not become another's.
    waits = {MUM: "45", DAD: "120"}
    for number, header in waits.items():
        twilio_fake.fail(number, status=429, retry_after=header)
    twilio_fake.expect(to=GRAN)

    outcomes = send(
        twilio_channel(twilio_fake), [sms(), sms(to=DAD, key="k2"), sms(to=GRAN, key="k3")]
    )

    assert [o.retry_after for o in outcomes] == [
        timedelta(seconds=45),
        timedelta(seconds=120),
        None,
    ]
    assert [o.delivery for o in outcomes] == [Delivery.TRANSIENT, Delivery.TRANSIENT, Delivery.SENT]


def test_a_500_has_no_retry_after_of_its_own(twilio_fake: FakeTwilio) -> None:
    twilio_fake.fail(MUM, status=500, retry_after="45")  # only a 429's is Twilio's to give

    [outcome] = send(twilio_channel(twilio_fake), [sms()])

    assert outcome.delivery is Delivery.TRANSIENT and outcome.retry_after is None


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("86400", MAX_RETRY_AFTER),  # a day: capped, the chase's steps are minutes apart
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
    ],
)
def test_retry_after_in_seconds(header: str | None, wait: timedelta | None) -> None:
    assert retry_after(header) == wait


def test_retry_after_as_a_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=300), usegmt=True)
    wait = retry_after(later)
    assert wait is not None and timedelta(seconds=290) <= wait <= timedelta(seconds=300)
    earlier = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert retry_after(earlier) == timedelta(0)
