"""Duties to the LA as tasks with deadlines: spec §3, §4, §7.1 and scenarios 7, 19, 25."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from cases.duties.deletion import JointEnquiries, confirm_deletion_ground
from cases.duties.illness import record_expected_illness
from cases.duties.rules import DutyRefused
from cases.duties.service import complete_duty, dismiss_duty, open_duties, review_la_duties
from cases.models import LaDuty
from chase.models import ReportedAbsence
from school.amendments import Amender
from school.clock import FixedClock
from school.database import id_of
from school.models import Pupil
from school.policy_files import bundled_policy, parse_policy
from school.register_import import RegisterFiles, import_register
from school.schools import load_school, set_up_school
from tests.conftest import CALENDAR
from tests.register_builder import build_register, calendar, days_between, present
from tests.register_files import pupil_row as any_pupil_row
from tests.register_files import upn, write_marks

D = date.fromisoformat
OFFICER = Amender("Jo Bloggs", "Attendance Officer")
STAFF = "Jo Bloggs, Attendance Officer"
JOINT_ENQUIRIES = (
    "Home visits on 13 and 14 Oct with the LA's CME officer; neighbours, the last known "
    "school and the GP contacted jointly; nobody knows where the family is."
)


def pupil_row(n: int, **given: object) -> list[object]:
    """A pupil who joined Year 5, Emmanuel Middle's entry year, on the first school day of the
    year: a standard transition, so no new-pupil return crowds these tests."""
    given.setdefault("year", 5)
    return any_pupil_row(n, **given)  # type: ignore[arg-type]


def at(day: str) -> FixedClock:
    """The clock at 5pm London time on a day, when the daily review runs."""
    return FixedClock(datetime.fromisoformat(f"{day}T16:00:00+00:00"))


def review(session: Session, school: str, day: str) -> list[LaDuty]:
    return review_la_duties(session, load_school(session, school), D(day), at(day))


def pupil_id(session: Session, n: int) -> int:
    return id_of(session.scalars(select(Pupil).where(col(Pupil.upn) == upn(n))).one())


def expect_illness(
    session: Session, school: str, n: int, first: str, days: int, reason: str | None, on: str
) -> list[LaDuty]:
    """Staff record on `on` that pupil n will be off sick `days` school days from `first`."""
    pupil = session.scalars(select(Pupil).where(col(Pupil.upn) == upn(n))).one()
    loaded = load_school(session, school)
    return record_expected_illness(session, loaded, pupil, D(first), days, reason, STAFF, at(on))[1]


def confirm(session: Session, duty_id: int, what: str, on: str, *, school_by: str = STAFF):
    """Confirm Ground I on `on` after joint enquiries that concluded that day."""
    joint = JointEnquiries(school_by, "Sam Roe, CME Officer", D(on), what)
    return confirm_deletion_ground(session, duty_id, joint, at(on))


def duties(session: Session, kind: str) -> list[LaDuty]:
    session.expire_all()
    return list(
        session.scalars(
            select(LaDuty).where(col(LaDuty.kind) == kind).order_by(col(LaDuty.trigger_key))
        )
    )


def of_kind(raised: list[LaDuty], kind: str) -> list[LaDuty]:
    return [d for d in raised if d.kind == kind]


def between(first: str, last: str, code: str):
    """A pattern: the code on school days from first to last, present otherwise."""
    return lambda day, sess: code if D(first) <= day.date <= D(last) else present(day, sess)


# --- recoding N (spec §3, §8.7) -----------------------------------------------------------


def test_scenario_7_overdue_n_is_recoded_and_closed_by_the_register(
    session, school, tmp_path: Path
) -> None:
    """N on Monday AM: not overdue on Friday, overdue at the end of the following Monday."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-09-19"))
    monday_n = lambda day, sess: (
        "N" if (day.date, sess) == (D("2025-09-08"), "AM") else present(day, sess)
    )
    build_register(
        session,
        school,
        tmp_path / "register",
        at("2025-09-19"),
        {1: pupil_row(1), 2: pupil_row(2)},
        {1: monday_n, 2: monday_n},
        days,
    )
    # Pupil 2's parent gave a reason the office has not yet put in the register.
    session.add(
        ReportedAbsence(
            pupil_id=pupil_id(session, 2),
            date=D("2025-09-08"),
            session="AM",
            reason="parent phoned: sickness bug",
            suggested_code="I",
            source="staff",
            recorded_by=STAFF,
            recorded_at=at("2025-09-08").now(),
        )
    )
    session.commit()

    assert of_kind(review(session, school, "2025-09-12"), "recode_n") == []
    raised = of_kind(review(session, school, "2025-09-15"), "recode_n")
    assert [(d.pupil_id, d.trigger_key) for d in raised] == [
        (pupil_id(session, 1), "2025-09-08 AM"),
        (pupil_id(session, 2), "2025-09-08 AM"),
    ]
    first, second = raised
    assert first.due_on == D("2025-09-15")  # the 5th school day after the session
    assert first.details["proposed_code"] == "O" and "propose O" in first.summary
    assert second.details["proposed_code"] == "I" and "sickness bug" in second.summary

    # Still N: the register must be corrected, not the task ticked off or waved away.
    with pytest.raises(DutyRefused, match="still has N"):
        complete_duty(session, id_of(first), STAFF, "done", clock=at("2025-09-15"))
    with pytest.raises(DutyRefused, match="5 school days"):
        dismiss_duty(session, id_of(first), STAFF, "not needed", clock=at("2025-09-15"))

    folder = tmp_path / "amend"
    folder.mkdir()
    write_marks(folder, [[upn(1), "2025-09-08", "AM", "O", ""]])
    import_register(
        session,
        school,
        RegisterFiles(marks=folder / "marks.csv"),
        at("2025-09-16"),
        by=OFFICER,
        reason="No reason established within 5 school days",
    )
    assert review(session, school, "2025-09-16") == []
    by_pupil = {d.pupil_id: d for d in duties(session, "recode_n")}
    closed, still_open = by_pupil[pupil_id(session, 1)], by_pupil[pupil_id(session, 2)]
    assert (closed.status, closed.done_by, closed.details["recoded_to"]) == (
        "done",
        "register",
        "O",
    )
    assert still_open.status == "open"
    assert [d.id for d in open_duties(session, school)] == [still_open.id]


