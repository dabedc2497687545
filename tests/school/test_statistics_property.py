"""Random registers: the SQL figures equal a plain reading of the definitions, day by day."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import Session

from school.calendar import SchoolCalendar
from school.codes import CODES
from school.models import AttendanceMark, Contact, Pupil, RegisterImport
from school.school_age import is_compulsory_school_age
from tests.register_builder import build_register, calendar, figures
from tests.register_files import pupil_row

FIRST, LAST = date(2025, 10, 6), date(2026, 1, 16)  # spans half-term, Christmas, INSET, a half day
CODE_CHOICES = ["/", "/", "/", "/", "L", "O", "N", "G", "U", "I", "C2", "M", "B", "D", "Y4", None]


def expected(
    cal: SchoolCalendar, marks: dict[tuple[date, str], str], born: date, as_of: date
) -> dict:
    """The figures, computed the long way round from the definitions in spec §2 and §5."""
    upto = {k: c for k, c in marks.items() if k[0] <= as_of}
    year_start = cal.academic_year_start(as_of)
    year = {k: c for k, c in upto.items() if k[0] >= year_start}
    last = cal.last_school_day_on_or_before(as_of)
    week_of = {d.date: d.school_week for d in cal.days}

    def window_count(end_week: int, until: date) -> int:
        return sum(
            1
            for (d, _), c in upto.items()
            if c in "GNOU" and len(c) == 1 and end_week - 9 <= week_of[d] <= end_week and d <= until
        )

    first_met = None
    for d in sorted({d for (d, _), c in upto.items() if c in ("G", "N", "O", "U")}):
        if window_count(week_of[d], d) >= 10:
            first_met = d
            break
    run = 0
    if last is not None:
        for day in reversed([d for d in cal.days if d.date <= last.date]):
            if all(
                CODES.get(marks.get((day.date, s), ""), CODES["/"]).unauthorised
                and (day.date, s) in marks
                for s in day.sessions
            ):
                run += 1
            else:
                break
    ht_start, _ = cal.half_term_span(as_of)
    term_start, _ = cal.term_span(as_of)
    possible = sum(CODES[c].possible for c in year.values())
    attended = sum(CODES[c].attendance for c in year.values())
    absent = sum(CODES[c].authorised or CODES[c].unauthorised for c in year.values())
    overdue_cut = cal.days[last.day_index - 5].date if last and last.day_index >= 5 else date.min
    return {
        "possible_sessions": possible,
        "present_sessions": sum(CODES[c].present for c in year.values()),
        "aea_sessions": sum(CODES[c].aea for c in year.values()),
        "authorised_sessions": sum(CODES[c].authorised for c in year.values()),
        "unauthorised_sessions": sum(CODES[c].unauthorised for c in year.values()),
        "attendance_pct": 100.0 * attended / possible if possible else None,
        "persistent_absence": bool(possible) and absent / possible >= 0.1,
        "severe_absence": bool(possible) and absent / possible >= 0.5,
        "unauthorised_sessions_rolling_10_school_weeks": window_count(last.school_week, as_of)
        if last
        else 0,
        "national_threshold_first_met_on": first_met,
        "consecutive_unauthorised_school_days": run,
        "illness_school_days": len({d for (d, _), c in year.items() if c == "I"}),
        "late_before_close_half_term": sum(
            1 for (d, _), c in upto.items() if c == "L" and d >= ht_start
        ),
        "late_before_close_term": sum(
            1 for (d, _), c in upto.items() if c == "L" and d >= term_start
        ),
        "late_after_close_half_term": sum(
            1 for (d, _), c in upto.items() if c == "U" and d >= ht_start
        ),
        "late_after_close_term": sum(
            1 for (d, _), c in upto.items() if c == "U" and d >= term_start
        ),
        "overdue_n_codes": sum(1 for (d, _), c in upto.items() if c == "N" and d <= overdue_cut),
        "compulsory_school_age": is_compulsory_school_age(born, as_of),
    }


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    as_of=st.dates(min_value=FIRST, max_value=LAST + timedelta(days=10)),
)
def test_figures_match_the_definitions(
    session: Session, school: str, clock, tmp_path, data, as_of
) -> None:
    cal = calendar(session, school)
    days = [d for d in cal.days if FIRST <= d.date <= LAST]
    sessions = [(d.date, s) for d in days for s in d.sessions]
    # Runs of the same code make thresholds and whole-day runs likely enough to be tested.
    registers = []
    for _ in range(3):
        codes = data.draw(
            st.lists(
                st.sampled_from(CODE_CHOICES),
                min_size=len(sessions) // 8 + 1,
                max_size=len(sessions) // 8 + 1,
            )
        )
        registers.append(
            {key: code for i, key in enumerate(sessions) if (code := codes[i // 8]) is not None}
        )
    pupils = {n: pupil_row(n, admitted="2025-09-03") for n in (1, 2, 3)}
    patterns = {
        n: (lambda day, sess, m=registers[n - 1]: m.get((day.date, sess))) for n in (1, 2, 3)
    }
    try:
        build_register(session, school, tmp_path, clock, pupils, patterns, days)
        got = figures(session, school, as_of)
        for n in (1, 2, 3):
            want = expected(cal, registers[n - 1], date(2013, 3, 10), as_of)
            have = got[n].as_json()
            first = want.pop("national_threshold_first_met_on")
            assert have.pop("national_threshold_first_met_on") == (
                first.isoformat() if first else None
            )
            assert have["national_threshold_met"] == (
                want["unauthorised_sessions_rolling_10_school_weeks"] >= 10
            )
            for key, value in want.items():
                assert have[key] == value, (n, key, as_of)
    finally:
        for table in (AttendanceMark, Contact, RegisterImport, Pupil):
            session.execute(delete(table))
        session.commit()
