"""Tables for pupils' attendance cases through the six stages, the actions and proposals in
them, legal actions (Notices to Improve, penalty notices) and duties to the local authority."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, Index, Integer, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from school.db_types import json_field as _json
from school.db_types import utc_field as _utc

_case_version = Column("version", Integer, nullable=False, default=0)


class AttendanceCase(SQLModel, table=True):
    """One pupil's case: the stage it is in, and what the school has done about it.

    At most one open case per pupil (a partial unique index: closed cases stay as history).
    """

    __tablename__ = "attendance_case"
    __table_args__ = (
        Index(
            "uq_case_open_per_pupil",
            "pupil_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )
    __mapper_args__ = {"version_id_col": _case_version}

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", max_length=64, index=True)
    pupil_id: int = Field(foreign_key="pupil.id", index=True)
    stage: str = Field(default="expect", max_length=12)
    opened_at: dt.datetime = _utc()
    closed_at: dt.datetime | None = _utc(nullable=True)
    policy_version: str = Field(max_length=64)
    # Why support is not appropriate (e.g. an unauthorised term-time holiday): lets the case
    # reach Formalise or Enforce without support having been offered (spec §5).
    support_not_appropriate: str | None = None
    # When and by whom barriers linked to special educational needs were considered (KTS).
    send_barriers_considered_at: dt.datetime | None = _utc(nullable=True)
    send_barriers_considered_by: str | None = None
    # The member of staff who holds the case ("Name, Position"): the family's named contact
    # and who the cases board is filtered by. Set by a person, kept in the case's history.
    key_worker: str | None = Field(default=None, max_length=200)
    version: int = Field(default=0, sa_column=_case_version)


class CaseEvent(SQLModel, table=True):
    """Every move of a case: from, to, trigger, who, why, when, policy, and the figures."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="attendance_case.id", index=True)
    at: dt.datetime = _utc()
    from_stage: str = Field(max_length=12)
    to_stage: str = Field(max_length=12)
    trigger: str = Field(max_length=40)
    actor_name: str
    actor_position: str
    reason: str
    policy_version: str = Field(max_length=64)
    statistics: dict[str, Any] = _json()  # the figures that justified it, as of that day


class CaseAction(SQLModel, table=True):
    """Something done or to do in a case: a letter, a meeting, a plan, a referral, support."""

    __tablename__ = "case_action"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="attendance_case.id", index=True)
    kind: str = Field(max_length=40)  # letter, meeting, support_plan, attendance_contract, ...
    rung_id: str | None = Field(default=None, max_length=60)  # the ladder rung it came from
    title: str
    is_support: bool = False  # support for the family: the gate for Formalise/Enforce
    due_on: dt.date | None = None
    review_on: dt.date | None = None
    # planned, done, attended, not_attended, declined, cancelled
    status: str = Field(default="planned", max_length=16)
    outcome: str | None = None
    created_at: dt.datetime = _utc()
    created_by: str
    completed_at: dt.datetime | None = _utc(nullable=True)
    completed_by: str | None = None
    details: dict[str, Any] = _json()
    # Support only (cases/support_law.py): planned, offered, accepted, declined, in_place,
    # ended. Kept apart from `status` (the action's own outcome, e.g. a meeting not attended).
    support_status: str | None = Field(default=None, max_length=12)
    offered_on: dt.date | None = None
    offered_by: str | None = None