def test_n_overdue_counts_school_days_over_an_inset_day(session, school, tmp_path) -> None:
    """Friday 14 Nov 2025 is INSET: the N of Monday 10th is due by Tuesday 18th."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-11-10"), D("2025-11-18"))
    pattern = lambda day, sess: (
        "N" if (day.date, sess) == (D("2025-11-10"), "PM") else present(day, sess)
    )
    build_register(
        session, school, tmp_path, at("2025-11-18"), {1: pupil_row(1)}, {1: pattern}, days
    )
    assert of_kind(review(session, school, "2025-11-17"), "recode_n") == []
    (duty,) = of_kind(review(session, school, "2025-11-18"), "recode_n")
    assert (duty.trigger_key, duty.due_on) == ("2025-11-10 PM", D("2025-11-18"))


# --- continuous unauthorised absence (spec §4 row 1, §7.1, §8.25) ----------------------------


def test_ten_school_days_across_a_weekend_and_an_inset_day_raise_a_return(
    session, school, tmp_path
) -> None:
    """Mon 10 Nov to Mon 24 Nov 2025 is 10 school days: weekends and INSET (14 Nov) skipped."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-11-03"), D("2025-12-12"))

    def truant(day, sess):
        if D("2025-11-10") <= day.date <= D("2025-11-24") or day.date >= D("2025-11-26"):
            return "O" if day.date.weekday() else "G"
        return present(day, sess)

    build_register(
        session, school, tmp_path, at("2025-12-12"), {1: pupil_row(1)}, {1: truant}, days
    )
    assert of_kind(review(session, school, "2025-11-21"), "continuous_absence_return") == []
    (ret,) = of_kind(review(session, school, "2025-11-24"), "continuous_absence_return")
    assert ret.trigger_key == "2025-11-10"
    assert ret.due_on == D("2025-11-25")  # at intervals agreed with the LA: next school day
    assert ret.details["school_days"] == 10 and ret.status == "open"
    assert "10 continuous school days" in ret.summary and "Pupil1 Test" in ret.summary
    # The same run is returned once however long it lasts ...
    assert of_kind(review(session, school, "2025-11-24"), "continuous_absence_return") == []
    # ... and a new run after the pupil attended (25 Nov) is a new return at its 10th day.
    assert of_kind(review(session, school, "2025-12-08"), "continuous_absence_return") == []
    (again,) = of_kind(review(session, school, "2025-12-09"), "continuous_absence_return")
    assert again.trigger_key == "2025-11-26"


