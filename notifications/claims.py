"""Claims on outbox rows: a batch claimed and marked started in one commit, sent as one wave
under a fencing token, its answers stored and settled in one commit, and what follows each.

A kill at any moment leaves every claimed row in one of three states, each with one honest
reading: not started (provably never sent: back to pending once the claim's lease expires),
started with an outcome (decided as if the run had lived), or started without an outcome
(the request may have reached the provider: `notifications.reconcile` asks the provider once
the send lease and a settle delay are over, and only a provider that cannot be asked leaves
it `unknown`, flagged for staff).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import defer
from sqlmodel import Session, col

from notifications.message import ChannelName, Delivery, OutgoingMessage, SendOutcome
from notifications.models import OutboxMessage
from school import checkpoints
from school.database import id_of

log = logging.getLogger(__name__)
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
BATCH = 200
# A claim's sends must start within this of the claim (measured on the sending process's own
# clock); later ones are handed back unsent. So no request of a claim is still in flight once
# the window and a channel's timeout (10 s) are over, far inside the send lease.
CLAIM_LEASE = timedelta(seconds=60)
# A send started this long ago with no outcome belongs to a dead run (far longer than the
# claim's window plus any channel's timeout): its request can no longer be in flight.
SEND_LEASE = timedelta(minutes=5)
# ... and the provider is given this much longer to show what it received (its message lists
# are not instant) before a lost send is looked for there.
SETTLE = timedelta(seconds=30)
LEASE = (
    SEND_LEASE + SETTLE
)  # the longest a crashed run's rows wait before the next run settles them
RETRY_DELAYS = [timedelta(seconds=s) for s in (15, 30, 60, 120, 300, 600)]
ZERO = timedelta(0)
LOST = "the run sending this stopped after the request may have left, before the answer"
NOT_STARTED = SendOutcome(Delivery.TRANSIENT, error="not sent: its claim's window had passed")

# Called after a message fails for good, in the transaction that records it (moves the chase
# on to the next contact or step). Set by the chase; the outbox itself knows no checks.
FailureHook = Callable[[Session, OutboxMessage, datetime], None]


@dataclass
class DispatchResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    returned: int = 0  # claims that never started, back to pending after a crash
    reconciled: int = 0  # lost sends the provider was asked about after a crash
    asking: int = 0  # sends that timed out, to be looked for at the provider again
    by_channel: dict[str, int] = field(default_factory=dict)


def outgoing(message: OutboxMessage) -> OutgoingMessage:
    """What a channel is handed for a row: the same on every attempt, Message-ID included."""
    return OutgoingMessage(
        key=message.idempotency_key,
        channel=cast(ChannelName, message.channel),
        to=message.to,
        text=message.text,
        subject=message.subject,
        html=message.html,
        message_id=stable_message_id(message),
    )


def stable_message_id(message: OutboxMessage) -> str:
    """A globally unique id fixed by the row (its key and the instant it was written), so
    every attempt at one message carries the same id and no two messages share one."""
    seed = f"{message.idempotency_key}|{message.created_at.isoformat()}|{message.school_id}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def of_school(query: Any, school_id: str | None) -> Any:
    """`query` narrowed to one school's outbox rows, or left whole for None (every school)."""
    return query if school_id is None else query.where(OUTBOX.c.school_id == school_id)


def claim_batch(
    session: Session,
    now: datetime,
    school_id: str | None,
    limit: int = BATCH,
    template: str | None = None,
) -> tuple[str, list[OutboxMessage]]:
    """Mark up to `limit` ready rows `sending` and started under a new token, in one commit
    before any send: the whole wave's start mark, as a crash after it is reconciled with the
    provider rather than left for staff."""
    token = uuid.uuid4().hex
    ready = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now)
        .order_by(OUTBOX.c.id)
        .limit(limit)
    )
    ready = of_school(ready, school_id)
    if template is not None:
        ready = ready.where(OUTBOX.c.template == template)
    ids = take_rows(
        session,
        ready,
        status="sending",
        claimed_at=now,
        claim_token=token,
        send_started_at=now,
        outcome=None,
        attempts=OUTBOX.c.attempts + 1,
    )
    return token, committed_claim(session, ids)


def take_rows(session: Session, candidates: Any, **values: Any) -> list[int]:
    """Set `values` on the outbox rows `candidates` selects, in one UPDATE; their ids."""
    if session.get_bind().dialect.name == "postgresql":
        # Workers share the outbox: each skips rows another is claiming this instant.
        candidates = candidates.with_for_update(skip_locked=True)
    # On SQLite the UPDATE is the transaction's first statement, so it takes the write lock
    # before reading: a second worker waits, then finds these rows claimed.
    taken = update(OUTBOX).where(OUTBOX.c.id.in_(candidates.scalar_subquery())).values(**values)
    return [row[0] for row in session.execute(taken.returning(OUTBOX.c.id))]


