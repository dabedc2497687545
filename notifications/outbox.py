"""The outbox: messages written in the caller's transaction, then claimed, sent and recorded.

A message is written at most once per key, and sent after commit, never twice. It is claimed
(status `sending`, committed) before it is handed to its channel, so a crash after the request
left can never lead to a second send: a claim older than the lease is marked `unknown` and
flagged for staff instead of being retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import or_, select, update
from sqlmodel import Session, col

from notifications.message import (
    Channel,
    ChannelName,
    Delivery,
    OutgoingMessage,
    SendOutcome,
)
from notifications.models import DeliveryReport, OutboxMessage
from school import checkpoints
from school.clock import Clock
from school.database import insert_ignoring_duplicates

log = logging.getLogger(__name__)
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
BATCH = 500
LEASE = timedelta(minutes=5)  # far longer than any send's timeout
RETRY_DELAYS = [timedelta(seconds=s) for s in (15, 30, 60, 120, 300, 600)]

# Called after a message fails for good, in the transaction that records it (moves the chase
# on to the next contact or step). Set by the chase; the outbox itself knows no checks.
FailureHook = Callable[[Session, OutboxMessage, datetime], None]


# --- writing, in the caller's transaction -----------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    """Who a message is for and how it reaches them; the body is rendered by the caller."""

    key: str  # e.g. "check:41:step:0:contact:7:sms": the same cause always gives the same key
    school_id: str
    channel: str
    to: str
    recipient_label: str
    template: str
    text: str
    subject: str | None = None
    html: str | None = None
    check_id: int | None = None
    alert_id: int | None = None
    contact_id: int | None = None


def enqueue(session: Session, envelopes: list[Envelope], now: datetime) -> int:
    """Add messages to the outbox; a key already there is left alone. Returns how many added."""
    rows = [
        {
            "idempotency_key": e.key,
            "school_id": e.school_id,
            "check_id": e.check_id,
            "alert_id": e.alert_id,
            "contact_id": e.contact_id,
            "recipient_label": e.recipient_label,
            "channel": e.channel,
            "to": e.to,
            "template": e.template,
            "subject": e.subject,
            "text": e.text,
            "html": e.html,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "flagged_for_staff": False,
        }
        for e in envelopes
    ]
    return len(
        insert_ignoring_duplicates(
            session, OUTBOX, rows, ["idempotency_key"], returning=OUTBOX.c.id
        )
    )


# --- claiming, sending and recording what happened --------------------------------------------


@dataclass
class DispatchResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


def recover_abandoned(session: Session, now: datetime) -> int:
    """Claims older than the lease belong to a crashed run: their outcome is unknown."""
    stale = session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.status == "sending", OUTBOX.c.claimed_at < now - LEASE)
        .values(
            status="unknown",
            flagged_for_staff=True,
            last_error="the run sending this stopped before recording the result",
        )
        .returning(OUTBOX.c.id)
    ).all()
    session.commit()
    if stale:
        log.warning(
            "%d outbox messages have an unknown outcome and are flagged for staff", len(stale)
        )
    return len(stale)


def claim_ready(
    session: Session, now: datetime, school_id: str | None, limit: int = BATCH
) -> list[OutboxMessage]:
    """Mark a batch `sending` and commit, before anything is sent."""
    ready = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now)
        .order_by(OUTBOX.c.id)
        .limit(limit)
    )
    if school_id is not None:
        ready = ready.where(OUTBOX.c.school_id == school_id)
    if session.get_bind().dialect.name == "postgresql":
        ready = ready.with_for_update(skip_locked=True)
    ids = [
        row[0]
        for row in session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(ready.scalar_subquery()))
            .values(status="sending", claimed_at=now, attempts=OUTBOX.c.attempts + 1)
            .returning(OUTBOX.c.id)
        )
    ]
    session.commit()
    if not ids:
        return []
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids))
            .order_by(col(OutboxMessage.id))
        )
    )


async def send_claimed(
    messages: list[OutboxMessage], channels: Mapping[str, Channel]
) -> dict[int, SendOutcome]:
    """Hand each channel its messages at once; channels send concurrently."""
    by_channel: dict[str, list[OutboxMessage]] = {}
    for message in messages:
        by_channel.setdefault(message.channel, []).append(message)

    async def send(name: str, batch: list[OutboxMessage]) -> list[tuple[int, SendOutcome]]:
        outgoing = [
            OutgoingMessage(
                key=m.idempotency_key,
                channel=cast(ChannelName, m.channel),
                to=m.to,
                text=m.text,
                subject=m.subject,
                html=m.html,
            )
            for m in batch
        ]
        outcomes = await channels[name].send_many(outgoing)
        return [(m.id, o) for m, o in zip(batch, outcomes, strict=True)]  # type: ignore[misc]

    results = await asyncio.gather(*(send(name, batch) for name, batch in by_channel.items()))
    return {mid: outcome for pairs in results for mid, outcome in pairs}


def record_outcomes(
    session: Session,
    messages: list[OutboxMessage],
    outcomes: Mapping[int, SendOutcome],
    now: datetime,
    on_failure: FailureHook | None,
    result: DispatchResult,
) -> None:
    for message in messages:
        outcome = outcomes[message.id]  # type: ignore[index]
        message.last_error = outcome.error
        if outcome.delivery is Delivery.SENT:
            message.status, message.provider_id, message.sent_at = "sent", outcome.provider_id, now
            result.sent += 1
            result.by_channel[message.channel] = result.by_channel.get(message.channel, 0) + 1
        elif outcome.delivery is Delivery.TRANSIENT and message.attempts <= len(RETRY_DELAYS):
            message.status = "pending"
            message.next_attempt_at = now + RETRY_DELAYS[message.attempts - 1]
            result.retrying += 1
        elif outcome.delivery is Delivery.UNKNOWN:
            message.status, message.flagged_for_staff = "unknown", True
            result.unknown += 1
        else:  # permanent, or transient too many times
            message.status = "failed"
            result.failed += 1
            if on_failure is not None:
                on_failure(session, message, now)
        session.add(message)
    sent = {m.provider_id: m for m in messages if m.status == "sent" and m.provider_id}
    if sent:
        apply_early_reports(session, sent, now, on_failure)
    session.commit()


def apply_report(
    session: Session,
    message: OutboxMessage,
    report: DeliveryReport,
    now: datetime,
    on_failure: FailureHook | None,
) -> None:
    """A provider's delivery status: delivered, or failed after all (moves the chase on)."""
    report.applied = True
    session.add(report)
    if report.status == "delivered" and message.status == "sent":
        message.status = "delivered"
    elif report.status in ("failed", "undelivered") and message.status in ("sent", "delivered"):
        message.status = "failed"
        message.last_error = f"twilio status {report.status} {report.error_code or ''}".strip()
        if on_failure is not None:
            on_failure(session, message, now)
    session.add(message)


