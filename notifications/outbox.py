"""The outbox: messages written in the caller's transaction, then claimed, sent and recorded.

A message is written at most once per key, and sent after commit, never twice. Claims are
small, leased and fenced (`notifications.claims`): a claim is marked started in the commit
that takes it, sent as one wave, and its answers stored and settled in one more commit. After
a crash the provider is asked about every send left without an answer
(`notifications.reconcile`), so only a provider that cannot be asked leaves one unknown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlmodel import Session, col

from notifications.claims import (
    BATCH,
    LEASE,
    ClaimGate,
    DispatchResult,
    FailureHook,
    claim_batch,
    claimed_rows,
    left_by_a_dead_run,
    outgoing,
    recover_abandoned,
    settle,
    stable_message_id,
)
from notifications.message import CLAIM_LOST, Channel, OutgoingMessage, SendOutcome
from notifications.models import DeliveryReport, OutboxMessage
from notifications.reconcile import look_for_timeouts, reconcile_lost
from school import checkpoints
from school.clock import Clock
from school.database import insert_ignoring_duplicates

__all__ = [
    "LEASE",
    "DispatchResult",
    "FailureHook",
    "drain_outbox",
    "enqueue",
    "recover_abandoned",
    "stable_message_id",
    "withdraw_unsent",
]
log = logging.getLogger(__name__)
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


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
    return insert_ignoring_duplicates(session, OUTBOX, rows, ["idempotency_key"])


def withdraw_unsent(session: Session, check_id: int, why: str) -> int:
    """A closed check's parent messages still waiting to go (a provider was down) are not
    sent: "not in school" must not reach a parent after the child is known safe. A message
    already claimed may be at the provider, so it is left to finish. Returns how many."""
    waiting = (
        update(OUTBOX)
        .where(
            OUTBOX.c.check_id == check_id,
            OUTBOX.c.alert_id.is_(None),
            OUTBOX.c.status == "pending",
        )
        .values(status="withdrawn", last_error=f"not sent: {why} before it could go")
    )
    return session.execute(waiting).rowcount  # type: ignore[attr-defined]


# --- claiming, sending and recording what happened --------------------------------------------


async def send_claimed(
    messages: list[OutboxMessage], channels: Mapping[str, Channel], gate: ClaimGate
) -> dict[str, SendOutcome]:
    """Hand each channel its messages at once; channels send concurrently, each message
    through the gate (send-started mark before its request, outcome as soon as known)."""
    by_channel: dict[str, list[OutgoingMessage]] = {}
    for message in messages:
        by_channel.setdefault(message.channel, []).append(outgoing(message))

    async def send(name: str, batch: list[OutgoingMessage]) -> list[tuple[str, SendOutcome]]:
        outcomes = await channels[name].send_many(batch, gate)
        return [(m.key, o) for m, o in zip(batch, outcomes, strict=True)]

    results = await asyncio.gather(*(send(name, batch) for name, batch in by_channel.items()))
    return {key: outcome for pairs in results for key, outcome in pairs}


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
    template: str | None = None,
) -> DispatchResult:
    """Send everything due now (only `template`'s messages if given), claim by claim, until a
    claim has taken all that was ready. Each claim costs two commits however many it holds:
    the claim with its start mark, then its answers settled."""
    result = DispatchResult()
    if left_by_a_dead_run(session, clock.now(), school_id):
        result = recover_abandoned(session, clock.now(), on_failure, school_id)
        result.returned = 0  # the last run's leftovers are counted there, not here
        found = await reconcile_lost(session, channels, clock.now(), school_id)
        result.sent, result.unknown = result.sent + found.sent, result.unknown + found.unknown
        result.reconciled = found.reconciled
    gate = ClaimGate()
    while True:
        token, messages = claim_batch(session, clock.now(), school_id, template=template)
        if not messages:
            return result
        before = (result.returned, result.failed)
        checkpoints.reached("dispatch.claimed")
        gate.claim(token, [m.idempotency_key for m in messages])
        try:
            answers = await send_claimed(messages, channels, gate)
        except BaseException:
            # The answers already in are kept; the rest are lost sends, for reconciliation.
            gate.store_answers(session, [], clock.now())
            session.commit()
            raise
        unstarted = []
        for message in messages:
            key = message.idempotency_key
            answer = answers[key]
            if answer is CLAIM_LOST:
                unstarted.append(key)
            elif key not in gate.answers:
                # A channel that answered without telling the gate: record its answer now.
                gate.finish(outgoing(message), answer)
        await look_for_timeouts(session, messages, channels, gate)
        checkpoints.reached("dispatch.sent")
        gate.store_answers(session, unstarted, clock.now())
        rows = claimed_rows(session, token, messages)
        settle(session, rows, clock.now(), on_failure, result)
        # Only Twilio reports deliveries (to a webhook that may beat this commit).
        sent = {
            m.provider_id: m
            for m in rows
            if m.channel == "sms" and m.status == "sent" and m.provider_id
        }
        if sent:
            apply_early_reports(session, sent, clock.now(), on_failure)
        session.commit()
        if len(messages) < BATCH and (result.returned, result.failed) == before:
            # The claim took all that was ready and nothing came of it that is ready now (no
            # row given back unsent, no failure whose hook queued the next contact's message):
            # another claim would find nothing, at a statement and a commit a school a tick.
            return result


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
