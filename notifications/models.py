"""The outbox's tables: messages waiting to be sent or sent, and providers' delivery reports."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from school.db_types import utc_field as _utc


class OutboxMessage(SQLModel, table=True):
    """A message to send, written in the same transaction as the step that caused it."""

    __tablename__ = "outbox_message"
    # ix_outbox_school: a school's own ready, sending and lost rows, found without reading the
    # whole authority's outbox (each school's drain asks for them on every tick, and a
    # morning's updates leave dead entries in a status-only index until the next vacuum).
    __table_args__ = (
        Index("ix_outbox_ready", "status", "next_attempt_at"),
        Index("ix_outbox_school", "school_id", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=200)
    school_id: str = Field(foreign_key="school.id", max_length=64)
    check_id: int | None = Field(default=None, foreign_key="welfare_check.id", index=True)
    alert_id: int | None = Field(default=None, foreign_key="dsl_alert.id")
    contact_id: int | None = None
    recipient_label: str  # "Mum (priority 1)", "DSL": for timelines, never the number
    channel: str = Field(max_length=8)
    to: str
    template: str = Field(max_length=60)
    subject: str | None = None
    text: str
    html: str | None = None
    # pending -> sending -> sent -> delivered | failed; sending -> pending (transient, retry,
    # or claimed but never started); sending -> failed (permanent); sending -> unknown (the
    # send started and its outcome was lost: may have been sent, so never retried);
    # pending -> withdrawn (its check closed before a provider took it: never sent).
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    next_attempt_at: dt.datetime = _utc()
    claimed_at: dt.datetime | None = _utc(nullable=True)
    # The fencing token of the claim that holds the row: every write a sender makes names it,
    # so a sender whose claim expired and was taken over can no longer start or record a send.
    claim_token: str | None = Field(default=None, max_length=32)
    # Committed immediately before the provider request: without it the send provably never
    # started; with it and no outcome, the request may have reached the provider.
    send_started_at: dt.datetime | None = _utc(nullable=True)
    # What the provider said (a Delivery value), committed as soon as it is known, before the
    # dispatcher decides what follows (retry, move the chase on, flag for staff).
    outcome: str | None = Field(default=None, max_length=12)
    provider_id: str | None = Field(default=None, max_length=100, index=True)
    last_error: str | None = None
    created_at: dt.datetime = _utc()
    sent_at: dt.datetime | None = _utc(nullable=True)
    flagged_for_staff: bool = False


class DeliveryReport(SQLModel, table=True):
    """A delivery status from Twilio, kept even when it arrives before the dispatcher has
    stored the message's id, so a quick "undelivered" is never lost."""

    __tablename__ = "delivery_report"

    id: int | None = Field(default=None, primary_key=True)
    message_sid: str = Field(max_length=64, index=True)
    status: str = Field(max_length=20)
    error_code: str | None = Field(default=None, max_length=10)
    received_at: dt.datetime = _utc()
    applied: bool = False
