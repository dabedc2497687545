"""How many claims a drain makes: until one has taken all that was ready, and again when a
claim gives rows back or a failure queues the next contact's message."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

import chase.models  # noqa: F401  (the outbox's foreign keys name the chase's tables)
import notifications.outbox as outbox
from notifications.claims import BATCH, CLAIM_LEASE
from notifications.message import Delivery
from notifications.models import OutboxMessage
from notifications.outbox import Envelope, drain_outbox, enqueue
from school.clock import FixedClock
from school.policy_files import bundled_policy, parse_policy
from school.schools import set_up_school
from tests.chase_helpers import RecordingChannel
from tests.conftest import CALENDAR


def _text(n: int) -> Envelope:
    return Envelope(f"t{n}", "emmanuel-middle", "sms", f"+4477009{n:05d}", "Mum", "t", "Amy?")


@pytest.fixture
def claims(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each of the drain's claims took."""
    taken: list[int] = []
    real = outbox.claim_batch

    def counted(*args: Any, **kwargs: Any) -> Any:
        token, rows = real(*args, **kwargs)
        taken.append(len(rows))
        return token, rows

    monkeypatch.setattr(outbox, "claim_batch", counted)
    return taken


def _drain(session: Session, clock: FixedClock, sms: RecordingChannel, **kwargs: Any) -> Any:
    return asyncio.run(
        drain_outbox(session, {"sms": sms}, clock, school_id="emmanuel-middle", **kwargs)
    )


def _statuses(session: Session) -> list[str]:
    session.expire_all()
    return [m.status for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_one_claim_that_takes_all_that_is_ready_is_the_last(
    session: Session, school: str, clock: FixedClock, claims: list[int]
) -> None:
    enqueue(session, [_text(n) for n in range(3)], clock.now())
    session.commit()
    result = _drain(session, clock, RecordingChannel("sms"))
    assert result.sent == 3
    assert claims == [3]  # no second claim to find nothing
    assert _statuses(session) == ["sent"] * 3


def test_a_full_claim_is_followed_by_another(
    session: Session, school: str, clock: FixedClock, claims: list[int]
) -> None:
    enqueue(session, [_text(n) for n in range(BATCH + 1)], clock.now())
    session.commit()
    assert _drain(session, clock, RecordingChannel("sms")).sent == BATCH + 1
    assert claims == [BATCH, 1]


def test_nothing_ready_is_one_empty_claim(
    session: Session, school: str, clock: FixedClock, claims: list[int]
) -> None:
    assert _drain(session, clock, RecordingChannel("sms")).sent == 0
    assert claims == [0]


def test_a_failure_that_queues_the_next_contact_is_sent_in_the_same_drain(
    session: Session, school: str, clock: FixedClock, claims: list[int]
) -> None:
    enqueue(session, [_text(1), _text(2)], clock.now())
    session.commit()
    sms = RecordingChannel("sms", fail={"+447700900001": Delivery.PERMANENT})

    def next_contact(session: Session, message: OutboxMessage, now: datetime) -> None:
        enqueue(session, [_text(3)], now)  # as chase.responses.message_failed does

    result = _drain(session, clock, sms, on_failure=next_contact)
    assert (result.sent, result.failed) == (2, 1)
    assert claims == [2, 1]
    assert sms.recipients == ["+447700900001", "+447700900002", "+447700900003"]
    assert _statuses(session) == ["failed", "sent", "sent"]


def test_a_row_given_back_unsent_is_claimed_again_in_the_same_drain(
    session: Session, school: str, clock: FixedClock, claims: list[int]
) -> None:
    enqueue(session, [_text(1), _text(2)], clock.now())
    session.commit()
    sms = RecordingChannel("sms")
    refused = {"t2"}
    real_send = sms.send_many

    async def refuse_once(messages: list[Any], gate: Any) -> list[Any]:
        class Once:
            def start(self, message: Any) -> bool:
                if message.key in refused:
                    refused.discard(message.key)
                    return False  # as a claim whose window had passed
                return bool(gate.start(message))

            def finish(self, message: Any, outcome: Any) -> None:
                gate.finish(message, outcome)

        return await real_send(messages, Once())

    sms.send_many = refuse_once  # type: ignore[method-assign]
    result = _drain(session, clock, sms)
    assert result.sent == 2
    assert claims == [2, 1]
    assert _statuses(session) == ["sent", "sent"]


def test_a_schools_drain_settles_its_own_abandoned_claims_and_no_other_schools(
    session: Session, school: str, clock: FixedClock
) -> None:
    set_up_school(
        session,
        "other-school",
        parse_policy(
            bundled_policy("emmanuel-middle")
            .read_text()
            .replace('id = "emmanuel-middle"', 'id = "other-school"'),
            "other-school.toml",
        ),
        CALENDAR.read_text(),
        str(CALENDAR),
        clock,
    )
    other = Envelope("o1", "other-school", "sms", "+447700900001", "Mum", "t", "Amy?")
    enqueue(session, [_text(1), other], clock.now())
    session.commit()
    # Both claimed by a run that died before it started either send.
    for message in session.scalars(select(OutboxMessage)):
        message.status, message.claim_token = "sending", "dead-run"
        message.claimed_at = clock.now() - CLAIM_LEASE - timedelta(seconds=1)
    session.commit()
    sms = RecordingChannel("sms")
    assert _drain(session, clock, sms).sent == 1  # its own, back to pending and sent
    assert sms.sent == {"t1": 1}
    assert _statuses(session) == ["sent", "sending"]  # the other school's drain settles it


def test_enqueue_counts_only_the_messages_it_added(
    session: Session, school: str, clock: FixedClock
) -> None:
    # A second run of the same step adds nothing: the count is what the outbox took.
    assert enqueue(session, [_text(n) for n in range(5)], clock.now()) == 5
    assert enqueue(session, [_text(n) for n in range(3, 8)], clock.now()) == 3
    assert enqueue(session, [_text(9), _text(9)], clock.now()) == 1
    assert enqueue(session, [], clock.now()) == 0
    session.commit()
    assert len(_statuses(session)) == 9