def apply_early_reports(
    session: Session,
    sent: Mapping[str, OutboxMessage],
    now: datetime,
    on_failure: FailureHook | None,
) -> None:
    """Reports that arrived before this batch's provider ids were stored."""
    waiting = session.scalars(
        select(DeliveryReport)
        .where(col(DeliveryReport.message_sid).in_(list(sent)), ~col(DeliveryReport.applied))
        .order_by(col(DeliveryReport.id))
    )
    for report in waiting:
        apply_report(session, sent[report.message_sid], report, now, on_failure)


async def drain_outbox(
    session: Session,
    channels: Mapping[str, Channel],
    clock: Clock,
    *,
    school_id: str | None = None,
    on_failure: FailureHook | None = None,
) -> DispatchResult:
    """Send everything due now, batch by batch, until nothing is ready."""
    result = DispatchResult()
    recover_abandoned(session, clock.now())
    while True:
        messages = claim_ready(session, clock.now(), school_id)
        if not messages:
            return result
        checkpoints.reached("dispatch.claimed")
        outcomes = await send_claimed(messages, channels)
        checkpoints.reached("dispatch.sent")
        record_outcomes(session, messages, outcomes, clock.now(), on_failure, result)


def flagged_messages(session: Session, school_id: str) -> list[OutboxMessage]:
    """Messages staff must look at: outcome unknown, or failed for good."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.school_id) == school_id,
                or_(col(OutboxMessage.flagged_for_staff), col(OutboxMessage.status) == "failed"),
            )
            .order_by(col(OutboxMessage.id))
        )
    )
