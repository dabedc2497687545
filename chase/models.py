"""The morning chase's tables: welfare checks and their events, staff tasks,
parent replies, absences reported in advance, and alerts for the DSL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from school.db_types import json_field as _json
from school.db_types import utc_field as _utc

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
        # A school's checks of one session (closing on arrival, the register's checks): the
        # unique key leads with the pupil, so without this each school reads the LA's day.
        Index("ix_check_school_session", "school_id", "date", "session"),
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
    """A child not known to be safe, for the Designated Safeguarding Lead to act on.

    `reason`, `timeline` and `policy_version` are what was known when it was raised, kept as
    they were; what happened since is read from the check's rows when the alert is shown.
    """

    __tablename__ = "dsl_alert"

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", max_length=64, index=True)
    check_id: int = Field(foreign_key="welfare_check.id", unique=True)
    raised_at: dt.datetime = _utc()
    reason: str
    timeline: list[dict[str, Any]] = _json()
    policy_version: str = Field(max_length=64)
    acknowledged_at: dt.datetime | None = _utc(nullable=True)
    acknowledged_by: str | None = None


class Note(SQLModel, table=True):
    """One note by a person (or the engine) on a welfare check, one of its tasks or its alert.

    Notes are only ever added: a later outcome or acknowledgement is a new row, so the history
    of who said what, and when, is kept whole.
    """

    __tablename__ = "note"

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="welfare_check.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="staff_task.id", index=True)
    alert_id: int | None = Field(default=None, foreign_key="dsl_alert.id", index=True)
    recorded_at: dt.datetime = _utc()
    recorded_by: str
    outcome: str | None = Field(default=None, max_length=40)  # recorded with it, if any
    text: str = ""


class RegisterAlert(SQLModel, table=True):
    """A year group's register not taken at close plus grace: its pupils are held back from the
    chase and the attendance officer is told, once; resolved (never deleted) when marks arrive.
    """

    __tablename__ = "register_alert"
    __table_args__ = (
        UniqueConstraint(
            "school_id", "date", "session", "year_group", name="uq_register_alert_session"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", max_length=64, index=True)
    date: dt.date
    session: str = Field(max_length=2)
    year_group: int
    closes: str = Field(max_length=5)  # the register's close, HH:MM school time
    pupils_on_roll: int
    pupils_marked: int
    reason: str  # as raised, shown the same way everywhere
    raised_at: dt.datetime = _utc()
    resolved_at: dt.datetime | None = _utc(nullable=True)
    resolution: str | None = None


class WatchdogAlert(SQLModel, table=True):
    """Something the chase should have done and has not (a step late, a message stuck, a
    register not taken), raised once per problem for the attendance lead and resolved, never
    deleted, when it clears. `problem_key` names the problem, so a re-run finds it raised.
    """

    __tablename__ = "watchdog_alert"
    __table_args__ = (UniqueConstraint("school_id", "problem_key", name="uq_watchdog_problem"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", max_length=64, index=True)
    problem_key: str = Field(max_length=120)  # e.g. "check:41:step:2:late"
    kind: str = Field(max_length=30)  # outbox_stuck, no_deadline, step_late, register_not_taken
    check_id: int | None = Field(default=None, foreign_key="welfare_check.id")
    message_id: int | None = Field(default=None, foreign_key="outbox_message.id")
    reason: str  # as raised, shown the same way everywhere
    raised_at: dt.datetime = _utc()
    told: str  # who was told: the attendance lead's role, or the DSL's when there is none
    resolved_at: dt.datetime | None = _utc(nullable=True)
    resolution: str | None = None


class SafeguardingAction(SQLModel, table=True):
    """What the DSL did about an alert (police, children's social care, a home visit...),
    when it was done and who recorded it: its own row, never a note's text."""

    __tablename__ = "safeguarding_action"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="dsl_alert.id", index=True)
    check_id: int = Field(foreign_key="welfare_check.id", index=True)
    kind: str = Field(max_length=20)
    done_at: dt.datetime = _utc()
    recorded_by: str
    recorded_at: dt.datetime = _utc()
    note: str = ""
