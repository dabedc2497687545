"""What the casework commands share: their options, finding a pupil and a case, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import fail
from cli.parsing import parse_upn, school_named

if TYPE_CHECKING:
    from sqlmodel import Session

    from cases.models import AttendanceCase
    from school.models import Pupil

School = Annotated[str, typer.Option(help="The school's id.")]
MaybeSchool = Annotated[
    str | None, typer.Option(help="The school's id (needed only if the UPN is at several).")
]
By = Annotated[str, typer.Option(help='"Name, Position" of the member of staff.')]
Reason = Annotated[str, typer.Option(help="Why, in a sentence a parent or the LA could read.")]


@contextmanager
def refused_by_law() -> Iterator[None]:
    """The services' refusals (the law, a guard, a stale view) as a clear message, exit 1."""
    from cases.duties.rules import DutyRefused
    from cases.legal.refusals import LegalActionRefused
    from state_machines.attendance_case import CaseRefused

    try:
        yield
    except (CaseRefused, LegalActionRefused, DutyRefused, LookupError, ValueError) as exc:
        fail([str(exc)], "Refused:")


def pupil_by_upn(session: Session, school: str | None, upn: str) -> Pupil:
    """The pupil with this UPN; --school is needed only when UPNs repeat across schools."""
    upn = parse_upn("UPN", upn)
    from sqlalchemy import select
    from sqlmodel import col

    from school.models import Pupil

    query = select(Pupil).where(col(Pupil.upn) == upn)
    if school is not None:
        query = query.where(col(Pupil.school_id) == school_named(session, school).id)
    found = session.scalars(query).all()
    if not found:
        raise LookupError(f"no pupil {upn}" + (f" at {school}" if school else ""))
    if len(found) > 1:
        raise LookupError(f"{upn} is on the roll of several schools: give --school")
    return found[0]


def open_case_of(session: Session, pupil: Pupil) -> AttendanceCase:
    from sqlalchemy import select
    from sqlmodel import col

    from cases.models import AttendanceCase

    case = session.scalars(
        select(AttendanceCase).where(
            col(AttendanceCase.pupil_id) == pupil.id, col(AttendanceCase.closed_at).is_(None)
        )
    ).first()
    if case is None:
        raise LookupError(f"{pupil.given_name} {pupil.family_name} has no open case")
    return case
