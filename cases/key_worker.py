"""Who holds a case: its key worker, named by a person and kept in the case's history."""

from __future__ import annotations

from sqlmodel import Session

from cases.effects import _Context
from cases.models import AttendanceCase
from cases.support import _record_on_case
from school.amender import Amender
from school.clock import Clock
from state_machines.attendance_case import CaseRefused


def record_key_worker(
    session: Session, case_id: int, worker: str, by: Amender, clock: Clock
) -> AttendanceCase:
    """Name the case's key worker ("Name, Position"); the history keeps who named whom."""
    try:
        named = str(Amender.parse(worker))
    except ValueError:
        example = '"Name, Position", e.g. "Jo Bloggs, Head of Year 8"'
        raise CaseRefused([f"the key worker {worker[:60]!r} must be {example}"]) from None

    def record(case: AttendanceCase, context: _Context, why: str) -> None:
        case.key_worker = named

    what = "naming the key worker"
    return _record_on_case(
        session, case_id, by, clock, "key_worker", f"key worker: {named}", what, record
    )
