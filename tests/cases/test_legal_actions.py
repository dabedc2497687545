"""Legal actions: every limit of spec §5 on Notices to Improve and penalty notices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from cases.legal.law import ALTERNATIVE_ACTION, lookback_start
from cases.legal.notice_to_improve import (
    issue_notice_to_improve,
    notice_elements,
    review_notice_to_improve,
)
from cases.legal.payments import decide_unpaid, record_payment, review_unpaid
from cases.legal.penalty_notice import issue_penalty_notice, request_penalty_notice
from cases.legal.queries import events_of
from cases.legal.refusals import LegalActionRefused
from cases.legal.suspension import issue_suspension_penalty_notice
from cases.legal.withdrawal import withdraw
from cases.models import AttendanceCase, CaseAction, LegalAction
from school.amendments import Amender
from school.clock import FixedClock
from school.database import id_of
from school.models import Pupil
from school.policy_files import bundled_policy, load_policy
from school.register_import import RegisterFiles, import_register
from school.schools import set_up_school
from state_machines.legal_action import MACHINE, STATES, can_fire
from tests.conftest import CALENDAR
from tests.register_builder import build_register, calendar, days_between, present
from tests.register_files import pupil_row, upn, write_contacts, write_marks

D = date.fromisoformat
HEAD = "Ann Head, Headteacher"
MUM, DAD = "Mary Smith", "John Smith"
# Scenario 1's holiday: Monday 15 to Friday 19 September 2025, 10 sessions of G.
HOLIDAY = (D("2025-09-15"), D("2025-09-19"))


def week(first: str, code: str) -> dict[tuple[date, str], str]:
    """Every session of the five school days from a Monday coded `code`."""
    start = D(first)
    return {(start + timedelta(days=i), s): code for i in range(5) for s in ("AM", "PM")}


def register(
    session: Session,
    school: str,
    clock: FixedClock,
    folder: Path,
    absences: dict[int, dict[tuple[date, str], str]],
    first: str = "2025-09-08",
    last: str = "2026-02-13",
    pupils: dict[int, list[object]] | None = None,
) -> dict[int, int]:
    """Import pupils present every session but the given ones; returns pupil ids by number."""
    cal = calendar(session, school)
    patterns = {
        n: (lambda day, sess, marks=marks: marks.get((day.date, sess)) or present(day, sess))
        for n, marks in absences.items()
    }
    rows = pupils or {n: pupil_row(n) for n in absences}
    folder.mkdir(parents=True, exist_ok=True)
    # Both parents on file with parental responsibility: notices name people on file.
    write_contacts(
        folder,
        [
            row
            for n in rows
            for row in (
                [upn(n), 1, MUM, "Mother", "yes", "", "mum@example.org"],
                [upn(n), 2, DAD, "Father", "yes", "", "dad@example.org"],
            )
        ],
    )
    build_register(
        session, school, folder, clock, rows, patterns, days_between(cal, D(first), D(last))
    )
    found = session.scalars(select(Pupil).where(col(Pupil.school_id) == school)).all()
    ids = {p.upn: id_of(p) for p in found}
    return {n: ids[upn(n)] for n in rows}


def open_case(
    session: Session,
    school: str,
    pupil_id: int,
    *,
    support: Iterable[str] = ("offered",),
    not_appropriate: str | None = None,
    send_considered: bool = False,
) -> AttendanceCase:
    """An open case; `support` lists the support status of each support action in it."""
    now = datetime(2025, 9, 1, 9, tzinfo=UTC)
    case = AttendanceCase(
        school_id=school,
        pupil_id=pupil_id,
        stage="facilitate",
        opened_at=now,
        policy_version="test",
        support_not_appropriate=not_appropriate,
        send_barriers_considered_at=now if send_considered else None,
        send_barriers_considered_by="Sam Senco, SENCO" if send_considered else None,
    )
    session.add(case)
    session.flush()
    for status in support:
        session.add(
            CaseAction(
                case_id=id_of(case),
                kind="support_plan",
                title="Attendance support plan",
                is_support=True,
                support_status=status,
                offered_on=None if status == "planned" else now.date(),
                offered_by=None if status == "planned" else "Jo Bloggs, Attendance Officer",
                created_at=now,
                created_by="Jo Bloggs, Attendance Officer",
            )
        )
    session.commit()
    return case


def trail(session: Session, action: LegalAction) -> list[tuple[str, str, str]]:
    return [(e.from_state, e.to_state, e.trigger) for e in events_of(session, id_of(action))]


def assert_every_change_recorded(session: Session) -> None:
    """Each action's events chain from its opening to its current state, with actor and reason."""
    actions = session.scalars(select(LegalAction)).all()
    assert actions
    for action in actions:
        events = events_of(session, id_of(action))
        assert events[0].from_state == ""
        for before, after in pairwise(events):
            assert after.from_state == before.to_state
        assert events[-1].to_state == action.state
        assert all(e.actor and e.reason and e.trigger for e in events)