def test_scenario_25_no_attendance_return_below_compulsory_school_age(
    session, school, tmp_path
) -> None:
    """A reception child born 15 Jan 2021 is not CSA until 31 Mar 2026: no LA return."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-09-19"))
    pupils = {
        1: pupil_row(1, year=8),
        2: pupil_row(2, year=0, born="2021-01-15"),
    }
    absent = lambda day, sess: "O"
    build_register(
        session, school, tmp_path, at("2025-09-19"), pupils, {1: absent, 2: absent}, days
    )
    raised = of_kind(review(session, school, "2025-09-19"), "continuous_absence_return")
    assert [d.pupil_id for d in raised] == [pupil_id(session, 1)]


# --- sickness (spec §4 row 2, §8.19) ------------------------------------------------------


def test_scenario_19_sickness_return_now_for_illness_expected_to_reach_15_days(
    session, school, tmp_path
) -> None:
    """8 days of I in October and surgery needing 7 more in January → the return now."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-10-01"), D("2025-11-07"))
    build_register(
        session,
        school,
        tmp_path,
        at("2025-11-07"),
        {1: pupil_row(1)},
        {1: between("2025-10-06", "2025-10-15", "I")},
        days,
    )
    assert len(days_between(cal, D("2025-10-06"), D("2025-10-15"))) == 8
    assert of_kind(review(session, school, "2025-10-24"), "sickness_return") == []

    with pytest.raises(DutyRefused, match="reasonable grounds"):
        expect_illness(session, school, 1, "2026-01-12", 7, " ", "2025-10-24")
    (ret,) = expect_illness(
        session, school, 1, "2026-01-12", 7, "hip surgery in January", "2025-10-24"
    )
    assert ret.trigger_key == "2026-01-12"  # the expected period of sickness
    assert ret.due_on == D("2025-10-24")  # now, not when the 15th I is in the register
    assert ret.details["illness_school_days"] == 8 and ret.details["expected_total"] == 15
    assert "7 expected from Mon 12 Jan 2026" in ret.summary
    assert of_kind(review(session, school, "2025-10-24"), "sickness_return") == []
    # One return per period: later reviews raise nothing new, and the record is not a task.
    assert of_kind(review(session, school, "2025-11-07"), "sickness_return") == []
    assert [d.kind for d in open_duties(session, school)] == ["sickness_return"]


def test_fifteen_days_of_illness_raise_one_return_per_continuous_period(
    session, school, tmp_path
) -> None:
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-11-14"))

    def ill(day, sess):
        # 16 school days from 15 Sep to 6 Oct, then 10 and 11 Nov.
        if D("2025-09-15") <= day.date <= D("2025-10-06"):
            return "I"
        if D("2025-11-10") <= day.date <= D("2025-11-11"):
            return "I"
        return present(day, sess)

    build_register(session, school, tmp_path, at("2025-11-14"), {1: pupil_row(1)}, {1: ill}, days)
    assert len(days_between(cal, D("2025-09-15"), D("2025-10-03"))) == 15
    assert of_kind(review(session, school, "2025-10-02"), "sickness_return") == []
    (first,) = of_kind(review(session, school, "2025-10-03"), "sickness_return")
    assert (first.trigger_key, first.due_on) == ("2025-09-15", D("2025-10-03"))
    assert of_kind(review(session, school, "2025-10-06"), "sickness_return") == []
    assert of_kind(review(session, school, "2025-10-07"), "sickness_return") == []
    (second,) = of_kind(review(session, school, "2025-11-10"), "sickness_return")
    assert second.trigger_key == "2025-11-10"
    assert second.details["illness_school_days"] == 17
    assert of_kind(review(session, school, "2025-11-11"), "sickness_return") == []


# --- EHC plans (spec §4 row 3) --------------------------------------------------------------