class CaseProposal(SQLModel, table=True):
    """What the daily review proposes; a named member of staff confirms, skips or overrides.

    `trigger_key` names the cause (rung, band, date) so a proposal is never made twice for it.
    """

    __tablename__ = "case_proposal"
    __table_args__ = (UniqueConstraint("case_id", "trigger_key", name="uq_proposal_trigger"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="attendance_case.id", index=True)
    trigger_key: str = Field(max_length=120)
    kind: str = Field(max_length=20)  # stage_move, letter, meeting, referral, legal, review
    rung_id: str | None = Field(default=None, max_length=60)
    to_stage: str | None = Field(default=None, max_length=12)
    summary: str
    evidence: dict[str, Any] = _json()
    created_at: dt.datetime = _utc()
    status: str = Field(
        default="proposed", max_length=12
    )  # proposed, confirmed, skipped, overridden, applied
    decided_by: str | None = None
    decided_at: dt.datetime | None = _utc(nullable=True)
    decision_reason: str | None = None


class PupilCarer(SQLModel, table=True):
    """A person with day-to-day care of a pupil, not a contact on file, recorded by a named
    member of staff with the reason: a parent in law (Education Act 1996 s576) for notices."""

    __tablename__ = "pupil_carer"

    id: int | None = Field(default=None, primary_key=True)
    pupil_id: int = Field(foreign_key="pupil.id", index=True)
    name: str
    recorded_by: str
    reason: str
    recorded_at: dt.datetime = _utc()


_legal_version = Column("version", Integer, nullable=False, default=0)


class LegalAction(SQLModel, table=True):
    """A Notice to Improve or a penalty notice, for one parent of one pupil (spec §5).

    Penalty notices are counted per parent per pupil: siblings and the other parent are
    separate. Suspension "public place" notices (EIA 2006 s103) are kept apart and never count.
    """

    __tablename__ = "legal_action"
    __mapper_args__ = {"version_id_col": _legal_version}

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", max_length=64, index=True)
    case_id: int | None = Field(default=None, foreign_key="attendance_case.id", index=True)
    pupil_id: int = Field(foreign_key="pupil.id", index=True)
    parent_name: str  # the parent liable, as on file when the notice was made
    # Who that is on file: a contact with parental responsibility, or a recorded carer. No
    # foreign key to contact: an import replaces a pupil's contacts when they change, so the
    # limits also match the on-file name (cases/legal/parents.py).
    parent_contact_id: int | None = None
    parent_carer_id: int | None = Field(default=None, foreign_key="pupil_carer.id")
    # notice_to_improve, penalty_notice, suspension_penalty_notice
    kind: str = Field(max_length=30)
    state: str = Field(max_length=24)
    sequence: int | None = None  # 1st or 2nd penalty notice within three years
    issued_on: dt.date | None = None
    received_on: dt.date | None = None  # payment periods run from receipt (PNREG24 r4)
    improvement_period_end: dt.date | None = None  # NTI: 3 to 6 weeks
    amount_if_paid_early: int | None = None  # pounds
    amount: int | None = None
    paid_on: dt.date | None = None
    amount_paid: int | None = None
    withdrawn_on: dt.date | None = None
    threshold_first_met_on: dt.date | None = None
    offence_summary: str | None = None
    created_at: dt.datetime = _utc()
    created_by: str
    version: int = Field(default=0, sa_column=_legal_version)


class LegalActionEvent(SQLModel, table=True):
    __tablename__ = "legal_action_event"

    id: int | None = Field(default=None, primary_key=True)
    legal_action_id: int = Field(foreign_key="legal_action.id", index=True)
    at: dt.datetime = _utc()
    from_state: str = Field(max_length=24)
    to_state: str = Field(max_length=24)
    trigger: str = Field(max_length=40)
    actor: str
    reason: str
    # What was decided with it, as decided: an NTI outcome's figures over the improvement
    # period, the education supervision order considered before prosecuting (EA 1996 s447).
    details: dict[str, Any] | None = _json()


class LaDuty(SQLModel, table=True):
    """A duty to inform the local authority (or recode a register entry), with its deadline.

    `trigger_key` makes each duty arise once per cause (e.g. one sickness return per period).
    """

    __tablename__ = "la_duty"
    __table_args__ = (UniqueConstraint("pupil_id", "kind", "trigger_key", name="uq_duty_trigger"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", max_length=64, index=True)
    pupil_id: int = Field(foreign_key="pupil.id", index=True)
    # continuous_absence_return, sickness_return, recode_n, ehcp_inform_la, deletion_ground
    kind: str = Field(max_length=40)
    trigger_key: str = Field(max_length=80)
    summary: str
    due_on: dt.date
    status: str = Field(default="open", max_length=12)  # open, done, dismissed
    details: dict[str, Any] = _json()
    created_at: dt.datetime = _utc()
    done_at: dt.datetime | None = _utc(nullable=True)
    done_by: str | None = None


class StoredLetter(SQLModel, table=True):
    """A letter as it was decided, to one addressee group: its words, who to and the figures.

    One row per group of parents with parental responsibility who share a postal address
    (one parent alone where they live apart or no address is held). Printing, emailing,
    reprinting and the evidence pack all read this row; nothing recomputes it.
    """

    __tablename__ = "letter"

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", max_length=64, index=True)
    pupil_id: int = Field(foreign_key="pupil.id", index=True)
    case_action_id: int | None = Field(default=None, foreign_key="case_action.id", index=True)
    legal_action_id: int | None = Field(default=None, foreign_key="legal_action.id", index=True)
    letter: str = Field(max_length=120)  # the template, as the policy names it
    subject: str
    decided_at: dt.datetime = _utc()
    decided_by: str
    letter_date: dt.date
    # The figures the letter states, as they stood when it was decided.
    period_start: dt.date
    as_of: dt.date
    attendance_pct: float | None = None
    sessions_missed: int
    unauthorised_sessions: int
    addressee: str  # "Ms A Smith and Mr B Smith", as the letter greets them
    contact_ids: list[int] = _json()
    postal_address: list[str] = _json()  # [] when none is held: email only
    delivery: str = Field(max_length=16)  # "email", "print" or "email_and_print"
    html: str


class LetterPdf(SQLModel, table=True):
    """The printable copy of a stored letter, drawn after the review that decided it committed.

    Kept apart from the letter so reading letters never loads their PDFs; a letter without one
    gets it at the next review or from `attendance letters pdfs`, drawn from its stored HTML.
    """

    __tablename__ = "letter_pdf"

    letter_id: int = Field(foreign_key="letter.id", primary_key=True)
    rendered_at: dt.datetime = _utc()
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class RetentionRun(SQLModel, table=True):
    """One `attendance retention` run that changed something: when, under which policy
    version, the cut-off dates it used and how many records of each kind went."""

    __tablename__ = "retention_run"

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", index=True, max_length=64)
    ran_at: dt.datetime = _utc()
    policy_version: str = Field(max_length=64)
    cutoffs: dict[str, Any] = _json()  # {"register_before": "2019-12-04", ...}
    counts: dict[str, int] = _json()  # {"marks_deleted": 120, ...}


class LegalRefusal(SQLModel, table=True):
    """A notice the engine refused, with the rule that refused it, kept when refused: the
    legal actions page shows it, and a subject access request includes it."""

    __tablename__ = "legal_refusal"

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", max_length=64, index=True)
    pupil_id: int = Field(foreign_key="pupil.id", index=True)
    kind: str = Field(max_length=30)  # the notice asked for: notice_to_improve, penalty_notice
    parent: str  # as the person asking named them
    asked_by: str
    asked_for: dt.date  # the date the notice would have been issued or requested on
    refused_at: dt.datetime = _utc()
    reason: str  # the refusal's words, naming the rule (spec §5 ...)
    alternatives: list[str] = _json()  # what the law says to consider instead, if anything
