"""The calendar file's documented form, validated with pydantic (school/calendar.py reads it)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, model_validator


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
