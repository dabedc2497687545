"""The school's sessions as numbered slots, and one pupil's register as a slice of them."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import repeat

from school.calendar import SchoolCalendar, SchoolDay

_UNMARKED = ("/", "\\")


@dataclass(frozen=True)
class Frame:
    """Every school day up to the last one marked, with its sessions numbered as slots."""

    dates: list[date]
    year_of_day: list[int]  # index into `years`
    years: list[int]  # academic years covered, oldest first
    year_days: list[tuple[int, int]]  # [first, end) day indices of each covered year
    half_terms: list[tuple[int, int, int]]  # (year index, first day, end day)
    slot_start: list[int]  # first slot of each day; one extra entry closes the last day
    slot_iso: list[str]
    slot_session: list[str]
    default_codes: list[str]  # present: / for a morning, \ for an afternoon

    @classmethod
    def of(cls, calendar: SchoolCalendar, until: date | None) -> Frame:
        days = calendar.days
        if not days:
            raise ValueError("the calendar has no school days")
        if until is None:
            until = max(d.date for d in days if d.academic_year == days[0].academic_year)
        days = [d for d in days if d.date <= until]
        if not days:
            raise ValueError(f"until {until} is before the calendar's first school day")
        years = sorted({d.academic_year for d in days})
        year_of_day = [years.index(d.academic_year) for d in days]
        slot_start: list[int] = [0]
        slot_iso: list[str] = []
        slot_session: list[str] = []
        for d in days:
            slot_iso.extend(repeat(d.date.isoformat(), len(d.sessions)))
            slot_session.extend(d.sessions)
            slot_start.append(len(slot_session))
        return cls(
            dates=[d.date for d in days],
            year_of_day=year_of_day,
            years=years,
            year_days=[_span_of(year_of_day, i) for i in range(len(years))],
            half_terms=_half_terms(days, year_of_day),
            slot_start=slot_start,
            slot_iso=slot_iso,
            slot_session=slot_session,
            default_codes=["/" if s == "AM" else "\\" for s in slot_session],
        )

    def first_day_on_or_after(self, on: date) -> int:
        return bisect_left(self.dates, on)

    def end_day_after(self, on: date) -> int:
        return bisect_right(self.dates, on)


def _span_of(values: list[int], wanted: int) -> tuple[int, int]:
    first = values.index(wanted)
    return first, first + values.count(wanted)


def _half_terms(days: list[SchoolDay], year_of_day: list[int]) -> list[tuple[int, int, int]]:
    spans: list[tuple[int, int, int]] = []
    start = 0
    for i in range(1, len(days) + 1):
        if i == len(days) or days[i].half_term != days[start].half_term:
            spans.append((year_of_day[start], start, i))
            start = i
    return spans


class Register:
    """One pupil's marks under construction: a code per session slot over their days on roll."""

    def __init__(self, frame: Frame, first_day: int, end_day: int) -> None:
        self.frame = frame
        self.first_day = first_day
        self.end_day = end_day
        self.offset = frame.slot_start[first_day]
        self.codes = frame.default_codes[self.offset : frame.slot_start[end_day]]
        self.minutes = [""] * len(self.codes)

    def slots(self, day: int) -> range:
        starts = self.frame.slot_start
        return range(starts[day] - self.offset, starts[day + 1] - self.offset)

    def session(self, slot: int) -> str:
        return self.frame.slot_session[slot + self.offset]

    def mark_day(self, day: int, code: str, budget: int, only: str | None = None) -> int:
        """Mark a day's unmarked sessions (or just one session) with a code; count those marked."""
        used = 0
        if not self.first_day <= day < self.end_day:
            return 0
        for slot in self.slots(day):
            unmarked = used < budget and self.codes[slot] in _UNMARKED
            if unmarked and (only is None or self.session(slot) == only):
                self.codes[slot] = code
                used += 1
        return used

    def possible(self) -> int:
        return len(self.codes) - self.codes.count("X")

    def rows(self, upn: str) -> Iterator[tuple[str, str, str, str, str]]:
        end = self.offset + len(self.codes)
        return zip(
            repeat(upn, len(self.codes)),
            self.frame.slot_iso[self.offset : end],
            self.frame.slot_session[self.offset : end],
            self.codes,
            self.minutes,
            strict=True,
        )