def refused(match: str) -> pytest.RaisesExc[LegalActionRefused]:
    return pytest.raises(LegalActionRefused, match=match)


def issued_pn(
    session: Session, pupil_id: int, parent: str, on: str, clock: FixedClock, received: str
) -> LegalAction:
    pn = request_penalty_notice(session, pupil_id, parent, HEAD, D(on), clock=clock)
    return issue_penalty_notice(session, id_of(pn), HEAD, D(on), D(received), clock=clock)


@pytest.fixture
def kts(session: Session, clock: FixedClock) -> str:
    """KTS Academy: its policy requires SEND barriers to be considered before any sanction."""
    policy = load_policy(bundled_policy("kts-academy"))
    set_up_school(session, "kts-academy", policy, CALENDAR.read_text(), str(CALENDAR), clock)
    session.commit()
    return "kts-academy"


# --- the machine ---------------------------------------------------------------------------------


def test_the_machine_allows_only_the_lawful_moves() -> None:
    assert set(STATES) >= {"improvement_period", "requested", "issued", "unpaid", "prosecution"}
    assert can_fire("issued", "pay_early") and can_fire("issued", "mark_unpaid")
    assert can_fire("unpaid", "prosecute") and can_fire("unpaid", "withdraw")
    # No prosecution straight from issued: the notice must first be unpaid after 28 days.
    assert not can_fire("issued", "prosecute")
    assert not can_fire("paid", "withdraw") and not can_fire("paid_early", "prosecute")
    assert not can_fire("improved", "request_penalty_notice")
    assert can_fire("not_improved", "request_penalty_notice")
    assert not MACHINE.auto_transitions


def test_lookback_is_three_calendar_years_and_handles_29_february() -> None:
    assert lookback_start(D("2026-01-16")) == D("2023-01-17")
    assert lookback_start(D("2028-02-29")) == D("2025-03-01")  # 28 Feb 2025 is out
    assert lookback_start(D("2027-02-28")) == D("2024-02-29")  # 29 Feb 2024 is still in
    assert lookback_start(D("2027-03-01")) == D("2024-03-02")


# --- scenario 1: a holiday in term time ----------------------------------------------------------


