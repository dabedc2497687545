"""The register's tables: schools and their days, pupils, contacts, marks and amendments."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from school.db_types import UtcDateTime

# Marks other than present (/ and \\): the same text in the partial index and in the
# statistics' query, so both databases can see the query is covered by the index.
NOT_PRESENT = "code NOT IN ('/', '\\')"


def _utc_column() -> Column[dt.datetime]:
    return Column(UtcDateTime(), nullable=False)


class School(SQLModel, table=True):
    """A school with the policy and calendar it runs under (the text, so history is exact)."""

    id: str = Field(primary_key=True, max_length=64)
    name: str
    policy_text: str
    policy_version: str = Field(max_length=64)
    calendar_text: str
    created_at: dt.datetime = Field(sa_column=_utc_column())
    updated_at: dt.datetime = Field(sa_column=_utc_column())


class CalendarDay(SQLModel, table=True):
    """A day the school meets, materialised from its calendar so statistics are set-based."""

    __tablename__ = "school_day"
    __table_args__ = (Index("ix_school_day_index", "school_id", "day_index", unique=True),)

    school_id: str = Field(foreign_key="school.id", primary_key=True, max_length=64)
    date: dt.date = Field(primary_key=True)
    am: bool
    pm: bool
    sessions: int  # 1 or 2, so "every session of the day" is a plain comparison in SQL
    day_index: int  # ordinal among the school's days
    school_week: int  # ordinal among Mon-Sun weeks with at least one session
    half_term: str
    term: str
    academic_year: int


class Pupil(SQLModel, table=True):
    """A pupil on (or once on) a school's admission register."""

    __table_args__ = (UniqueConstraint("school_id", "upn", name="uq_pupil_school_upn"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", index=True, max_length=64)
    upn: str = Field(max_length=13)
    given_name: str
    family_name: str
    date_of_birth: dt.date
    year_group: int
    admission_date: dt.date
    leaving_date: dt.date | None = None
    social_worker: bool = False
    child_protection_plan: bool = False
    child_in_need_plan: bool = False
    looked_after: bool = False
    ehcp: bool = False
    send_support: bool = False
    fsm: bool = False
    young_carer: bool = False
    medical_need: bool = False
    yot: bool = False


class Contact(SQLModel, table=True):
    """Someone to contact about a pupil, in the school's calling order."""

    __table_args__ = (UniqueConstraint("pupil_id", "priority", name="uq_contact_priority"),)

    id: int | None = Field(default=None, primary_key=True)
    pupil_id: int = Field(foreign_key="pupil.id", index=True)
    priority: int
    name: str
    relationship: str
    parental_responsibility: bool
    mobile: str | None = Field(default=None, max_length=20)
    email: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    town: str | None = None
    postcode: str | None = Field(default=None, max_length=10)

    def postal_address(self) -> list[str]:
        """The lines a letter is posted to; [] when the school holds no address."""
        if not self.address_line1:
            return []
        lines = (self.address_line1, self.address_line2, self.town, self.postcode)
        return [line for line in lines if line]

    def label(self) -> str:
        """How timelines and outboxes name the recipient ("Mum (priority 1)"), never the
        number or address, which stay out of logs and alerts."""
        return f"{self.relationship or 'contact'} (priority {self.priority})"


class AttendanceMark(SQLModel, table=True):
    """The register entry for one pupil in one session."""

    __tablename__ = "attendance_mark"
    __table_args__ = (
        UniqueConstraint("pupil_id", "date", "session", name="uq_mark_pupil_session"),
        Index("ix_mark_code_date", "code", "date"),
        # Only the marks other than / and \\ (about one in ten): the statistics read every
        # figure that needs a code from here, without touching the other nine marks in ten.
        Index(
            "ix_mark_not_present",
            "pupil_id",
            "date",
            "session",
            "code",
            sqlite_where=text(NOT_PRESENT),
            postgresql_where=text(NOT_PRESENT),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    pupil_id: int = Field(foreign_key="pupil.id")
    date: dt.date
    session: str = Field(max_length=2)
    code: str = Field(max_length=2)
    minutes_late: int | None = None


class RegisterImport(SQLModel, table=True):
    """One import that changed something: who ran it, why, and what it changed."""

    __tablename__ = "register_import"

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", index=True, max_length=64)
    imported_at: dt.datetime = Field(sa_column=_utc_column())
    by_name: str | None = None
    by_position: str | None = None
    reason: str | None = None
    files: str
    pupils_added: int = 0
    pupils_changed: int = 0
    contacts_changed: int = 0
    marks_added: int = 0
    marks_amended: int = 0


class MarkAmendment(SQLModel, table=True):
    """An audited change to a register entry (REG24 r6; spec §3): kept six years."""

    __tablename__ = "mark_amendment"

    id: int | None = Field(default=None, primary_key=True)
    mark_id: int = Field(foreign_key="attendance_mark.id", index=True)
    import_id: int | None = Field(default=None, foreign_key="register_import.id")
    original_code: str = Field(max_length=2)
    original_minutes_late: int | None = None
    amended_code: str = Field(max_length=2)
    amended_minutes_late: int | None = None
    reason: str
    amended_at: dt.datetime = Field(sa_column=_utc_column())
    amended_by_name: str
    amended_by_position: str


class AdmissionAmendment(SQLModel, table=True):
    """An audited change to a pupil's admission-register details."""

    __tablename__ = "admission_amendment"

    id: int | None = Field(default=None, primary_key=True)
    pupil_id: int = Field(foreign_key="pupil.id", index=True)
    import_id: int | None = Field(default=None, foreign_key="register_import.id")
    field: str
    original: str | None
    amended: str | None
    reason: str
    amended_at: dt.datetime = Field(sa_column=_utc_column())
    amended_by_name: str
    amended_by_position: str


class Arrival(SQLModel, table=True):
    """An entry in the office's signing-in book: when a pupil arrived, the register window it was
    judged by and the mark it earned (reg 10), stored as decided; who recorded it, and when it
    replaced a mark, the audited amendment (reg 6)."""

    __tablename__ = "arrival"

    id: int | None = Field(default=None, primary_key=True)
    school_id: str = Field(foreign_key="school.id", index=True, max_length=64)
    pupil_id: int = Field(foreign_key="pupil.id", index=True)
    date: dt.date
    session: str = Field(max_length=2)
    arrived_at: dt.time
    register_opens: dt.time
    register_closes: dt.time
    code: str = Field(max_length=2)
    minutes_late: int | None = None
    replaced_code: str | None = Field(default=None, max_length=2)
    mark_amendment_id: int | None = Field(default=None, foreign_key="mark_amendment.id")
    recorded_at: dt.datetime = Field(sa_column=_utc_column())
    recorded_by_name: str | None = None
    recorded_by_position: str | None = None
