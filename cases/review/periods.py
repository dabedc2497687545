"""The calendar as the review sees it: the review day's period in each cadence, and due dates."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, timedelta

from school.calendar import SchoolCalendar, SchoolDay


def _group(cadence: str, day: SchoolDay, block_weeks: int) -> Hashable:
    """Which period of a cadence a school day falls in (weeks are school weeks, spec §5)."""
    if cadence == "daily":
        return day.day_index
    if cadence == "weekly":
        return day.school_week
    if cadence == "fortnightly":
        return day.school_week // 2
    if cadence == "review":
        return day.school_week // block_weeks
    if cadence == "half_term":
        return (day.academic_year, day.half_term)
    return (day.academic_year, day.term)


class Periods:
    """The review day's place in each cadence: its period, that period's bounds, earlier ones."""

    def __init__(self, calendar: SchoolCalendar, day: SchoolDay, block_weeks: int) -> None:
        self.calendar = calendar
        self.day = day
        self.block_weeks = block_weeks
        self._spans: dict[str, dict[Hashable, tuple[SchoolDay, SchoolDay]]] = {}
        self._weeks: dict[int, list[SchoolDay]] = {}
        for d in calendar.days:
            self._weeks.setdefault(d.school_week, []).append(d)

    def _span_map(self, cadence: str) -> dict[Hashable, tuple[SchoolDay, SchoolDay]]:
        if cadence not in self._spans:
            spans: dict[Hashable, tuple[SchoolDay, SchoolDay]] = {}
            for d in self.calendar.days:
                g = _group(cadence, d, self.block_weeks)
                spans[g] = (spans[g][0], d) if g in spans else (d, d)
            self._spans[cadence] = spans
        return self._spans[cadence]

    def span(self, cadence: str) -> tuple[SchoolDay, SchoolDay]:
        return self._span_map(cadence)[_group(cadence, self.day, self.block_weeks)]

    def key(self, cadence: str) -> str:
        return f"{cadence}:{self.span(cadence)[0].date.isoformat()}"

    def ends_today(self, cadence: str) -> bool:
        """Rungs are evaluated on the last school day of their period (e.g. the half-termly
        audit on the half-term's last day), so early-period figures never trigger them."""
        return self.span(cadence)[1].date == self.day.date

    def starts(self, cadence: str) -> date:
        return self.span(cadence)[0].date

    def earlier_keys(self, cadence: str) -> list[str]:
        """Keys of the periods before the current one, most recent first."""
        current = _group(cadence, self.day, self.block_weeks)
        keys = []
        for g, (first, _) in self._span_map(cadence).items():
            if g == current:
                break
            keys.append(f"{cadence}:{first.date.isoformat()}")
        return keys[::-1]

    def school_days_after(self, n: int) -> date:
        i = self.day.day_index + n
        if i < len(self.calendar.days):
            return self.calendar.days[i].date
        return self.day.date + timedelta(days=(n * 7 + 4) // 5)

    def school_weeks_after(self, on: date, n: int) -> date:
        """The same weekday n school weeks later (holiday weeks do not count), or the nearest
        school day of that week; calendar weeks when the calendar runs out."""
        start = self.calendar.last_school_day_on_or_before(on)
        week = self._weeks.get(start.school_week + n) if start else None
        if start is None or not week:
            return on + timedelta(weeks=n)
        later = [d for d in week if d.date.weekday() >= start.date.weekday()]
        return (later[0] if later else week[-1]).date
