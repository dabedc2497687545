"""The morning chase's tables: welfare checks and their events, staff tasks, the outbox,
parent replies, absences reported in advance, and alerts for the DSL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from cases.db_types import UtcDateTime


def _utc(nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=Column(UtcDateTime(), nullable=nullable, index=index),
    )


def _json() -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=True))


# Every ORM update of a check is compare-and-set on this column (SQLAlchemy raises
# StaleDataError if another worker changed the row first); the claim bumps it too.
_check_version = Column("version", Integer, nullable=False, default=0)


class WelfareCheck(SQLModel, table=True):
    """One pupil's unexplained absence from one session, chased until they are known safe.

    `plan` is the policy's steps resolved to instants when the check opened (a snapshot, so a
    policy edited mid-morning does not change a chase in flight); `next_due_at` is the timer.
    """

    __tablename__ = "welfare_check"
    __table_args__ = (
        UniqueConstraint("pupil_id", "date", "session", name="uq_check_pupil_session"),
        Index("ix_check_due", "school_id", "next_due_at"),
    )
    __mapper_args__ = {"version_id_col": _check_version}

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", max_length=64)
    pupil_id: int = Field(foreign_key="pupil.id", index=True)
    date: dt.date
    session: str = Field(max_length=2)
    state: str = Field(default="unexplained", max_length=20)
    vulnerable: bool = False
    policy_version: str = Field(max_length=64)
    plan: list[dict[str, Any]] = _json()
    next_step: int = 0
    next_due_at: dt.datetime | None = _utc(nullable=True)
    opened_at: dt.datetime = _utc()
    closed_at: dt.datetime | None = _utc(nullable=True)
    outcome: str | None = None
    suggested_code: str | None = Field(default=None, max_length=2)
    version: int = Field(default=0, sa_column=_check_version)


class WelfareCheckEvent(SQLModel, table=True):
    """Every change to a welfare check: from what to what, why, by whom, under which policy."""

    __tablename__ = "welfare_check_event"

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="welfare_check.id", index=True)
    at: dt.datetime = _utc()
    from_state: str
    to_state: str
    trigger: str
    actor: str
    reason: str
    policy_version: str = Field(max_length=64)


class StaffTask(SQLModel, table=True):
    """Something a person must do for a check: a call, a visit, telling a social worker."""

    __tablename__ = "staff_task"

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="welfare_check.id", index=True)
    school_id: str = Field(foreign_key="school.id", max_length=64, index=True)
    kind: str = Field(max_length=40)
    step: int  # the plan step that created it (-1: raised when the check opened)
    created_at: dt.datetime = _utc()
    due_at: dt.datetime = _utc()
    contacts: list[dict[str, Any]] = _json()  # in calling order, as they were when raised
    script: str  # what to say or do
    by: str | None = None  # who should do it (office, school_leader, police, ...)
    state: str = Field(default="open", max_length=12)  # open, done, escalated
    outcome: str | None = Field(default=None, max_length=40)
    recorded_by: str | None = None
    recorded_at: dt.datetime | None = _utc(nullable=True)
    note: str | None = None


class OutboxMessage(SQLModel, table=True):
    """A message to send, written in the same transaction as the step that caused it."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_ready", "status", "next_attempt_at"),)

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
    # pending -> sending -> sent -> delivered | failed; sending -> pending (transient, retry);
    # sending -> failed (permanent); sending -> unknown (may have been sent: never retried).
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    next_attempt_at: dt.datetime = _utc()
    claimed_at: dt.datetime | None = _utc(nullable=True)
    provider_id: str | None = Field(default=None, max_length=100, index=True)
    last_error: str | None = None
    created_at: dt.datetime = _utc()
    sent_at: dt.datetime | None = _utc(nullable=True)
    flagged_for_staff: bool = False


class ParentReply(SQLModel, table=True):
    """An inbound text, kept whether or not it matched a family (deduplicated by MessageSid)."""

    __tablename__ = "parent_reply"

    id: int | None = Field(default=None, primary_key=True)
    message_sid: str = Field(unique=True, max_length=64)
    from_number: str = Field(max_length=40)  # room for "whatsapp:+44..." senders
    body: str
    received_at: dt.datetime = _utc()
    contact_ids: list[int] = _json()
    check_ids: list[int] = _json()
    meaning: str = Field(max_length=30)  # reason_given, parent_unaware, unclear, unmatched
    suggested_code: str | None = Field(default=None, max_length=2)


class ReportedAbsence(SQLModel, table=True):
    """An absence someone explained before or during the chase: no welfare check is needed."""

    __tablename__ = "reported_absence"
    __table_args__ = (UniqueConstraint("pupil_id", "date", "session", name="uq_reported_session"),)

    id: int | None = Field(default=None, primary_key=True)
    pupil_id: int = Field(foreign_key="pupil.id", index=True)
    date: dt.date
    session: str = Field(max_length=2)
    reason: str
    suggested_code: str | None = Field(default=None, max_length=2)
    source: str = Field(max_length=20)  # parent_reply, staff, planned_leave
    recorded_by: str
    recorded_at: dt.datetime = _utc()


class DslAlert(SQLModel, table=True):
    """A child not known to be safe, for the Designated Safeguarding Lead to act on."""

    __tablename__ = "dsl_alert"

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", max_length=64, index=True)
    check_id: int = Field(foreign_key="welfare_check.id", unique=True)
    raised_at: dt.datetime = _utc()
    reason: str
    timeline: list[dict[str, Any]] = _json()
    acknowledged_at: dt.datetime | None = _utc(nullable=True)
    acknowledged_by: str | None = None
    note: str | None = None


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
