"""Claims on outbox rows: a small batch under a lease and a fencing token, one committed mark
when each send starts and one when its outcome is known, and what follows from each outcome.

A kill at any moment leaves every claimed row in one of three states, each with one honest
reading: not started (provably never sent: back to pending once the claim's lease expires),
started with an outcome (decided as if the run had lived), or started without an outcome
(the request may have reached the provider: `unknown`, flagged for staff, never resent).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, bindparam, or_, select, update
from sqlmodel import Session, col

from notifications.message import Delivery, OutgoingMessage, SendOutcome
from notifications.models import OutboxMessage
from school import checkpoints
from school.clock import Clock

log = logging.getLogger(__name__)
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
BATCH = 200
# A claim not yet started may be taken over after this; the fencing token stops the first
# holder sending it afterwards, so a short lease only ever costs a little work, never a copy.
CLAIM_LEASE = timedelta(seconds=60)
# A send started this long ago with no outcome belongs to a dead run (far longer than any
# channel's timeout): it may have reached the provider.
SEND_LEASE = timedelta(minutes=5)
LEASE = SEND_LEASE  # the longest a crashed run's rows wait before the next run settles them
RETRY_DELAYS = [timedelta(seconds=s) for s in (15, 30, 60, 120, 300, 600)]
LOST = "the run sending this stopped after the request may have left, before the answer"

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
    by_channel: dict[str, int] = field(default_factory=dict)


def claim_batch(
    session: Session, now: datetime, school_id: str | None, limit: int = BATCH
) -> tuple[str, list[OutboxMessage]]:
    """Mark up to `limit` ready rows `sending` under a new token and commit, before any send."""
    token = uuid.uuid4().hex
    ready = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now)
        .order_by(OUTBOX.c.id)
        .limit(limit)
    )
    if school_id is not None:
        ready = ready.where(OUTBOX.c.school_id == school_id)
    if session.get_bind().dialect.name == "postgresql":
        # Workers share the outbox: each skips rows another is claiming this instant.
        ready = ready.with_for_update(skip_locked=True)
    # On SQLite the UPDATE is the transaction's first statement, so it takes the write lock
    # before reading: a second worker waits, then finds these rows claimed.
    ids = [
        row[0]
        for row in session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(ready.scalar_subquery()))
            .values(
                status="sending",
                claimed_at=now,
                claim_token=token,
                send_started_at=None,
                outcome=None,
                attempts=OUTBOX.c.attempts + 1,
            )
            .returning(OUTBOX.c.id)
        )
    ]
    session.commit()
    if not ids:
        return token, []
    claimed = session.scalars(
        select(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids))
        .order_by(col(OutboxMessage.id))
        .execution_options(populate_existing=True)
    )
    return token, list(claimed)


class ClaimGate:
    """The SendGate for a run's claims: each send's mark is one short transaction of its own,
    carrying the answers that came in since the last, fenced by the current claim's token.
    Thread-safe: each sending thread keeps one connection for the run (a pool checkout and
    its liveness ping per mark would cost more than the mark itself)."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self.token = ""
        self.finished: set[str] = set()  # keys whose outcome is recorded (set.add is atomic)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[Connection] = []
        self._answers: list[dict[str, object]] = []  # answered, not yet committed

    def claim(self, token: str) -> None:
        """Send for this claim from now on (called between claims, with no send under way)."""
        self.token = token
        self.finished = set()

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()

    def _connection(self) -> Connection:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self.engine.connect()
            with self._lock:
                self._connections.append(connection)
        return connection

    def _mine(self, key: str) -> ColumnElement[bool]:
        return and_(OUTBOX.c.idempotency_key == key, OUTBOX.c.claim_token == self.token)

    def start(self, message: OutgoingMessage) -> bool:
        conn = self._connection()
        with conn.begin():
            # Answers that came in since the last mark ride in the same commit: one commit
            # per message, and each answer is stored before the next request leaves.
            self._store_answers(conn)
            started = conn.execute(
                update(OUTBOX)
                .where(
                    self._mine(message.key),
                    OUTBOX.c.status == "sending",
                    OUTBOX.c.send_started_at.is_(None),
                )
                .values(send_started_at=self.clock.now())
            ).rowcount
        if started:
            checkpoints.reached("dispatch.started")
        return bool(started)

    def finish(self, message: OutgoingMessage, outcome: SendOutcome) -> None:
        """Keep the answer for the next commit: the next send's mark, or `flush`."""
        answer: dict[str, object] = {"k": message.key, "o": outcome.delivery.value}
        answer["e"] = outcome.error
        if outcome.delivery is Delivery.SENT:
            answer |= {"p": outcome.provider_id, "at": self.clock.now()}
        with self._lock:
            self._answers.append(answer)
        self.finished.add(message.key)

    def flush(self) -> None:
        """Store every answer not yet committed (after a claim's sends, before settling it)."""
        conn = self._connection()
        with conn.begin():
            self._store_answers(conn)

    def _store_answers(self, conn: Connection) -> None:
        with self._lock:
            answers, self._answers = self._answers, []
        sent = [a for a in answers if "p" in a]
        other = [a for a in answers if "p" not in a]
        recordable = and_(
            OUTBOX.c.idempotency_key == bindparam("k"),
            OUTBOX.c.claim_token == self.token,
            # `unknown`: a late answer after another run gave up on it still counts.
            or_(OUTBOX.c.status == "sending", OUTBOX.c.status == "unknown"),
            OUTBOX.c.outcome.is_(None),
        )
        answered: dict[str, Any] = {"outcome": bindparam("o"), "last_error": bindparam("e")}
        if sent:
            # Sent is final here: the provider's id is stored with the answer.
            conn.execute(
                update(OUTBOX)
                .where(recordable)
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
            conn.execute(update(OUTBOX).where(recordable).values(**answered), other)


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
        elif outcome is None or outcome == Delivery.UNKNOWN:
            message.status, message.flagged_for_staff = "unknown", True
            message.last_error = message.last_error or LOST
            result.unknown += 1
        elif outcome == Delivery.TRANSIENT and message.attempts <= len(RETRY_DELAYS):
            message.status = "pending"
            message.next_attempt_at = now + RETRY_DELAYS[message.attempts - 1]
            result.retrying += 1
        else:  # permanent, or transient too many times
            message.status = "failed"
            result.failed += 1
            if on_failure is not None:
                on_failure(session, message, now)
        if message.status == "pending":
            message.claim_token = message.outcome = message.send_started_at = None
        session.add(message)


def claimed_rows(session: Session, token: str) -> list[OutboxMessage]:
    """The rows one claim holds, read afresh (its senders wrote to them on other connections)."""
    query = (
        select(OutboxMessage)
        .where(col(OutboxMessage.claim_token) == token)
        .order_by(col(OutboxMessage.id))
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return list(session.scalars(query))


def recover_abandoned(
    session: Session, now: datetime, on_failure: FailureHook | None = None
) -> DispatchResult:
    """Settle the rows of runs that died holding claims, once the claim's lease is over: never
    started, back to pending; answered, decided from the answer. A send started with no answer
    waits out the send lease (the request might still be answered), then is `unknown`."""
    claimed_at = col(OutboxMessage.claimed_at)
    answered_or_unstarted = col(OutboxMessage.outcome).is_not(None) | col(
        OutboxMessage.send_started_at
    ).is_(None)
    abandoned = select(OutboxMessage).where(
        col(OutboxMessage.status) == "sending",
        ((claimed_at < now - CLAIM_LEASE) & answered_or_unstarted)
        | (claimed_at < now - SEND_LEASE),
    )
    if session.get_bind().dialect.name == "postgresql":
        abandoned = abandoned.with_for_update(skip_locked=True)
    rows = list(session.scalars(abandoned.order_by(col(OutboxMessage.id))))
    result = DispatchResult()
    settle(session, rows, now, on_failure, result)
    session.commit()
    if result.unknown:
        log.warning(
            "%d outbox messages have an unknown outcome and are flagged for staff", result.unknown
        )
    return result