def test_ehcp_pupil_persistently_absent_informs_the_la_once_per_half_term(
    session, school, tmp_path
) -> None:
    """No percentage in Emmanuel's policy: persistent absence is the fall."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-11-14"))
    mondays_off = lambda day, sess: "I" if day.date.weekday() == 0 else present(day, sess)
    pupils = {
        1: pupil_row(1, flags="ehcp"),
        2: pupil_row(2, flags="ehcp"),
        3: pupil_row(3),
    }
    patterns = {1: mondays_off, 2: present, 3: mondays_off}
    build_register(session, school, tmp_path, at("2025-11-14"), pupils, patterns, days)

    (duty,) = of_kind(review(session, school, "2025-10-03"), "ehcp_inform_la")
    assert duty.pupil_id == pupil_id(session, 1)
    assert (duty.trigger_key, duty.due_on) == ("2025-09-03", D("2025-10-06"))
    assert "EHC plan" in duty.summary
    assert of_kind(review(session, school, "2025-10-10"), "ehcp_inform_la") == []
    (next_half_term,) = of_kind(review(session, school, "2025-11-07"), "ehcp_inform_la")
    assert next_half_term.trigger_key == "2025-11-03"
    assert next_half_term.pupil_id == pupil_id(session, 1)


def test_ehcp_threshold_from_the_policy(session, school, tmp_path) -> None:
    """With ehcp_attendance_below_pct = 95, 92.5% attendance (not PA) informs the LA."""
    text = bundled_policy(school).read_text()
    text = text.replace(
        "ehcp_inform_la = true", "ehcp_inform_la = true\nehcp_attendance_below_pct = 95"
    )
    set_up_school(
        session,
        school,
        parse_policy(text, "test policy"),
        CALENDAR.read_text(),
        str(CALENDAR),
        at("2025-09-01"),
    )
    session.commit()
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-10-03"))
    three_off = lambda day, sess: (
        "I" if sess == "AM" and day.date <= D("2025-09-10") else present(day, sess)
    )
    one_off = lambda day, sess: (
        "I" if sess == "AM" and day.date == D("2025-09-08") else present(day, sess)
    )
    pupils = {1: pupil_row(1, flags="ehcp"), 2: pupil_row(2, flags="ehcp")}
    build_register(
        session, school, tmp_path, at("2025-10-03"), pupils, {1: three_off, 2: one_off}, days
    )
    (duty,) = of_kind(review(session, school, "2025-10-03"), "ehcp_inform_la")
    assert duty.pupil_id == pupil_id(session, 1)
    assert duty.details["attendance_pct"] == pytest.approx(92.5)
    assert "below 95%" in duty.summary


# --- the 20-school-day deletion ground (spec §4 "Ground I") -----------------------------------


def test_deletion_ground_is_proposed_only_when_every_condition_holds(
    session, school, tmp_path
) -> None:
    """20 school days (15 Sep to 10 Oct 2025) all G, N or O → proposal; anything less → none."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-10-13"))
    assert len(days_between(cal, D("2025-09-15"), D("2025-10-10"))) == 20

    def gone(first: str = "2025-09-15", odd: tuple[str, str, str] | None = None):
        def pattern(day, sess):
            if odd and (day.date, sess) == (D(odd[0]), odd[1]):
                return odd[2]
            if day.date >= D(first):
                return "G" if day.date < D("2025-09-22") else "N" if sess == "AM" else "O"
            return present(day, sess)

        return pattern

    pupils = {n: pupil_row(n) for n in range(1, 6)}
    patterns = {
        1: gone(),
        2: gone(odd=("2025-09-30", "PM", "I")),  # one session of illness
        3: gone(first="2025-09-16"),  # 19 school days by 10 Oct
        4: gone(odd=("2025-09-15", "AM", "U")),  # arrived after the register closed
        5: gone(),  # staff recorded sickness grounds
    }
    build_register(session, school, tmp_path, at("2025-10-13"), pupils, patterns, days)
    expect_illness(session, school, 5, "2025-10-01", 10, "anxiety: CAMHS letter", "2025-10-01")

    assert of_kind(review(session, school, "2025-10-09"), "deletion_ground") == []  # 19 days
    (proposal,) = of_kind(review(session, school, "2025-10-10"), "deletion_ground")
    assert proposal.pupil_id == pupil_id(session, 1)
    assert proposal.trigger_key == "2025-09-15" and proposal.status == "open"
    assert proposal.summary.startswith(
        "proposal: the 20-school-day ground may apply — confirm only if"
    )
    assert "jointly making reasonable enquiries" in proposal.summary
    assert proposal.details["codes"] == {"G": 10, "N": 15, "O": 15}
    assert proposal.details["conditions"]["4 joint reasonable enquiries by school and LA"] == (
        "staff must confirm"
    )
    # The run goes on: pupil 1 is not proposed again; pupil 3 reaches 20 days on Monday, and so
    # does pupil 4, seen on the 15th (U: on site after the register closed), whose run of
    # absence starts the day after.
    monday = of_kind(review(session, school, "2025-10-13"), "deletion_ground")
    assert [(d.pupil_id, d.trigger_key) for d in monday] == [
        (pupil_id(session, 3), "2025-09-16"),
        (pupil_id(session, 4), "2025-09-16"),
    ]

    # Only through confirm-deletion, and only with the joint enquiries described.
    with pytest.raises(DutyRefused, match="confirm-deletion"):
        complete_duty(session, id_of(proposal), STAFF, "deleted", clock=at("2025-10-14"))
    for note in ["", "   ", "LA told"]:
        with pytest.raises(DutyRefused, match="jointly"):
            confirm(session, id_of(proposal), note, "2025-10-14")
    with pytest.raises(DutyRefused, match="school"):
        confirm(session, id_of(proposal), JOINT_ENQUIRIES, "2025-10-14", school_by=" ")
    recode = duties(session, "recode_n")[0]
    with pytest.raises(DutyRefused, match="not a deletion ground"):
        confirm(session, id_of(recode), JOINT_ENQUIRIES, "2025-10-14")
    assert duties(session, "deletion_ground")[0].status == "open"
    assert duties(session, "deletion_return") == []  # nothing before the confirmation

    confirmed, raised = confirm(session, id_of(proposal), JOINT_ENQUIRIES, "2025-10-14")
    assert (confirmed.status, confirmed.done_by) == ("done", STAFF)
    assert confirmed.details["joint_enquiries"] == JOINT_ENQUIRIES
    assert confirmed.details["la_by"] == "Sam Roe, CME Officer"
    assert [(d.kind, d.due_on, d.details["ground"]) for d in raised] == [
        ("deletion_return", D("2025-10-14"), "ground_i")
    ]  # no social worker: no notification
    with pytest.raises(DutyRefused, match="already done"):
        confirm(session, id_of(proposal), JOINT_ENQUIRIES, "2025-10-14")


