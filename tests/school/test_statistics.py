"""Attendance statistics: every code as spec §1 says, and the spec §8 scenarios on figures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from school.amendments import Amender
from school.clock import FixedClock
from school.codes import CODES
from school.policy_files import bundled_policy, load_policy
from school.register_import import RegisterFiles, import_register
from school.schools import set_up_school
from tests.register_builder import (
    build_register,
    calendar,
    days_between,
    figures,
    present,
)
from tests.register_files import DOCUMENTED_STATISTICS_KEYS, pupil_row, upn, write_marks

D = date.fromisoformat


def test_every_code_counts_as_its_row_says(
    session: Session, school: str, clock, tmp_path: Path
) -> None:
    """One session of each code beside one present session, for a pupil each (spec §1)."""
    cal = calendar(session, school)
    first = days_between(cal, D("2025-09-08"), D("2025-09-08"))
    codes = [c for c in CODES.values() if c.code != "#"]
    pupils = {}
    patterns = {}
    for n, code in enumerate(codes, start=1):
        # X is only for pupils not of compulsory school age: a reception child born 2021.
        born = "2021-06-01" if code.code == "X" else "2013-03-10"
        pupils[n] = pupil_row(n, year=0 if code.code == "X" else 7, born=born)
        patterns[n] = lambda day, sess, c=code.code: c if sess == "AM" else "\\"
    build_register(session, school, tmp_path, clock, pupils, patterns, first)

    got = figures(session, school, D("2025-09-08"))
    for n, code in enumerate(codes, start=1):
        f = got[n]
        assert f.possible_sessions == 1 + code.possible, code.code
        assert f.present_sessions == 1 + code.present, code.code
        assert f.aea_sessions == int(code.aea), code.code
        assert f.authorised_sessions == int(code.authorised), code.code
        assert f.unauthorised_sessions == int(code.unauthorised), code.code
        assert f.unauthorised_sessions_rolling_10_school_weeks == int(code.national_threshold), (
            code.code
        )
        # Invariants: possible = attendance + authorised + unauthorised; rates add to 100.
        attended = f.present_sessions + f.aea_sessions
        assert f.possible_sessions == attended + f.authorised_sessions + f.unauthorised_sessions
        absent_pct = 100.0 * (f.authorised_sessions + f.unauthorised_sessions) / f.possible_sessions
        assert f.attendance_pct == pytest.approx(100.0 - absent_pct)
    assert {c.code for c in codes if c.national_threshold} == {"G", "N", "O", "U"}
    assert {c.code for c in codes if not c.possible} == {
        "D",
        "X",
        "Q",
        "Y1",
        "Y2",
        "Y3",
        "Y4",
        "Y5",
        "Y6",
        "Y7",
        "Z",
    }


def test_scenario_1_a_week_of_holiday_meets_the_threshold(session, school, clock, tmp_path) -> None:
    """Spec §8.1: 10 G sessions Monday to Friday → threshold met on the Friday."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-09-26"))
    holiday = lambda day, sess: (
        "G" if D("2025-09-15") <= day.date <= D("2025-09-19") else present(day, sess)
    )
    build_register(session, school, tmp_path, clock, {1: pupil_row(1, year=8)}, {1: holiday}, days)

    thursday = figures(session, school, D("2025-09-18"))[1]
    assert thursday.unauthorised_sessions_rolling_10_school_weeks == 8
    assert not thursday.national_threshold_met
    friday = figures(session, school, D("2025-09-19"))[1]
    assert friday.national_threshold_met
    assert friday.national_threshold_first_met_on == D("2025-09-19")
    assert friday.compulsory_school_age
    later = figures(session, school, D("2025-09-26"))[1]
    assert later.national_threshold_first_met_on == D("2025-09-19")