def test_scenario_1_holiday_each_parent_gets_a_first_notice_without_nti(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    """Spec §8.1: 10 G in one week, holiday refused, support not appropriate → PN, £80/£160."""
    ids = register(session, school, clock, tmp_path, {1: week("2025-09-15", "G")})
    open_case(session, school, ids[1], support=(), not_appropriate="term-time holiday refused")

    mum = request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-09-22"), clock=clock)
    dad = request_penalty_notice(session, ids[1], DAD, HEAD, D("2025-09-22"), clock=clock)
    for pn in (mum, dad):
        assert (pn.kind, pn.state, pn.sequence) == ("penalty_notice", "requested", 1)
        assert (pn.amount_if_paid_early, pn.amount) == (80, 160)
        assert pn.threshold_first_met_on == D("2025-09-19")
        assert "(G 10)" in (pn.offence_summary or "")
    assert (
        session.scalar(select(LegalAction).where(col(LegalAction.kind) == "notice_to_improve"))
        is None
    )
    issued = issue_penalty_notice(
        session, id_of(mum), HEAD, D("2025-09-24"), D("2025-09-26"), clock=clock
    )
    assert (issued.state, issued.issued_on, issued.received_on) == (
        "issued",
        D("2025-09-24"),
        D("2025-09-26"),
    )
    events = events_of(session, id_of(mum))
    assert [(e.from_state, e.to_state, e.trigger, e.actor) for e in events] == [
        ("", "requested", "request", HEAD),
        ("requested", "issued", "issue", HEAD),
    ]
    assert "support not appropriate: term-time holiday refused" in events[0].reason
    assert "£80 if paid within 21 days of receipt, £160 within 28" in events[1].reason
    assert_every_change_recorded(session)


def test_a_second_request_while_one_is_pending_is_refused(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    ids = register(session, school, clock, tmp_path, {1: week("2025-09-15", "G")})
    open_case(session, school, ids[1], support=(), not_appropriate="holiday")
    first = request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-09-22"), clock=clock)
    with refused(f"already requested \\(legal action {first.id}\\): issue or withdraw it first"):
        request_penalty_notice(session, ids[1], " mary  SMITH ", HEAD, D("2025-09-23"), clock=clock)


def test_sessions_already_penalised_cannot_found_another_notice(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    ids = register(session, school, clock, tmp_path, {1: week("2025-09-15", "G")})
    open_case(session, school, ids[1], support=(), not_appropriate="holiday")
    issued_pn(session, ids[1], MUM, "2025-09-22", clock, "2025-09-24")
    with refused("relied on by an earlier penalty notice to this parent: only 0 G, O or U"):
        request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-09-29"), clock=clock)


# --- scenario 9: a withdrawn notice does not count -----------------------------------------------


def test_scenario_9_after_a_withdrawn_notice_the_next_is_a_first(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    marks = {**week("2025-09-15", "G"), **week("2025-11-17", "O")}
    ids = register(session, school, clock, tmp_path, {1: marks})
    open_case(session, school, ids[1], support=(), not_appropriate="holiday")
    pn1 = issued_pn(session, ids[1], MUM, "2025-09-22", clock, "2025-09-24")
    pn1 = withdraw(session, id_of(pn1), HEAD, "issued in error", clock=clock, on=D("2025-09-30"))
    assert (pn1.state, pn1.withdrawn_on) == ("withdrawn", D("2025-09-30"))

    pn2 = request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-11-21"), clock=clock)
    assert (pn2.sequence, pn2.amount_if_paid_early, pn2.amount) == (1, 80, 160)
    assert trail(session, pn1)[-1] == ("issued", "withdrawn", "withdraw")


# --- scenario 11: suspension notices -------------------------------------------------------------


def test_scenario_11_suspension_notice_60_120_and_never_counted(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    """Spec §8.11: 3-day suspension, seen in a shopping centre on day 2 → £60/£120."""
    marks = {**week("2025-09-15", "G"), **week("2025-11-17", "O"), **week("2026-01-12", "O")}
    ids = register(session, school, clock, tmp_path, {1: marks})
    spn = issue_suspension_penalty_notice(
        session,
        ids[1],
        MUM,
        HEAD,
        suspension_starts_on=D("2025-10-07"),
        suspension_school_days=3,
        notice_given_on=D("2025-10-06"),
        seen_on=D("2025-10-08"),
        place="shopping centre, 11:00",
        issued_on=D("2025-10-09"),
        received_on=D("2025-10-10"),
        clock=clock,
    )
    assert (spn.kind, spn.state, spn.sequence) == ("suspension_penalty_notice", "issued", None)
    assert (spn.amount_if_paid_early, spn.amount) == (60, 120)
    assert trail(session, spn) == [("", "issued", "issue")]
    paid = record_payment(session, id_of(spn), D("2025-10-31"), 60, MUM, clock=clock)  # day 21
    assert (paid.state, paid.amount_paid) == ("paid_early", 60)

    # No support test for a suspension notice, but the attendance notices need it; then two
    # attendance notices are still possible: the suspension notice is not counted.
    open_case(session, school, ids[1], support=(), not_appropriate="holiday")
    issued_pn(session, ids[1], MUM, "2025-09-22", clock, "2025-09-24")
    second = issued_pn(session, ids[1], MUM, "2025-11-21", clock, "2025-11-24")
    assert (second.sequence, second.amount_if_paid_early, second.amount) == (2, None, 160)
    assert_every_change_recorded(session)


def test_suspension_notice_only_in_the_first_five_school_days_with_s104_notice(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    ids = register(session, school, clock, tmp_path, {1: {}})

    def attempt(days: int, seen: str, notice: str | None = "2025-10-06") -> LegalAction:
        return issue_suspension_penalty_notice(
            session,
            ids[1],
            MUM,
            HEAD,
            suspension_starts_on=D("2025-10-07"),
            suspension_school_days=days,
            notice_given_on=D(notice) if notice else None,
            seen_on=D(seen),
            place="town centre",
            issued_on=D("2025-10-20"),
            received_on=D("2025-10-21"),
            clock=clock,
        )

    with refused("2025-10-10 is not one of the first 3 school days of the suspension"):
        attempt(3, "2025-10-10")  # day 4 of a 3-day suspension
    with refused("2025-10-14 is not one of the first 5 school days"):
        attempt(10, "2025-10-14")  # day 6: alternative provision is due from then
    with refused("only once the s104 notice has been given"):
        attempt(10, "2025-10-08", notice=None)
    fifth = attempt(10, "2025-10-13")
    assert "school day 5 of a suspension from 2025-10-07" in (fifth.offence_summary or "")
    with refused("already has a penalty notice for 2025-10-13"):
        attempt(10, "2025-10-13")


# --- who and when: school age, the threshold, N codes, authorised absence ------------------------


def test_scenario_25_reception_child_is_not_of_compulsory_school_age(
    session: Session, kts: str, clock: FixedClock, tmp_path: Path
) -> None:
    """Spec §8.25, moved to this calendar: born 15 Jan 2021, 12 O in Oct 2025 (aged 4)."""
    marks = dict(list(week("2025-10-06", "O").items()) + list(week("2025-10-13", "O").items())[:2])
    child = pupil_row(1, year=0, born="2021-01-15")
    ids = register(session, kts, clock, tmp_path, {1: marks}, pupils={1: child})
    open_case(session, kts, ids[1], send_considered=True)
    message = "not of compulsory school age on 2025-10-24 \\(it starts on 2026-03-31\\)"
    with refused(message):
        request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-10-24"), clock=clock)
    with refused(message):
        issue_notice_to_improve(session, ids[1], MUM, HEAD, D("2025-10-24"), clock=clock)
    assert session.scalars(select(LegalAction)).all() == []


def test_threshold_not_met_is_refused(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    nine = dict(list(week("2025-09-15", "O").items())[:9])
    ids = register(session, school, clock, tmp_path, {1: nine})
    open_case(session, school, ids[1])
    with refused("the national threshold is not met on 2025-09-22: 9 sessions of unauthorised"):
        request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-09-22"), clock=clock)


def test_threshold_met_only_with_unresolved_n_until_recoded(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    marks = week("2025-09-15", "O")
    marks[(D("2025-09-19"), "AM")] = marks[(D("2025-09-19"), "PM")] = "N"
    ids = register(session, school, clock, tmp_path, {1: marks}, last="2025-09-26")
    open_case(session, school, ids[1])
    with refused("met on 2025-09-22 only by counting 2 N sessions .*: 8 G, O or U sessions"):
        request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-09-22"), clock=clock)

    # Five school days on, no reason was established: the N codes become O (spec §3).
    rows = [[upn(1), "2025-09-19", s, "O", ""] for s in ("AM", "PM")]
    write_marks(tmp_path, rows)
    import_register(
        session,
        school,
        RegisterFiles(marks=tmp_path / "marks.csv"),
        clock,
        by=Amender("Jo Bloggs", "Attendance Officer"),
        reason="No reason given after five school days",
    )
    pn = request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-09-26"), clock=clock)
    assert (pn.state, pn.sequence, pn.threshold_first_met_on) == ("requested", 1, D("2025-09-19"))


def test_part_time_timetable_and_illness_never_meet_the_threshold(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    """Spec §7.3, §8.15: C2 and I are authorised, so no enforcement however many there are."""
    part_time = {
        (d, "PM"): "C2"
        for start in ("2025-09-08", "2025-09-15", "2025-09-22")
        for (d, _s) in week(start, "C2")
    }
    ill = {**week("2025-09-15", "I"), **week("2025-09-22", "I")}
    ids = register(session, school, clock, tmp_path, {1: part_time, 2: ill}, last="2025-09-26")
    for n in (1, 2):
        open_case(session, school, ids[n])
        with refused("threshold is not met on 2025-09-26: 0 sessions of unauthorised absence"):
            request_penalty_notice(session, ids[n], MUM, HEAD, D("2025-09-26"), clock=clock)


# --- support and SEND ----------------------------------------------------------------------------


def test_support_must_be_offered_or_recorded_as_not_appropriate(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    ids = register(
        session, school, clock, tmp_path, {n: week("2025-09-15", "O") for n in (1, 2, 3)}
    )
    on = D("2025-09-22")
    with refused("has no open attendance case: support must be offered first"):
        request_penalty_notice(session, ids[1], MUM, HEAD, on, clock=clock)
    # Planned support is not support offered (issue 9 item 5).
    open_case(session, school, ids[1], support=("planned",))
    with refused("support has not been offered to Pupil1 Test's family \\(planned support"):
        request_penalty_notice(session, ids[1], MUM, HEAD, on, clock=clock)
    # Support refused by the family was still offered (spec §5 NTI (4): "previously refused").
    open_case(session, school, ids[2], support=("declined",))
    pn = request_penalty_notice(session, ids[2], MUM, HEAD, on, clock=clock)
    assert (
        "support offered: Attendance support plan (offered on 2025-09-01 by Jo Bloggs, "
        "Attendance Officer; declined)" in events_of(session, id_of(pn))[0].reason
    )


def test_kts_requires_send_barriers_considered_before_a_penalty_notice(
    session: Session, kts: str, clock: FixedClock, tmp_path: Path
) -> None:
    ids = register(session, kts, clock, tmp_path, {1: week("2025-09-15", "O")})
    case = open_case(session, kts, ids[1])
    with refused("policy requires SEND-related barriers to be considered before any sanction"):
        request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-09-22"), clock=clock)
    case.send_barriers_considered_at = datetime(2025, 9, 22, 10, tzinfo=UTC)
    case.send_barriers_considered_by = "Sam Senco, SENCO"
    session.add(case)
    session.commit()
    pn = request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-09-22"), clock=clock)
    assert (pn.state, pn.sequence) == ("requested", 1)


# --- the limit: per parent, per pupil, two in three years ----------------------------------------


def test_second_notice_is_160_flat_and_a_third_is_refused_with_alternative_action(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    marks = {**week("2025-09-15", "G"), **week("2025-11-17", "O"), **week("2026-01-12", "O")}
    ids = register(session, school, clock, tmp_path, {1: marks, 2: marks})
    for n in (1, 2):
        open_case(session, school, ids[n], support=(), not_appropriate="holiday")
    first = issued_pn(session, ids[1], MUM, "2025-09-22", clock, "2025-09-24")
    second = issued_pn(session, ids[1], MUM, "2025-11-21", clock, "2025-11-24")
    assert (first.sequence, first.amount_if_paid_early, first.amount) == (1, 80, 160)
    assert (second.sequence, second.amount_if_paid_early, second.amount) == (2, None, 160)
    # A second notice has no reduction: £160 even on day 1.
    with refused("£80 does not match the £160 due on 2025-11-25"):
        record_payment(session, id_of(second), D("2025-11-25"), 80, MUM, clock=clock)

    with pytest.raises(LegalActionRefused) as third:
        request_penalty_notice(session, ids[1], MUM, HEAD, D("2026-01-16"), clock=clock)
    assert third.value.reason == (
        "a third penalty notice cannot be issued to Mary Smith for this pupil: 2 earlier "
        "penalty notices (issued 2025-09-22, 2025-11-21) in the three years from 2023-01-17 to "
        "2026-01-16; take alternative action instead: " + "; ".join(ALTERNATIVE_ACTION)
    )
    assert third.value.alternatives == ALTERNATIVE_ACTION
    assert "education supervision order" in third.value.alternatives[0]

    # Per parent: the mother's two notices do not stop one to the father.
    dad = request_penalty_notice(session, ids[1], DAD, HEAD, D("2026-01-16"), clock=clock)
    assert (dad.sequence, dad.amount_if_paid_early) == (1, 80)
    # Per pupil: the same mother's first notice for a brother or sister.
    sibling = request_penalty_notice(session, ids[2], MUM, HEAD, D("2026-01-16"), clock=clock)
    assert (sibling.sequence, sibling.amount_if_paid_early) == (1, 80)
    assert_every_change_recorded(session)


def _earlier_notice(session: Session, pupil_id: int, issued: str) -> None:
    """A notice from the parent's earlier school or LA (spec §5: check the last 3 years)."""
    session.add(
        LegalAction(
            school_id="emmanuel-middle",
            pupil_id=pupil_id,
            parent_name=MUM,
            kind="penalty_notice",
            state="paid",
            sequence=1,
            issued_on=D(issued),
            received_on=D(issued),
            amount=160,
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            created_by="previous LA",
        )
    )
    session.commit()


def test_a_third_notice_is_allowed_once_three_years_have_passed(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    marks = {**week("2026-01-05", "O"), **week("2026-01-12", "O")}  # 5 Jan is an INSET day
    ids = register(session, school, clock, tmp_path, {1: marks})
    open_case(session, school, ids[1])
    _earlier_notice(session, ids[1], "2023-01-16")
    _earlier_notice(session, ids[1], "2023-06-01")
    message = (
        "2 earlier penalty notices \\(issued 2023-01-16, 2023-06-01\\) in the three years from"
    )
    with refused(message + " 2023-01-16 to 2026-01-15"):
        request_penalty_notice(session, ids[1], MUM, HEAD, D("2026-01-15"), clock=clock)
    # On 16 January 2026 the notice of 16 January 2023 is no longer in the three years.
    pn = request_penalty_notice(session, ids[1], MUM, HEAD, D("2026-01-16"), clock=clock)
    assert (pn.sequence, pn.amount_if_paid_early, pn.amount) == (2, None, 160)


def test_the_limit_is_counted_again_on_the_issue_date(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    """Requested as a second notice; issued the day the earlier one leaves the three years."""
    marks = {**week("2026-01-05", "O"), **week("2026-01-12", "O")}
    ids = register(session, school, clock, tmp_path, {1: marks})
    open_case(session, school, ids[1])
    _earlier_notice(session, ids[1], "2023-01-16")
    pn = request_penalty_notice(session, ids[1], MUM, HEAD, D("2026-01-15"), clock=clock)
    assert (pn.sequence, pn.amount_if_paid_early, pn.amount) == (2, None, 160)
    pn = issue_penalty_notice(
        session, id_of(pn), HEAD, D("2026-01-16"), D("2026-01-19"), clock=clock
    )
    assert (pn.sequence, pn.amount_if_paid_early, pn.amount) == (1, 80, 160)
    assert "first penalty notice in three years" in events_of(session, id_of(pn))[-1].reason


def test_the_look_back_across_29_february(session: Session, school: str, tmp_path: Path) -> None:
    clock = FixedClock(datetime(2027, 3, 5, 12, tzinfo=UTC))
    ids = register(
        session,
        school,
        clock,
        tmp_path,
        {1: week("2027-02-22", "O")},
        first="2027-02-22",
        last="2027-03-05",
    )
    open_case(session, school, ids[1])
    _earlier_notice(session, ids[1], "2024-02-29")
    _earlier_notice(session, ids[1], "2024-06-03")
    with refused("2 earlier penalty notices .* from 2024-02-29 to 2027-02-28"):
        request_penalty_notice(session, ids[1], MUM, HEAD, D("2027-02-28"), clock=clock)
    pn = request_penalty_notice(session, ids[1], MUM, HEAD, D("2027-03-01"), clock=clock)
    assert pn.sequence == 2


# --- Notices to Improve --------------------------------------------------------------------------


def test_nti_period_must_be_3_to_6_weeks_and_holds_the_eight_elements(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    ids = register(session, school, clock, tmp_path, {1: week("2025-09-15", "O")})
    case = open_case(session, school, ids[1], support=("in_place", "declined", "planned"))
    on = D("2025-09-22")
    for weeks in (2, 7):
        with refused(f"an improvement period of {weeks} weeks is not allowed: it must be 3 to 6"):
            issue_notice_to_improve(session, ids[1], MUM, HEAD, on, weeks, clock=clock)
    nti = issue_notice_to_improve(session, ids[1], MUM, HEAD, on, clock=clock)  # policy: 4
    assert (nti.kind, nti.state, nti.case_id) == (
        "notice_to_improve",
        "improvement_period",
        case.id,
    )
    assert (nti.issued_on, nti.improvement_period_end) == (on, D("2025-10-20"))
    elements = notice_elements(nti)
    assert list(elements) == [
        "record",
        "duty",
        "support_so_far",
        "further_support",
        "warning",
        "improvement_period",
        "sufficient_improvement",
        "early_grounds",
    ]
    assert elements["record"].startswith("10 sessions of unauthorised absence (O 10)")
    assert "section 7 of the Education Act 1996" in elements["duty"]
    assert elements["support_so_far"] == "Attendance support plan"
    assert "refused, still available: Attendance support plan" in elements["further_support"]
    assert elements["improvement_period"] == "4 weeks, from 2025-09-23 to 2025-10-20."
    assert trail(session, nti) == [("", "improvement_period", "issue_notice_to_improve")]
    with refused("already has a Notice to Improve .* until 2025-10-20"):
        issue_notice_to_improve(session, ids[1], MUM, HEAD, on, 6, clock=clock)
    six = issue_notice_to_improve(session, ids[1], DAD, HEAD, on, 6, clock=clock)
    assert six.improvement_period_end == D("2025-11-03")


def test_early_penalty_notice_only_after_clear_failure_and_the_parent_told(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    marks = {**week("2025-09-15", "O"), (D("2025-09-25"), "AM"): "O"}
    ids = register(session, school, clock, tmp_path, {1: marks})
    open_case(session, school, ids[1])
    nti = issue_notice_to_improve(session, ids[1], MUM, HEAD, D("2025-09-22"), clock=clock)
    nti_id = id_of(nti)
    with refused("has not clearly failed"):
        review_notice_to_improve(session, nti_id, HEAD, D("2025-09-24"), clock=clock)
    with refused("in its improvement period until 2025-10-20: review it first"):
        request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-09-26"), clock=clock)
    with refused("the parent must be told before a penalty notice is issued"):
        review_notice_to_improve(session, nti_id, HEAD, D("2025-09-26"), clock=clock)
    with refused("must be after improvement failed \\(2025-09-25\\)"):
        review_notice_to_improve(
            session, nti_id, HEAD, D("2025-09-26"), clock=clock, parent_told_on=D("2025-09-24")
        )
    failed = review_notice_to_improve(
        session, nti_id, HEAD, D("2025-09-26"), clock=clock, parent_told_on=D("2025-09-26")
    )
    assert failed.state == "not_improved"
    pn = request_penalty_notice(session, ids[1], MUM, HEAD, D("2025-09-29"), clock=clock)
    assert (pn.state, pn.sequence) == ("requested", 1)
    session.refresh(nti)
    assert nti.state == "penalty_requested"
    events = events_of(session, nti_id)
    assert [(e.from_state, e.to_state, e.trigger) for e in events] == [
        ("", "improvement_period", "issue_notice_to_improve"),
        ("improvement_period", "not_improved", "fail_early"),
        ("not_improved", "penalty_requested", "request_penalty_notice"),
    ]
    assert "O on 2025-09-25 AM" in events[1].reason
    assert "parent told on 2025-09-26" in events[1].reason
    assert f"legal action {pn.id}" in events[2].reason
    assert_every_change_recorded(session)


def test_nti_review_at_the_end_improved_or_not_with_staff_judgement(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    pending = {**week("2025-09-15", "O"), (D("2025-10-01"), "AM"): "N"}
    ids = register(session, school, clock, tmp_path, {1: week("2025-09-15", "O"), 2: pending})
    for n in (1, 2):
        open_case(session, school, ids[n])
    clean = issue_notice_to_improve(session, ids[1], MUM, HEAD, D("2025-09-22"), 3, clock=clock)
    with refused("judge it at the end of the period"):
        review_notice_to_improve(session, id_of(clean), HEAD, D("2025-10-10"), clock=clock)
    with refused("runs until 2025-10-13: it can be judged improved only at its end"):
        review_notice_to_improve(
            session, id_of(clean), HEAD, D("2025-10-10"), clock=clock, improved=True, reason="ok"
        )
    clean = review_notice_to_improve(session, id_of(clean), HEAD, D("2025-10-13"), clock=clock)
    assert clean.state == "improved"
    assert trail(session, clean)[-1] == ("improvement_period", "improved", "review_improved")

    nti = issue_notice_to_improve(session, ids[2], MUM, HEAD, D("2025-09-22"), 3, clock=clock)
    with refused("1 N sessions .* recode them first, or record a staff judgement"):
        review_notice_to_improve(session, id_of(nti), HEAD, D("2025-10-13"), clock=clock)
    with refused("give a reason for a staff judgement"):
        review_notice_to_improve(
            session, id_of(nti), HEAD, D("2025-10-13"), clock=clock, improved=False
        )
    judged = review_notice_to_improve(
        session,
        id_of(nti),
        HEAD,
        D("2025-10-13"),
        clock=clock,
        improved=False,
        reason="parent confirmed a day trip",
    )
    assert judged.state == "not_improved"
    last = events_of(session, id_of(nti))[-1]
    assert (last.trigger, last.actor) == ("review_not_improved", HEAD)
    assert "staff judgement: parent confirmed a day trip" in last.reason
    assert_every_change_recorded(session)


# --- payments and non-payment --------------------------------------------------------------------


def test_payments_early_on_day_21_full_on_day_28(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    ids = register(session, school, clock, tmp_path, {1: week("2025-09-15", "G")})
    open_case(session, school, ids[1], support=(), not_appropriate="holiday")
    mum = issued_pn(session, ids[1], MUM, "2025-09-22", clock, "2025-09-26")
    dad = issued_pn(session, ids[1], DAD, "2025-09-22", clock, "2025-09-26")
    with refused("£160 does not match the £80 due on 2025-10-17 \\(day 21"):
        record_payment(session, id_of(mum), D("2025-10-17"), 160, MUM, clock=clock)
    paid = record_payment(session, id_of(mum), D("2025-10-17"), 80, MUM, clock=clock)
    assert (paid.state, paid.paid_on, paid.amount_paid) == ("paid_early", D("2025-10-17"), 80)
    with refused("£80 does not match the £160 due on 2025-10-18 \\(day 22"):
        record_payment(session, id_of(dad), D("2025-10-18"), 80, DAD, clock=clock)
    paid = record_payment(session, id_of(dad), D("2025-10-24"), 160, DAD, clock=clock)
    assert (paid.state, paid.paid_on, paid.amount_paid) == ("paid", D("2025-10-24"), 160)
    assert trail(session, paid) == [
        ("", "requested", "request"),
        ("requested", "issued", "issue"),
        ("issued", "paid", "pay"),
    ]
    assert trail(session, mum)[-1] == ("issued", "paid_early", "pay_early")
    with refused("is paid: withdraw is not possible from there"):
        withdraw(session, id_of(dad), HEAD, "changed our mind", clock=clock)
    assert_every_change_recorded(session)


def test_unpaid_after_28_days_then_a_decision_never_before(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    marks = {**week("2025-09-15", "G"), **week("2025-11-17", "O")}
    ids = register(session, school, clock, tmp_path, {1: marks})
    open_case(session, school, ids[1], support=(), not_appropriate="holiday")
    mum = issued_pn(session, ids[1], MUM, "2025-09-22", clock, "2025-09-26")
    dad = issued_pn(session, ids[1], DAD, "2025-09-22", clock, "2025-09-26")
    with refused("no payment can be accepted on 2025-10-25: the 28 days for payment ended on"):
        record_payment(session, id_of(mum), D("2025-10-25"), 160, MUM, clock=clock)
    with refused("run until 2025-10-24: no decision on non-payment before then"):
        review_unpaid(session, id_of(mum), D("2025-10-24"), clock=clock)
    with refused("run until 2025-10-24: no decision on non-payment before then"):
        decide_unpaid(
            session, id_of(mum), "prosecute", HEAD, "no payment", clock=clock, on=D("2025-10-24")
        )
    unpaid = review_unpaid(session, id_of(mum), D("2025-10-25"), clock=clock)
    assert unpaid.state == "unpaid"
    with refused("is unpaid: pay is not possible from there"):
        record_payment(session, id_of(mum), D("2025-10-24"), 160, MUM, clock=clock)
    la = "Lee Officer, LA attendance officer"
    on = D("2025-10-27")
    with refused("must consider an education supervision order"):
        decide_unpaid(session, id_of(mum), "prosecute", la, "not paid", clock=clock, on=on)
    with refused("must consider an education supervision order"):
        decide_unpaid(
            session, id_of(mum), "prosecute", la, "not paid", clock=clock, on=on, eso_considered=" "
        )
    eso = "Family engaged with an ESO in 2024 without effect"
    prosecuted = decide_unpaid(
        session, id_of(mum), "prosecute", la, "not paid", clock=clock, on=on, eso_considered=eso
    )
    assert prosecuted.state == "prosecution"
    (last,) = events_of(session, id_of(prosecuted))[-1:]
    assert last.details == {"eso_considered": eso, "decided_on": "2025-10-27"}
    assert f"considered (EA 1996 s447) and not pursued: {eso}" in last.reason
    assert trail(session, prosecuted)[-2:] == [
        ("issued", "unpaid", "mark_unpaid"),
        ("unpaid", "prosecution", "prosecute"),
    ]
    # Deciding on an issued notice past its 28 days records it unpaid first.
    withdrawn = decide_unpaid(session, id_of(dad), "withdraw", la, "abroad", clock=clock, on=on)
    assert (withdrawn.state, withdrawn.withdrawn_on) == ("withdrawn", on)
    assert trail(session, withdrawn)[-2:] == [
        ("issued", "unpaid", "mark_unpaid"),
        ("unpaid", "withdrawn", "withdraw"),
    ]
    with refused("is withdrawn: prosecute is not possible"):
        decide_unpaid(session, id_of(dad), "prosecute", la, "changed", clock=clock, on=on)
    # A prosecuted notice still counts towards the limit; a withdrawn one does not.
    again = D("2025-11-21")
    assert request_penalty_notice(session, ids[1], MUM, HEAD, again, clock=clock).sequence == 2
    assert request_penalty_notice(session, ids[1], DAD, HEAD, again, clock=clock).sequence == 1
    assert_every_change_recorded(session)


def test_refusals_write_nothing_and_dates_cannot_be_in_the_future(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    ids = register(session, school, clock, tmp_path, {1: week("2025-09-15", "G")})
    open_case(session, school, ids[1], support=(), not_appropriate="holiday")
    with refused("the request date \\(2026-07-23\\) cannot be later than today \\(2026-07-22\\)"):
        request_penalty_notice(session, ids[1], MUM, HEAD, D("2026-07-23"), clock=clock)
    with refused("say who is acting"):
        request_penalty_notice(session, ids[1], MUM, " ", D("2025-09-22"), clock=clock)
    assert session.scalars(select(LegalAction)).all() == []
