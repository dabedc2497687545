"""The school calendar: the documented TOML form, school days, sessions and school weeks."""

from __future__ import annotations

from datetime import date

import pytest

from school.calendar import SchoolCalendar, term_group
from school.errors import InputError

D = date.fromisoformat

# Exactly as documented in the issue and README, comments and all.
DOCUMENTED = """
closures = [2025-11-14, 2026-01-05]   # INSET days, bank holidays and other planned closures (code #)

[[term]]                              # one table per half-term, in date order
name = "Autumn 1"
start = 2025-09-03
end = 2025-10-24

[[term]]
name = "Autumn 2"
start = 2025-11-03
end = 2025-12-19
# ... and so on; "Autumn 1" and "Autumn 2" together are the autumn term
"""  # noqa: E501


def test_documented_form_is_accepted_as_written() -> None:
    cal = SchoolCalendar.from_toml(DOCUMENTED)
    assert [t.name for t in cal.terms] == ["Autumn 1", "Autumn 2"]
    assert cal.is_school_day(D("2025-09-03"))
    assert not cal.is_school_day(D("2025-11-14"))  # closure
    assert not cal.is_school_day(D("2025-10-27"))  # half-term holiday
    assert not cal.is_school_day(D("2025-09-06"))  # Saturday
    assert cal.sessions_on(D("2025-09-03")) == ("AM", "PM")
    # 8 weeks less 2 days in Autumn 1 (starts Wed), 7 weeks less the closure in Autumn 2.
    assert len(cal.days) == 38 + 34


def test_school_weeks_skip_holiday_weeks() -> None:
    cal = SchoolCalendar.from_toml(DOCUMENTED)
    last_of_autumn_1 = cal.day(D("2025-10-24"))
    first_of_autumn_2 = cal.day(D("2025-11-03"))
    assert last_of_autumn_1 and first_of_autumn_2
    assert first_of_autumn_2.school_week == last_of_autumn_1.school_week + 1
    assert cal.day(D("2025-09-03")).school_week == 0  # type: ignore[union-attr]
    assert cal.day(D("2025-09-08")).school_week == 1  # type: ignore[union-attr]


def test_terms_and_half_terms_group_by_name() -> None:
    cal = SchoolCalendar.from_toml(DOCUMENTED)
    assert term_group("Autumn 2") == "Autumn"
    assert cal.half_term_span(D("2025-11-20")) == (D("2025-11-03"), D("2025-12-19"))
    assert cal.term_span(D("2025-11-20")) == (D("2025-09-03"), D("2025-12-19"))
    # In the October half-term holiday, the half-term in force is the one just finished.
    assert cal.half_term_span(D("2025-10-29")) == (D("2025-09-03"), D("2025-10-24"))
    assert cal.last_school_day_on_or_before(D("2025-10-29")).date == D("2025-10-24")  # type: ignore[union-attr]


def test_one_session_days() -> None:
    cal = SchoolCalendar.from_toml(
        DOCUMENTED.replace("closures", "morning_only = [2025-12-19]\nclosures", 1)
    )
    assert cal.sessions_on(D("2025-12-19")) == ("AM",)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("end = 2025-10-24", "end = 2025-11-05"), "term[2]"),  # overlaps Autumn 2: names the term
        (("start = 2025-11-03", "start = 2025-13-03"), "line"),  # not a date: TOML error with line
        (
            ("closures = [", "morning_only = [2025-08-14]\nclosures = ["),
            "morning_only: 2025-08-14 is not inside any term",
        ),
        (
            ("closures = [2025-11-14", "closures = [2025-11-15"),
            "closures: 2025-11-15 is a weekend day",
        ),
        (('name = "Autumn 1"', 'nam = "Autumn 1"'), "term[1].nam: Extra inputs are not permitted"),
        (("end = 2025-10-24", "end = 2025-08-24"), "ends (2025-08-24) before it starts"),
    ],
)
def test_bad_calendars_are_refused_naming_the_key(change: tuple[str, str], expected: str) -> None:
    with pytest.raises(InputError) as refused:
        SchoolCalendar.from_toml(DOCUMENTED.replace(*change, 1), "my-calendar.toml")
    assert refused.value.source == "my-calendar.toml"
    assert any(expected in line for line in refused.value.lines()), refused.value.lines()


def test_a_window_spans_academic_years() -> None:
    two_years = DOCUMENTED + '\n[[term]]\nname = "Autumn 1"\nstart = 2026-09-03\nend = 2026-10-23\n'
    cal = SchoolCalendar.from_toml(two_years)
    new_year = cal.day(D("2026-09-03"))
    assert new_year and new_year.academic_year == 2026
    assert new_year.school_week == cal.day(D("2025-12-19")).school_week + 1  # type: ignore[union-attr]
    assert cal.academic_year_start(D("2026-08-15")) == D("2025-09-03")  # summer holiday: last year
    assert cal.academic_year_start(D("2026-09-10")) == D("2026-09-03")