def committed_claim(session: Session, ids: list[int]) -> list[OutboxMessage]:
    """Commit a claim just taken, then its rows read afresh (never from the identity map)."""
    session.commit()
    if not ids:
        return []
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids))
            .order_by(col(OutboxMessage.id))
            .execution_options(populate_existing=True)
        )
    )


class ClaimGate:
    """The SendGate for one claim at a time, all in memory: a send may start if its row is
    in the claim and the claim's window is open; answers are kept until `store_answers`
    writes them with the claim's settling (one statement per kind, one commit per wave).
    Thread-safe: Twilio's threads and SMTP's coroutines share it."""

    def __init__(self, window: timedelta = CLAIM_LEASE) -> None:
        self.window = window.total_seconds()
        self.token = ""
        self._claimed: frozenset[str] = frozenset()
        self._deadline = 0.0
        self._lock = threading.Lock()
        self.answers: dict[str, SendOutcome] = {}
        self.late: set[str] = set()  # refused because the window had passed: never sent
        # Started, answered by no one (a timeout), not found at the provider yet: left as a
        # lost send, asked about again after the settle delay. Key -> why.
        self.unanswered: dict[str, str] = {}

    def claim(self, token: str, keys: list[str]) -> None:
        """Send for this claim from now on (called between claims, with no send under way)."""
        self.token = token
        self._claimed = frozenset(keys)
        self._deadline = time.monotonic() + self.window
        self.answers = {}
        self.late = set()
        self.unanswered = {}

    def leave_unanswered(self, key: str, error: str) -> None:
        """Forget a send's answer: it is a lost send, for `notifications.reconcile`."""
        with self._lock:
            self.answers.pop(key, None)
            self.unanswered[key] = error

    def start(self, message: OutgoingMessage) -> bool:
        if message.key not in self._claimed:
            return False
        if time.monotonic() > self._deadline:
            # Too long after the claim: another run may soon treat it as lost. Not sent.
            with self._lock:
                self.late.add(message.key)
            return False
        checkpoints.reached("dispatch.started")
        return True

    def finish(self, message: OutgoingMessage, outcome: SendOutcome) -> None:
        with self._lock:
            self.answers[message.key] = outcome

    def store_answers(self, session: Session, unstarted: list[str], now: datetime) -> None:
        """Write every answer, and un-mark the sends that never started, fenced by the token
        (in the caller's transaction)."""
        with self._lock:
            answers, self.answers = self.answers, {}
            unanswered, self.unanswered = self.unanswered, {}
            unstarted = sorted(set(unstarted) | self.late - set(answers) - set(unanswered))
        mine = and_(
            OUTBOX.c.idempotency_key == bindparam("k"),
            OUTBOX.c.claim_token == self.token,
            OUTBOX.c.status == "sending",
            OUTBOX.c.outcome.is_(None),
        )
        sent = [
            {"k": k, "o": o.delivery.value, "e": o.error, "p": o.provider_id, "at": now}
            for k, o in answers.items()
            if o.delivery is Delivery.SENT
        ]
        other = [
            {"k": k, "o": o.delivery.value, "e": o.error, "n": now + (o.retry_after or ZERO)}
            for k, o in answers.items()
            if o.delivery is not Delivery.SENT
        ]
        answered: dict[str, Any] = {"outcome": bindparam("o"), "last_error": bindparam("e")}
        if sent:
            # Sent is final here: the provider's id is stored with the answer.
            session.execute(
                update(OUTBOX)
                .where(mine)
                .values(
                    status="sent",
                    provider_id=bindparam("p"),
                    sent_at=bindparam("at"),
                    flagged_for_staff=False,
                    **answered,
                ),
                sent,
            )
        if other:
            # The provider's own wait, if it gave one, is the earliest the retry may be.
            retry: dict[str, Any] = {"next_attempt_at": bindparam("n")}
            session.execute(update(OUTBOX).where(mine).values(**answered, **retry), other)
        if unanswered:
            session.execute(
                update(OUTBOX).where(mine).values(last_error=bindparam("e")),
                [{"k": k, "e": e} for k, e in unanswered.items()],
            )
        if unstarted:
            session.execute(
                update(OUTBOX).where(mine).values(send_started_at=None),
                [{"k": k} for k in unstarted],
            )


