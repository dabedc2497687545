"""A school's calendar: terms, closures, school days, sessions and numbered school weeks."""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from school.errors import InputError, pydantic_problems

# A register session (morning or afternoon), not a database session.
RegisterSession = Literal["AM", "PM"]
SESSIONS: tuple[RegisterSession, RegisterSession] = ("AM", "PM")


class TermFile(BaseModel):
    """One half-term as written in the calendar file."""

    model_config = ConfigDict(extra="forbid")
    name: str
    start: date
    end: date

    @model_validator(mode="after")
    def _in_order(self) -> TermFile:
        if self.end < self.start:
            raise ValueError(
                f"term {self.name!r} ends ({self.end}) before it starts ({self.start})"
            )
        return self


class CalendarFile(BaseModel):
    """The documented calendar TOML: closures, optional one-session days, and half-terms."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    closures: list[date] = []
    # Days on which the school meets for one session only (e.g. an early finish before Christmas).
    morning_only: list[date] = []
    afternoon_only: list[date] = []
    term: list[TermFile]

    @model_validator(mode="after")
    def _consistent(self) -> CalendarFile:
        problems = []
        for i, (earlier, later) in enumerate(zip(self.term, self.term[1:], strict=False), 2):
            if later.start <= earlier.end:
                problems.append(
                    f"term[{i}]: {later.name!r} starts {later.start}, not after {earlier.name!r} "
                    f"ends {earlier.end}: terms must be in date order and must not overlap"
                )
        for key in ("closures", "morning_only", "afternoon_only"):
            for day in getattr(self, key):
                if day.weekday() >= 5:
                    problems.append(f"{key}: {day} is a weekend day")
                # A closure outside the terms listed is harmless (the documented example has
                # one in a term it leaves out); a one-session day must be a school day.
                elif key != "closures" and not any(t.start <= day <= t.end for t in self.term):
                    problems.append(f"{key}: {day} is not inside any term")
        both = set(self.morning_only) & set(self.afternoon_only)
        if both:
            problems.append(f"morning_only and afternoon_only both list {sorted(both)[0]}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


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


class SchoolCalendar:
    """Which dates are school days, their sessions, and the school-week numbering.

    A school week is any Monday-to-Sunday week with at least one session; holiday weeks are
    skipped, so a rolling window of school weeks spans terms and years (spec §5).
    """

    def __init__(self, parsed: CalendarFile, source: str = "calendar") -> None:
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
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(source, [str(exc)]) from exc
        try:
            parsed = CalendarFile.model_validate(raw)
        except ValidationError as exc:
            raise InputError(source, pydantic_problems(exc)) from exc
        return cls(parsed, source)

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