def test_scenario_3_lates_before_close_are_present(session, school, clock, tmp_path) -> None:
    """Spec §8.3: 14 L in 4 weeks, no U → not met, attendance unchanged, 14 lates counted."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-10-03"))
    late_days = {d.date for d in days[:14]}
    pattern = lambda day, sess: (
        "L" if sess == "AM" and day.date in late_days else present(day, sess)
    )
    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {1: pattern}, days)

    f = figures(session, school, D("2025-10-03"))[1]
    assert f.attendance_pct == 100.0
    assert f.present_sessions == 40
    assert f.unauthorised_sessions_rolling_10_school_weeks == 0
    assert not f.national_threshold_met
    assert (f.late_before_close_half_term, f.late_before_close_term) == (14, 14)
    assert (f.late_after_close_half_term, f.late_after_close_term) == (0, 0)


def test_scenario_5_threshold_never_met(session, school, clock, tmp_path) -> None:
    """Spec §8.5: 3 O in week 1, 1 in weeks 2-7, none in 8-10, 3 in week 11 → never met.

    Week 8 follows the October half-term: the holiday week is not a school week.
    """
    cal = calendar(session, school)
    week_one = cal.day(D("2025-09-08")).school_week
    days = days_between(cal, D("2025-09-08"), D("2025-11-28"))
    by_week: dict[int, list] = {}
    for day in days:
        by_week.setdefault(day.school_week - week_one + 1, []).append(day)
    assert by_week[8][0].date == D("2025-11-03")  # half-term week skipped
    absent: set[tuple[date, str]] = set()
    for week, count in [(1, 3), *[(w, 1) for w in range(2, 8)], (11, 3)]:
        sessions = [(d.date, s) for d in by_week[week] for s in d.sessions]
        absent.update(sessions[:count])
    pattern = lambda day, sess: "O" if (day.date, sess) in absent else present(day, sess)
    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {1: pattern}, days)

    end_week_10 = by_week[10][-1].date
    at_10 = figures(session, school, end_week_10)[1]
    at_11 = figures(session, school, D("2025-11-28"))[1]
    assert at_10.unauthorised_sessions_rolling_10_school_weeks == 9
    assert at_11.unauthorised_sessions_rolling_10_school_weeks == 9
    assert not at_10.national_threshold_met and not at_11.national_threshold_met
    assert at_11.national_threshold_first_met_on is None
    assert at_11.unauthorised_sessions == 12


def test_scenario_7_n_code_overdue_after_five_school_days(session, school, clock, tmp_path) -> None:
    """Spec §8.7: an N from Monday AM is overdue at the end of the following Monday."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-09-19"))
    pattern = lambda day, sess: (
        "N" if (day.date, sess) == (D("2025-09-08"), "AM") else present(day, sess)
    )
    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {1: pattern}, days)

    assert figures(session, school, D("2025-09-12"))[1].overdue_n_codes == 0
    assert figures(session, school, D("2025-09-15"))[1].overdue_n_codes == 1
    # Recoded after enquiries: I removes it from the threshold count, O would keep it.
    write_marks(tmp_path, [[upn(1), "2025-09-08", "AM", "I", ""]])
    import_register(
        session,
        school,
        RegisterFiles(marks=tmp_path / "marks.csv"),
        clock,
        by=Amender("Jo Bloggs", "Attendance Officer"),
        reason="Parent phoned: ill",
    )
    after = figures(session, school, D("2025-09-15"))[1]
    assert after.overdue_n_codes == 0
    assert after.unauthorised_sessions_rolling_10_school_weeks == 0
    assert after.authorised_sessions == 1


