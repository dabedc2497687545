"""Writing messages to the outbox, in the caller's transaction, at most once per key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from notifications.models import OutboxMessage
from school.database import insert_ignoring_duplicates

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


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
