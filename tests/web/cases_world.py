"""The cases pages' world: two open cases at Emmanuel Middle, a proposal waiting, support, a
meeting, a letter as decided, and a case at another school nobody here may see."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from cases.key_worker import record_key_worker
from cases.models import AttendanceCase, CaseAction, CaseProposal, StoredLetter
from cases.service import move_case, open_case
from cases.support import record_support
from school.amender import Amender
from school.clock import FixedClock
from school.database import id_of
from school.models import Pupil
from school.policy_files import bundled_policy, load_policy
from school.schools import set_up_school
from school.upn import make_upn
from tests.conftest import CALENDAR
from tests.web.pages_world import OTHER_SCHOOL

SETUP = Amender("Sam Setup", "Head of Year")


def _other_schools_case(session: Session, clock: FixedClock) -> int:
    set_up_school(
        session,
        OTHER_SCHOOL,
        load_policy(bundled_policy(OTHER_SCHOOL)),
        CALENDAR.read_text(),
        str(CALENDAR),
        clock,
    )
    pupil = Pupil(
        school_id=OTHER_SCHOOL,
        upn=make_upn(835, 4001, 25, 1),
        given_name="Olly",
        family_name="Elsewhere",
        date_of_birth=date(2013, 1, 5),
        year_group=7,
        admission_date=date(2025, 9, 3),
    )
    session.add(pupil)
    session.commit()
    return id_of(open_case(session, id_of(pupil), SETUP, "Below 90% this term", clock))


@pytest.fixture
def cases(
    session: Session, school: str, world: dict[str, int], morning_clock: FixedClock
) -> dict[str, int]:
    """Pupil1 (Y7): a case at Expect with a proposal to move to Monitor, planned mentoring,
    a meeting and a letter. Pupil2 (Y8, FSM, social worker): a case at Expect, nothing due."""
    clock = morning_clock
    pupils = {p.given_name: p for p in session.scalars(select(Pupil))}
    one, two = pupils["Pupil1"], pupils["Pupil2"]
    two.year_group, two.fsm, two.social_worker = 8, True, True
    session.add(two)
    session.commit()
    first = id_of(open_case(session, id_of(one), SETUP, "Attendance below 95%", clock))
    second = id_of(open_case(session, id_of(two), SETUP, "Unauthorised absences", clock))
    proposal = CaseProposal(
        case_id=first,
        trigger_key="test:monitor",
        kind="stage_move",
        to_stage="monitor",
        summary="Move to Monitor: attendance is below 95%",
        created_at=clock.now(),
    )
    meeting = CaseAction(
        case_id=first,
        kind="meeting",
        title="Meeting with parents: attendance below 95%",
        is_support=True,
        support_status="planned",
        due_on=date(2026, 11, 30),
        created_at=clock.now(),
        created_by=str(SETUP),
    )
    session.add_all([proposal, meeting])
    session.commit()
    support = record_support(session, first, "mentoring", "Weekly mentoring", SETUP, clock)
    letter = StoredLetter(
        school_id=school,
        pupil_id=id_of(one),
        letter="letter_one",
        subject="Your child's attendance",
        decided_by=str(SETUP),
        letter_date=date(2026, 11, 23),
        period_start=date(2025, 9, 3),
        as_of=date(2026, 11, 20),
        attendance_pct=93.5,
        sessions_missed=12,
        unauthorised_sessions=2,
        addressee="Ms One",
        delivery="email",
        html="<p>Dear Ms One</p>",
        decided_at=clock.now(),
    )
    session.add(letter)
    session.commit()
    return {
        **world,
        "case": first,
        "quiet_case": second,
        "proposal": id_of(proposal),
        "action": id_of(support),
        "meeting": id_of(meeting),
        "letter": id_of(letter),
        "other_case": _other_schools_case(session, clock),
    }


def case_of(session: Session, case_id: int) -> AttendanceCase:
    session.expire_all()
    found = session.get(AttendanceCase, case_id)
    assert found is not None
    return found


# More open cases for the screenshots: (given, family, year, flags, stage, offered support).
MORE = [
    ("Amira", "Khan", 7, {"send_support": True}, "monitor", False),
    ("Jake", "Osei", 8, {"fsm": True}, "monitor", False),
    ("Lily", "Evans", 8, {}, "listen", False),
    ("Noah", "Brown", 7, {"looked_after": True, "social_worker": True}, "facilitate", False),
    ("Maya", "Patel", 8, {"fsm": True}, "formalise", True),
]


def more_cases(session: Session, school: str, clock: FixedClock) -> None:
    """Cases at most stages, moved through the same services and guards as the pages."""
    for n, (given, family, year, flags, stage, offered) in enumerate(MORE, start=10):
        pupil = Pupil(
            school_id=school,
            upn=make_upn(835, 4000, 25, n),
            given_name=given,
            family_name=family,
            date_of_birth=date(2026 - 11 - year, 4, 1),
            year_group=year,
            admission_date=date(2025, 9, 3),
            **flags,
        )
        session.add(pupil)
        session.commit()
        case_id = id_of(open_case(session, id_of(pupil), SETUP, "Attendance below 95%", clock))
        if offered:
            record_support(
                session,
                case_id,
                "support_plan",
                "Attendance support plan agreed with dad",
                SETUP,
                clock,
                status="offered",
                offered_on=date(2026, 11, 2),
            )
        move_case(session, case_id, stage, SETUP, "Reviewed at the pastoral meeting", clock)
        if n % 2:
            record_key_worker(session, case_id, "Pat Pastoral, Head of Year", SETUP, clock)