def test_n_code_overdue_counts_school_days_not_closures(session, school, clock, tmp_path) -> None:
    """Friday 14 Nov 2025 is an INSET day: five school days from Monday 10th end on Tuesday 18th."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-11-10"), D("2025-11-18"))
    pattern = lambda day, sess: (
        "N" if (day.date, sess) == (D("2025-11-10"), "AM") else present(day, sess)
    )
    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {1: pattern}, days)

    assert figures(session, school, D("2025-11-17"))[1].overdue_n_codes == 0
    assert figures(session, school, D("2025-11-18"))[1].overdue_n_codes == 1


@pytest.mark.parametrize(
    ("absent", "possible", "persistent", "severe"),
    [
        (10, 100, True, False),
        (9, 100, False, False),
        (2, 21, False, False),
        (50, 100, True, True),
        (49, 100, True, False),
    ],
)
def test_persistent_and_severe_absence_boundaries(
    session, school, clock, tmp_path, absent, possible, persistent, severe
) -> None:
    """Spec §8.13 and §2: PA is absence ≥ 10% and SA ≥ 50%, on the unrounded rate."""
    cal = calendar(session, school)
    days = cal.days[: (possible + 1) // 2]
    sessions = [(d.date, s) for d in days for s in d.sessions][:possible]
    illness = set(sessions[: absent - min(absent, 2)])
    unauthorised = set(sessions[absent - min(absent, 2) : absent])
    kept = set(sessions)

    def pattern(day, sess):
        key = (day.date, sess)
        if key not in kept:
            return None
        return "I" if key in illness else "O" if key in unauthorised else present(day, sess)

    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {1: pattern}, days)
    f = figures(session, school, days[-1].date)[1]
    assert f.possible_sessions == possible
    assert f.attendance_pct == pytest.approx(100.0 * (possible - absent) / possible)
    assert (f.persistent_absence, f.severe_absence) == (persistent, severe)


def test_scenario_13_exactly_ninety_percent_is_persistent_absence(
    session, school, clock, tmp_path
) -> None:
    """Spec §8.13: 100 sessions, 90 present or L, 8 I, 2 O → 10.0% absence → PA under DfE."""
    cal = calendar(session, school)
    days = cal.days[:50]
    sessions = [(d.date, s) for d in days for s in d.sessions]
    codes = (
        {key: "I" for key in sessions[:8]}
        | {key: "O" for key in sessions[8:10]}
        | {key: "L" for key in sessions[10:20]}
    )
    pattern = lambda day, sess: codes.get((day.date, sess)) or present(day, sess)
    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {1: pattern}, days)
    f = figures(session, school, days[-1].date)[1]
    assert (
        f.possible_sessions,
        f.present_sessions,
        f.authorised_sessions,
        f.unauthorised_sessions,
    ) == (100, 90, 8, 2)
    assert f.attendance_pct == 90.0
    assert f.persistent_absence and not f.severe_absence


def test_scenario_15_part_time_timetable_is_severe_absence_without_threshold(
    session, school, clock, tmp_path
) -> None:
    """Spec §8.15: 5 C2 sessions of 10 a week for 6 weeks → SA in the figures, no threshold."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-10-17"))
    pattern = lambda day, sess: "C2" if sess == "PM" else "/"
    build_register(
        session,
        school,
        tmp_path,
        clock,
        {1: pupil_row(1, admitted="2025-09-08")},
        {1: pattern},
        days,
    )
    f = figures(session, school, D("2025-10-17"))[1]
    assert (f.possible_sessions, f.authorised_sessions, f.unauthorised_sessions) == (60, 30, 0)
    assert f.attendance_pct == 50.0
    assert f.severe_absence and f.persistent_absence
    assert not f.national_threshold_met and f.unauthorised_sessions_rolling_10_school_weeks == 0


def test_scenario_19_illness_days_count_once_per_day(session, school, clock, tmp_path) -> None:
    """Spec §8.19: 8 days of illness in October; a day with one I session counts once too."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-10-01"), D("2025-10-24"))
    ill = {d.date for d in days[2:10]}
    half_day = days[2].date

    def pattern(day, sess):
        if day.date == half_day and sess == "PM":
            return "\\"
        return "I" if day.date in ill else present(day, sess)

    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {1: pattern}, days)
    f = figures(session, school, D("2025-10-24"))[1]
    assert f.illness_school_days == 8
    assert f.authorised_sessions == 15


def test_scenario_25_reception_child_not_of_compulsory_school_age(
    session: Session, clock, tmp_path
) -> None:
    """Spec §8.25: born 15 Jan 2020, 12 O in Oct 2024 → not CSA until 31 Mar 2025."""
    calendar_text = """
