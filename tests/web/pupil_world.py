"""The pupil page's world: pupil 1's autumn term marked, a case, a letter and two notices."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from cases.models import (
    AttendanceCase,
    CaseEvent,
    LegalAction,
    LegalActionEvent,
    StoredLetter,
)
from school.database import id_of
from school.models import AttendanceMark, Pupil
from school.schools import load_school
from tests.register_files import upn
from tests.web.webhooks_support import MONDAY

LETTER_HTML = (
    "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>Attendance "
    "concern</title></head><body><h2>Attendance concern</h2><p>Dear Mum One,</p><p>Lee's "
    "attendance is 88.2% as of 13 November 2026.</p></body></html>"
)


def _code(day: date, session: str) -> str:
    """Present most sessions; a holiday week (G), a day of illness (I), a trip (P), a
    closure-style X and a late arrival, so every calendar colour appears."""
    if date(2026, 10, 5) <= day <= date(2026, 10, 9):
        return "G"
    if day == date(2026, 9, 16):
        return "I"
    if day == date(2026, 9, 24):
        return "P"
    if day == date(2026, 11, 4):
        return "X"
    if day == date(2026, 11, 11) and session == "AM":
        return "L"
    return "/" if session == "AM" else "\\"


@pytest.fixture
def pupil_world(session: Session, school: str, world: dict[str, int]) -> dict[str, object]:
    """On top of the morning's world: pupil 1's marks from September to Friday 20 November,
    an open case with a stage move, a stored letter, a Notice to Improve in its period and a
    penalty notice issued and received."""
    pupil = session.scalars(select(Pupil).where(col(Pupil.upn) == upn(1))).one()
    pupil_id = id_of(pupil)
    calendar = load_school(session, school).calendar
    start = calendar.academic_year_start(MONDAY)
    session.add_all(
        AttendanceMark(pupil_id=pupil_id, date=d.date, session=s, code=_code(d.date, s))
        for d in calendar.days
        if start <= d.date < MONDAY
        for s in d.sessions
    )
    at = datetime(2026, 10, 12, 9, tzinfo=UTC)
    case = AttendanceCase(
        school_id=school, pupil_id=pupil_id, stage="support", opened_at=at, policy_version="t"
    )
    session.add(case)
    session.flush()
    session.add(
        CaseEvent(
            case_id=id_of(case), at=at, from_stage="expect", to_stage="support",
            trigger="review", actor_name="Pat Pastoral", actor_position="Head of Year",
            reason="A term-time holiday of 10 sessions", policy_version="t", statistics={},
        )
    )  # fmt: skip
    letter = StoredLetter(
        school_id=school, pupil_id=pupil_id, letter="attendance_concern",
        subject="Attendance concern", decided_at=datetime(2026, 11, 13, 16, tzinfo=UTC),
        decided_by="Pat Pastoral, Head of Year", letter_date=date(2026, 11, 13),
        period_start=start, as_of=date(2026, 11, 13), attendance_pct=88.2,
        sessions_missed=10, unauthorised_sessions=10, addressee="Mum One",
        contact_ids=[], postal_address=["1 High Street", "Bedford"], delivery="print",
        html=LETTER_HTML,
    )  # fmt: skip
    nti = LegalAction(
        school_id=school, case_id=id_of(case), pupil_id=pupil_id, parent_name="Mum One",
        kind="notice_to_improve", state="improvement_period", issued_on=date(2026, 10, 19),
        improvement_period_end=date(2026, 11, 20), created_by="Hal Head, Headteacher",
        created_at=at,
    )  # fmt: skip
    pn = LegalAction(
        school_id=school, case_id=id_of(case), pupil_id=pupil_id, parent_name="Dad Two",
        kind="penalty_notice", state="issued", sequence=1, issued_on=date(2026, 11, 2),
        received_on=date(2026, 11, 4), amount_if_paid_early=80, amount=160,
        created_by="Hal Head, Headteacher", created_at=at,
    )  # fmt: skip
    session.add_all([letter, nti, pn])
    session.flush()
    session.add(
        LegalActionEvent(
            legal_action_id=id_of(pn), at=datetime(2026, 11, 2, 10, tzinfo=UTC),
            from_state="requested", to_state="issued", trigger="issue",
            actor="Bedford Borough Council", reason="Issued by the local authority",
        )
    )  # fmt: skip
    session.commit()
    return {
        "upn": pupil.upn,
        "pupil": pupil_id,
        "letter": id_of(letter),
        "nti": id_of(nti),
        "pn": id_of(pn),
        "case": id_of(case),
        **world,
    }