def test_deletion_ground_confirmation_refused_once_the_pupil_turns_up(
    session, school, tmp_path
) -> None:
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-10-10"))
    build_register(
        session,
        school,
        tmp_path / "register",
        at("2025-10-10"),
        {1: pupil_row(1)},
        {1: between("2025-09-15", "2025-10-10", "O")},
        days,
    )
    (proposal,) = of_kind(review(session, school, "2025-10-10"), "deletion_ground")
    folder = tmp_path / "monday"
    folder.mkdir()
    write_marks(folder, [[upn(1), "2025-10-13", "AM", "/", ""]])
    import_register(session, school, RegisterFiles(marks=folder / "marks.csv"), at("2025-10-13"))
    with pytest.raises(DutyRefused, match="every session"):
        confirm(session, id_of(proposal), JOINT_ENQUIRIES, "2025-10-13")
    dismissed = dismiss_duty(
        session, id_of(proposal), STAFF, "pupil returned on 13 Oct", clock=at("2025-10-13")
    )
    assert (dismissed.status, dismissed.details["dismissed_reason"]) == (
        "dismissed",
        "pupil returned on 13 Oct",
    )


# --- the review as a whole --------------------------------------------------------------------


def test_review_is_idempotent_and_tasks_need_a_name_and_reason(session, school, tmp_path) -> None:
    """Every kind raised on one day; a second review raises none of them again."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-10-10"))
    pupils = {1: pupil_row(1, flags="ehcp"), 2: pupil_row(2)}
    patterns = {
        1: between("2025-09-15", "2025-10-10", "N"),
        2: between("2025-09-15", "2025-10-10", "I"),
    }
    build_register(session, school, tmp_path, at("2025-10-10"), pupils, patterns, days)

    first = review(session, school, "2025-10-10")
    kinds = sorted({d.kind for d in first})
    assert kinds == [
        "continuous_absence_return",
        "deletion_ground",
        "ehcp_inform_la",
        "recode_n",
        "sickness_return",
    ]
    stored = session.execute(select(func.count()).select_from(LaDuty)).scalar_one()
    assert stored == len(first)
    assert review(session, school, "2025-10-10") == []
    assert session.execute(select(func.count()).select_from(LaDuty)).scalar_one() == stored

    sickness = of_kind(first, "sickness_return")[0]
    with pytest.raises(DutyRefused, match="why"):
        dismiss_duty(session, id_of(sickness), STAFF, " ")
    with pytest.raises(DutyRefused, match="name"):
        complete_duty(session, id_of(sickness), "", None)
    done = complete_duty(
        session, id_of(sickness), STAFF, "return emailed to the LA", clock=at("2025-10-10")
    )
    assert (done.status, done.details["note"]) == ("done", "return emailed to the LA")
    assert done.done_at == at("2025-10-10").now()
    assert sickness.id not in {d.id for d in open_duties(session, school)}
    with pytest.raises(LookupError):
        complete_duty(session, 10**9, STAFF, None)
