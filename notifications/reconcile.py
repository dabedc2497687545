"""After a crash: ask each provider about the sends a dead run started and never heard back on.

A send marked started with no answer may or may not have reached the provider. Once its run
is surely dead (the send lease) and the provider has had time to show what it received (the
settle delay), the channel is asked (`Reconciling.reconcile`):

- the provider holds it (Twilio lists a message to that number with that body since the send
  started): recorded as sent with the provider's id, never sent again;
- the provider provably does not hold it, or a second copy is harmless (SMTP: the same
  Message-ID, which receivers keep once): back to pending, sent again on this run;
- the provider cannot be asked (unreachable, or a channel with no way to ask): `unknown`,
  flagged for staff, who are shown it by `attendance outbox --flagged`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from notifications.claims import (
    LEASE,
    LOST,
    OUTBOX,
    ClaimGate,
    DispatchResult,
    claimed_rows,
    committed_claim,
    of_school,
    outgoing,
    take_rows,
)
from notifications.message import Channel, Delivery, LostSend, SendOutcome, Sighting
from notifications.models import OutboxMessage

log = logging.getLogger(__name__)
NO_WAY_TO_ASK = "this channel cannot be asked whether it got the message"
ASKED_AGAIN = "to be looked for again after the settle delay"


def take_lost(
    session: Session, now: datetime, school_id: str | None
) -> tuple[str, list[OutboxMessage]]:
    """Claim, under a new token and in one commit, the sends dead runs left without an answer
    (so two recovering workers never ask about, or resend, one message both)."""
    token = uuid.uuid4().hex
    lost = select(OUTBOX.c.id).where(
        OUTBOX.c.status == "sending",
        OUTBOX.c.send_started_at.is_not(None),
        OUTBOX.c.outcome.is_(None),
        OUTBOX.c.claimed_at < now - LEASE,
    )
    ids = take_rows(session, of_school(lost, school_id), claim_token=token, claimed_at=now)
    return token, committed_claim(session, ids)


async def ask_providers(
    rows: list[OutboxMessage], channels: Mapping[str, Channel]
) -> dict[int, Sighting]:
    """Each row's sighting from its channel; a channel that cannot be asked says UNKNOWN."""
    sightings: dict[int, Sighting] = {}
    by_channel: dict[str, list[OutboxMessage]] = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    for name, group in by_channel.items():
        channel = channels.get(name)
        reconcile = getattr(channel, "reconcile", None)
        if reconcile is None:
            answers = [Sighting(Delivery.UNKNOWN, error=NO_WAY_TO_ASK) for _ in group]
        else:
            lost = [LostSend(outgoing(r), r.send_started_at or r.claimed_at) for r in group]  # type: ignore[arg-type]
            answers = await reconcile(lost)
        sightings |= {r.id: s for r, s in zip(group, answers, strict=True) if r.id is not None}
    return sightings


def held_already(session: Session, sightings: dict[int, Sighting]) -> set[str]:
    """Provider ids some outbox row already holds: a sighting of one is another message."""
    ids = {i for s in sightings.values() for i in s.provider_ids}
    if not ids:
        return set()
    held = select(col(OutboxMessage.provider_id)).where(col(OutboxMessage.provider_id).in_(ids))
    return {i for i in session.scalars(held) if i}


def record_sightings(
    session: Session,
    rows: list[OutboxMessage],
    sightings: dict[int, Sighting],
    now: datetime,
    result: DispatchResult,
) -> None:
    """What each sighting means for its row (in the caller's transaction)."""
    taken = held_already(session, sightings)
    for row in rows:
        sighting = sightings[row.id or 0]
        result.reconciled += 1
        # Two lost sends of the same words to the same number: each takes its own copy.
        free = [i for i in sighting.provider_ids if i not in taken]
        if sighting.delivery is Delivery.SENT and free:
            taken.add(free[0])
            row.status, row.provider_id, row.outcome = "sent", free[0], Delivery.SENT.value
            row.sent_at, row.flagged_for_staff = row.send_started_at, False
            result.sent += 1
            result.by_channel[row.channel] = result.by_channel.get(row.channel, 0) + 1
        elif sighting.delivery is Delivery.UNKNOWN:
            row.status, row.flagged_for_staff = "unknown", True
            # A live run's timeout says so; anything else was left by a run that died.
            timed_out = (row.last_error or "").endswith(ASKED_AGAIN)
            cause = (row.last_error or "").split("; ")[0] if timed_out else LOST
            row.last_error = f"{cause}; {sighting.error}" if sighting.error else cause
            result.unknown += 1
        else:
            # Provably not at the provider (or a copy is harmless): send it again now.
            row.status, row.next_attempt_at = "pending", now
            row.last_error = sighting.error or "the provider has no such message: sent again"
            row.claim_token = row.outcome = row.send_started_at = None
        session.add(row)


async def reconcile_lost(
    session: Session, channels: Mapping[str, Channel], now: datetime, school_id: str | None
) -> DispatchResult:
    """Ask the providers about every lost send due to be asked about, and record the answers."""
    result = DispatchResult()
    token, rows = take_lost(session, now, school_id)
    if not rows:
        return result
    sightings = await ask_providers(rows, channels)
    # Read afresh under the token (locked on PostgreSQL): only rows still ours are changed.
    record_sightings(session, claimed_rows(session, token, rows), sightings, now, result)
    session.commit()
    if result.unknown:
        log.warning(
            "%d outbox messages have an unknown outcome and are flagged for staff", result.unknown
        )
    return result


async def look_for_timeouts(
    session: Session,
    messages: list[OutboxMessage],
    channels: Mapping[str, Channel],
    gate: ClaimGate,
) -> None:
    """Sends this live run got no answer to (a timeout), looked for at once at a provider that
    lists what it holds (Twilio): found, it is sent; not found (yet) or not asked, it is left
    as a lost send, asked about again after the settle delay as after a crash, so it is
    neither sent twice nor called unknown while the provider can still be asked."""
    waiting = [
        m
        for m in messages
        if (answer := gate.answers.get(m.idempotency_key)) is not None
        and answer.delivery is Delivery.UNKNOWN
        and getattr(channels.get(m.channel), "lists_sends", False)
    ]
    if not waiting:
        return
    sightings = await ask_providers(waiting, channels)
    taken = held_already(session, sightings)
    for row in waiting:
        sighting, key = sightings[row.id or 0], row.idempotency_key
        timeout = gate.answers[key].error or "no answer"
        free = [i for i in sighting.provider_ids if i not in taken]
        if sighting.delivery is Delivery.SENT and free:
            taken.add(free[0])
            gate.answers[key] = SendOutcome(Delivery.SENT, free[0], f"{timeout}; found at once")
        else:
            listed = sighting.delivery is Delivery.TRANSIENT
            why = "not listed yet" if listed else (sighting.error or "not asked")
            gate.leave_unanswered(key, f"{timeout}; {why}; {ASKED_AGAIN}")
