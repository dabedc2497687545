"""A school's calendar: terms, closures, school days, sessions and numbered school weeks."""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from school.errors import InputError

if TYPE_CHECKING:
    from school.calendar_file import CalendarFile

# A register session (morning or afternoon), not a database session.
RegisterSession = Literal["AM", "PM"]
SESSIONS: tuple[RegisterSession, RegisterSession] = ("AM", "PM")


def academic_year_of(day: date) -> int:
    """The academic year (named by the year it starts in) holding a date: 1 Aug to 31 Jul."""
    return day.year if day.month >= 8 else day.year - 1


def term_group(half_term_name: str) -> str:
    """'Autumn 1' and 'Autumn 2' together are the autumn term."""
    return re.sub(r"\s*\d+\s*$", "", half_term_name).strip() or half_term_name


@dataclass(frozen=True, slots=True)
class SchoolDay:
    """A date on which the school meets, with its sessions and where it sits in the year."""

    date: date
    sessions: tuple[RegisterSession, ...]
    day_index: int  # ordinal among all school days of the calendar
    school_week: int  # ordinal among weeks (Mon-Sun) with at least one session
    half_term: str
    term: str
    academic_year: int


@dataclass(frozen=True, slots=True)
class Term:
    """A half-term of the calendar, placed in its academic year."""

    name: str
    start: date
    end: date
    academic_year: int

    @property
    def term(self) -> str:
        return term_group(self.name)


@dataclass(frozen=True)
class TermShape:
    name: str
    start: date
    end: date


@dataclass(frozen=True)
class CalendarShape:
    """A stored calendar's TOML taken as written, when every value already has the type the
    validated form (school/calendar_file.py) would give it."""

    term: list[TermShape]
    closures: list[date]
    morning_only: list[date]
    afternoon_only: list[date]

    @classmethod
    def of(cls, raw: dict[str, object]) -> CalendarShape | None:
        if not set(raw) <= {"term", "closures", "morning_only", "afternoon_only"}:
            return None
        days = {key: raw.get(key, []) for key in ("closures", "morning_only", "afternoon_only")}
        terms = raw.get("term")
        if not isinstance(terms, list) or not all(_is_dates(v) for v in days.values()):
            return None
        shaped = []
        for term in terms:
            if not (isinstance(term, dict) and set(term) == {"name", "start", "end"}):
                return None
            name, start, end = term["name"], term["start"], term["end"]
            if not (type(name) is str and type(start) is date and type(end) is date):
                return None
            shaped.append(TermShape(name, start, end))
        return cls(shaped, **days)  # type: ignore[arg-type]


def _is_dates(value: object) -> bool:
    return isinstance(value, list) and all(type(v) is date for v in value)


class SchoolCalendar:
    """Which dates are school days, their sessions, and the school-week numbering.

    A school week is any Monday-to-Sunday week with at least one session; holiday weeks are
    skipped, so a rolling window of school weeks spans terms and years (spec §5).
    """

    def __init__(self, parsed: CalendarFile | CalendarShape, source: str = "calendar") -> None:
        self.source = source
        self.terms = [Term(t.name, t.start, t.end, academic_year_of(t.start)) for t in parsed.term]
        self.closures = frozenset(parsed.closures)
        self._single: dict[date, tuple[RegisterSession, ...]] = {
            d: ("AM",) for d in parsed.morning_only
        }
        self._single.update({d: ("PM",) for d in parsed.afternoon_only})

    @classmethod
    def from_toml(cls, text: str, source: str = "calendar.toml") -> SchoolCalendar:
        """Parse and validate the documented calendar form; errors name the file and key."""
        # pydantic is loaded here, not at the top: `stats --format json` reads a stored
        # calendar with `stored_as_written` and never pays for it.
        from pydantic import ValidationError

        from school.calendar_file import CalendarFile
        from school.errors import pydantic_problems

        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(source, [str(exc)]) from exc
        try:
            parsed = CalendarFile.model_validate(raw)
        except ValidationError as exc:
            raise InputError(source, pydantic_problems(exc)) from exc
        return cls(parsed, source)

    @classmethod
    def stored_as_written(cls, text: str) -> SchoolCalendar | None:
        """A stored calendar (validated when it was set up) read without pydantic, or None
        when its TOML is not already in the exact types validation gives (a date written as a
        quoted string, say): the caller then uses `from_toml`, so the two never differ."""
        shape = CalendarShape.of(tomllib.loads(text))
        return cls(shape, "stored calendar") if shape else None

    @cached_property
    def days(self) -> list[SchoolDay]:
        """Every school day of the calendar, in date order."""
        result: list[SchoolDay] = []
        week = -1
        last_monday: date | None = None
        for term in self.terms:
            for day in _weekdays(term.start, term.end):
                if day in self.closures:
                    continue
                monday = day - timedelta(days=day.weekday())
                if monday != last_monday:
                    week += 1
                    last_monday = monday
                result.append(
                    SchoolDay(
                        date=day,
                        sessions=self._single.get(day, SESSIONS),
                        day_index=len(result),
                        school_week=week,
                        half_term=term.name,
                        term=term.term,
                        academic_year=term.academic_year,
                    )
                )
        return result

    @cached_property
    def _by_date(self) -> dict[date, SchoolDay]:
        return {d.date: d for d in self.days}

    @cached_property
    def _dates(self) -> list[date]:
        return [d.date for d in self.days]

    def day(self, on: date) -> SchoolDay | None:
        """The school day on a date, or None when the school does not meet."""
        return self._by_date.get(on)

    def is_school_day(self, on: date) -> bool:
        return on in self._by_date

    def sessions_on(self, on: date) -> tuple[RegisterSession, ...]:
        found = self._by_date.get(on)
        return found.sessions if found else ()

    def last_school_day_on_or_before(self, on: date) -> SchoolDay | None:
        """The latest school day not after a date (the as-of day when it falls in a holiday)."""
        i = bisect_right(self._dates, on)
        return self.days[i - 1] if i else None

    def term_on(self, on: date) -> Term | None:
        """The half-term running on a date, or the last one before it when in a holiday."""
        current = None
        for term in self.terms:
            if term.start <= on:
                current = term
        return current

    def half_term_span(self, on: date) -> tuple[date, date] | None:
        """First and last date of the half-term in force on a date."""
        term = self.term_on(on)
        return (term.start, term.end) if term else None

    def term_span(self, on: date) -> tuple[date, date] | None:
        """First and last date of the whole term (e.g. Autumn 1 + Autumn 2) in force on a date."""
        current = self.term_on(on)
        if current is None:
            return None
        same = [
            t
            for t in self.terms
            if t.academic_year == current.academic_year and t.term == current.term
        ]
        return same[0].start, same[-1].end

    def academic_year_start(self, on: date) -> date:
        """First day of the academic year in force on a date; the summer holiday belongs to the
        year just finished, so figures taken in August still cover that year."""
        current = self.term_on(on) or self.terms[0]
        return next(t.start for t in self.terms if t.academic_year == current.academic_year)


def _weekdays(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)