closures = []
[[term]]
name = "Autumn 1"
start = 2024-09-02
end = 2024-10-25
[[term]]
name = "Spring 2"
start = 2025-03-24
end = 2025-04-04
"""
    set_up_school(
        session,
        "emmanuel-middle",
        load_policy(bundled_policy("emmanuel-middle")),
        calendar_text,
        "test-calendar.toml",
        clock,
    )
    session.commit()
    cal = calendar(session, "emmanuel-middle")
    october = days_between(cal, D("2024-10-01"), D("2024-10-25"))
    absent = {d.date for d in october[:6]}
    pattern = lambda day, sess: "O" if day.date in absent else present(day, sess)
    pupils = {1: pupil_row(1, year=0, born="2020-01-15", admitted="2024-09-02")}
    build_register(session, "emmanuel-middle", tmp_path, clock, pupils, {1: pattern}, october)

    in_october = figures(session, "emmanuel-middle", D("2024-10-25"))[1]
    assert in_october.unauthorised_sessions == 12
    assert in_october.national_threshold_met  # the figure is a fact; legal action is gated on CSA
    assert not in_october.compulsory_school_age
    assert not figures(session, "emmanuel-middle", D("2025-03-28"))[1].compulsory_school_age
    assert figures(session, "emmanuel-middle", D("2025-03-31"))[1].compulsory_school_age


def test_rolling_window_spans_the_summer_holiday_and_years(
    session, school, clock, tmp_path
) -> None:
    """Spec §5: 2 sessions in the summer term + 8 in the autumn term meet the threshold."""
    cal = calendar(session, school)
    days = days_between(cal, D("2026-07-13"), D("2026-09-11"))
    absent = {D("2026-07-20"), D("2026-09-04"), D("2026-09-07"), D("2026-09-08"), D("2026-09-09")}
    pattern = lambda day, sess: "O" if day.date in absent else present(day, sess)
    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {1: pattern}, days)

    f = figures(session, school, D("2026-09-09"))[1]
    assert f.unauthorised_sessions_rolling_10_school_weeks == 10
    assert f.national_threshold_met
    assert f.national_threshold_first_met_on == D("2026-09-09")
    # The new academic year's figures start afresh; the window does not.
    assert f.possible_sessions == 8 and f.unauthorised_sessions == 8
    # In the summer holiday the year just finished is still "this year".
    summer = figures(session, school, D("2026-08-10"))[1]
    assert summer.possible_sessions == 2 * len(days_between(cal, D("2026-07-13"), D("2026-07-20")))


def test_consecutive_unauthorised_days_skip_closures_and_break_on_attendance(
    session, school, clock, tmp_path
) -> None:
    """Runs of whole-day unauthorised absence count school days only (Fri 14 Nov is INSET)."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-11-03"), D("2025-11-20"))

    def truant(day, sess):
        if D("2025-11-10") <= day.date <= D("2025-11-17"):
            return "U" if (day.date, sess) == (D("2025-11-12"), "PM") else "O"
        return present(day, sess)

    def half_present(day, sess):
        if D("2025-11-10") <= day.date <= D("2025-11-17"):
            return "\\" if (day.date, sess) == (D("2025-11-12"), "PM") else "G"
        return present(day, sess)

    def unmarked(day, sess):
        if (day.date, sess) == (D("2025-11-13"), "PM"):
            return None
        return "N" if D("2025-11-10") <= day.date <= D("2025-11-17") else present(day, sess)

    build_register(
        session,
        school,
        tmp_path,
        clock,
        {1: pupil_row(1), 2: pupil_row(2), 3: pupil_row(3)},
        {1: truant, 2: half_present, 3: unmarked},
        days,
    )
    on_monday = figures(session, school, D("2025-11-17"))
    assert on_monday[1].consecutive_unauthorised_school_days == 5
    assert on_monday[2].consecutive_unauthorised_school_days == 2  # Thu 13 and Mon 17
    assert on_monday[3].consecutive_unauthorised_school_days == 1  # Thu 13 PM has no mark
    weekend = figures(session, school, D("2025-11-15"))  # Saturday: the run ends Thursday
    assert weekend[1].consecutive_unauthorised_school_days == 4
    assert figures(session, school, D("2025-11-18"))[1].consecutive_unauthorised_school_days == 0