def settle(
    session: Session,
    rows: list[OutboxMessage],
    now: datetime,
    on_failure: FailureHook | None,
    result: DispatchResult,
) -> None:
    """Decide what follows each claimed row's recorded outcome (in the caller's transaction)."""
    for message in rows:
        outcome = message.outcome
        if message.status == "sent" or outcome == Delivery.SENT:
            result.sent += 1
            result.by_channel[message.channel] = result.by_channel.get(message.channel, 0) + 1
            continue
        if message.status != "sending":
            continue  # settled already (by another run's recovery, or a late answer)
        if outcome is None and message.send_started_at is None:
            # Never started: provably not sent, so it simply waits for the next claim.
            message.status, message.attempts = "pending", max(0, message.attempts - 1)
            result.returned += 1
        elif outcome is None:
            # Started with no answer, not found at the provider yet: left `sending` for
            # `notifications.reconcile`, which asks again once the settle delay is over.
            result.asking += 1
            continue
        elif outcome == Delivery.UNKNOWN:
            message.status, message.flagged_for_staff = "unknown", True
            message.last_error = message.last_error or LOST
            result.unknown += 1
        elif outcome == Delivery.TRANSIENT and message.attempts <= len(RETRY_DELAYS):
            message.status = "pending"
            # Our backoff, or later if the provider asked for longer (stored with the answer).
            backoff = now + RETRY_DELAYS[message.attempts - 1]
            message.next_attempt_at = max(backoff, message.next_attempt_at)
            result.retrying += 1
        else:  # permanent, or transient too many times
            message.status = "failed"
            result.failed += 1
            if on_failure is not None:
                on_failure(session, message, now)
        if message.status == "pending":
            message.claim_token = message.outcome = message.send_started_at = None
        session.add(message)


def claimed_rows(session: Session, token: str, claimed: list[OutboxMessage]) -> list[OutboxMessage]:
    """The `claimed` rows the claim `token` still holds, read afresh (its senders wrote to them
    on other connections). By id as well as token: the token has no index of its own, and a
    scan for it reads the whole outbox. Without the messages' words: settling a row never
    reads them, and they are most of its bytes (an alert email's text and HTML are 2-3 KB,
    read again for every claim)."""
    # cast: SQLModel types the columns as their values, where defer wants the attribute.
    query = (
        select(OutboxMessage)
        .options(*(defer(cast(Any, column)) for column in (OutboxMessage.text, OutboxMessage.html)))
        .where(
            col(OutboxMessage.id).in_([id_of(m) for m in claimed]),
            col(OutboxMessage.claim_token) == token,
        )
        .order_by(col(OutboxMessage.id))
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return list(session.scalars(query))


def _held_past_the_claim(now: datetime) -> Any:
    """A row still `sending` under a claim older than the claim's window: its run died."""
    return and_(OUTBOX.c.status == "sending", OUTBOX.c.claimed_at < now - CLAIM_LEASE)


def left_by_a_dead_run(session: Session, now: datetime, school_id: str | None) -> bool:
    """Whether any row (of `school_id`, if given) is still `sending` under a claim older than
    the claim's window: what `recover_abandoned` and `notifications.reconcile` look for. One
    statement on every drain, so the usual answer (none) costs one round trip, not four.
    The read's transaction is ended here, so a claim after it is its transaction's first
    statement (on SQLite, that is what takes the write lock before reading)."""
    stale = of_school(select(OUTBOX.c.id).where(_held_past_the_claim(now)), school_id).limit(1)
    found = session.execute(stale).first() is not None
    session.commit()
    return found


def recover_abandoned(
    session: Session,
    now: datetime,
    on_failure: FailureHook | None = None,
    school_id: str | None = None,
) -> DispatchResult:
    """Settle the rows (`school_id`'s only, if given) of runs that died holding claims, once
    the claim's lease is over: never started, back to pending; answered, decided from the
    answer. A send started with no answer is left for `notifications.reconcile`, which asks
    the provider."""
    answered_or_unstarted = col(OutboxMessage.outcome).is_not(None) | col(
        OutboxMessage.send_started_at
    ).is_(None)
    abandoned = select(OutboxMessage).where(_held_past_the_claim(now), answered_or_unstarted)
    abandoned = of_school(abandoned, school_id)
    if session.get_bind().dialect.name == "postgresql":
        abandoned = abandoned.with_for_update(skip_locked=True)
    rows = list(session.scalars(abandoned.order_by(col(OutboxMessage.id))))
    result = DispatchResult()
    settle(session, rows, now, on_failure, result)
    session.commit()
    return result