def test_one_session_day_counts_as_a_whole_day(session, school, clock, tmp_path) -> None:
    """19 Dec 2025 has a morning session only: an O that morning completes the day."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-12-17"), D("2025-12-19"))
    assert days[-1].sessions == ("AM",)
    pattern = lambda day, sess: "O"
    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {1: pattern}, days)
    f = figures(session, school, D("2025-12-19"))[1]
    assert f.consecutive_unauthorised_school_days == 3
    assert f.possible_sessions == 5


def test_lateness_counts_by_half_term_and_term(session, school, clock, tmp_path) -> None:
    cal = calendar(session, school)
    days = days_between(cal, D("2025-10-20"), D("2025-12-10"))
    marks = {
        D("2025-10-20"): "L",
        D("2025-10-21"): "L",
        D("2025-10-22"): "L",
        D("2025-11-04"): "L",
        D("2025-11-05"): "L",
        D("2025-11-06"): "U",
        D("2025-10-23"): "U",
    }
    pattern = lambda day, sess: (
        marks.get(day.date) if sess == "AM" and day.date in marks else present(day, sess)
    )
    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {1: pattern}, days)
    f = figures(session, school, D("2025-12-10"))[1]
    assert (f.late_before_close_half_term, f.late_before_close_term) == (2, 5)
    assert (f.late_after_close_half_term, f.late_after_close_term) == (1, 2)
    spring = figures(session, school, D("2026-01-09"))[1]
    assert (spring.late_before_close_term, spring.late_after_close_term) == (0, 0)


def test_only_pupils_on_roll_are_reported(session, school, clock, tmp_path) -> None:
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-04"), D("2025-11-07"))
    pupils = {
        1: pupil_row(1),
        2: pupil_row(2, left="2025-10-01"),
        3: pupil_row(3, admitted="2025-11-03"),
        4: pupil_row(4, admitted="2025-09-08"),
    }

    def within(n):
        row = pupils[n]
        return lambda day, sess: (
            present(day, sess) if D(row[5]) <= day.date <= D(row[6] or "2099-01-01") else None
        )

    build_register(session, school, tmp_path, clock, pupils, {n: within(n) for n in pupils}, days)
    october = figures(session, school, D("2025-10-10"))
    assert set(october) == {1, 4}
    assert (
        october[1].possible_sessions == october[4].possible_sessions + 4
    )  # 4 joined on Monday 8th
    november = figures(session, school, D("2025-11-07"))
    assert set(november) == {1, 3, 4}
    assert november[3].possible_sessions == 10


def test_pupil_with_no_marks_has_no_rate(session, school, clock, tmp_path) -> None:
    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {}, [])
    f = figures(session, school, D("2025-09-10"))[1]
    assert f.possible_sessions == 0 and f.attendance_pct is None
    assert not f.persistent_absence and not f.severe_absence


def test_as_json_has_exactly_the_documented_keys(session, school, clock, tmp_path) -> None:
    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {}, [])
    data = figures(session, school, D("2025-09-10"))[1].as_json()
    assert list(data) == DOCUMENTED_STATISTICS_KEYS


def test_other_schools_marks_do_not_leak(session, school, clock, tmp_path) -> None:
    """Two schools share the database (a trust): each school's figures are its own."""
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-09-12"))
    build_register(
        session, school, tmp_path / "a", clock, {1: pupil_row(1)}, {1: lambda d, s: "O"}, days
    )
    other = load_policy(bundled_policy("emmanuel-middle"))
    text = other.text.replace('id = "emmanuel-middle"', 'id = "other-school"')
    from school.policy_files import parse_policy

    set_up_school(
        session,
        "other-school",
        parse_policy(text, "other.toml"),
        cal_text(),
        "cal",
        FixedClock(datetime(2026, 1, 1, tzinfo=UTC)),
    )
    session.commit()
    build_register(
        session, "other-school", tmp_path / "b", clock, {1: pupil_row(1)}, {1: present}, days
    )
    assert figures(session, school, D("2025-09-12"))[1].unauthorised_sessions == 10
    assert figures(session, "other-school", D("2025-09-12"))[1].unauthorised_sessions == 0


def cal_text() -> str:
    from tests.conftest import CALENDAR

    return CALENDAR.read_text()


def test_figures_for_some_pupils_are_the_same_as_for_the_whole_school(
    session, school, clock, tmp_path
) -> None:
    """A page about a few pupils counts only them (`pupil_ids`), and gets the same figures."""
    from sqlalchemy import select

    from school.models import Pupil
    from school.schools import load_school
    from school.statistics import attendance_statistics, statistics_for

    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2025-10-17"))
    patterns = {
        1: present,
        2: lambda day, sess: "O" if day.date.day % 3 == 0 else present(day, sess),
        3: lambda day, sess: "I" if day.date.weekday() == 0 else present(day, sess),
    }
    build_register(session, school, tmp_path, clock, {n: pupil_row(n) for n in patterns},
                   patterns, days)  # fmt: skip
    ids = {p.upn: p.id for p in session.scalars(select(Pupil))}
    whole = {f.upn: f for f in attendance_statistics(session, school, D("2025-10-17"))}
    loaded = load_school(session, school)
    some = statistics_for(session, loaded, D("2025-10-17"), [ids[upn(2)], ids[upn(3)]])
    assert {f.upn: f for f in some} == {upn(2): whole[upn(2)], upn(3): whole[upn(3)]}
    assert whole[upn(2)].unauthorised_sessions > 0
    assert statistics_for(session, loaded, D("2025-10-17"), []) == []
