"""One parsing layer for every command: dates, times, school ids, UPNs, codes and names."""

from __future__ import annotations

import re
from datetime import date, time
from typing import TYPE_CHECKING

from school.clock import SystemClock, school_today

if TYPE_CHECKING:
    from sqlmodel import Session

    from school.amender import Amender
    from school.schools import LoadedSchool

# Only ASCII digits: date.fromisoformat also takes 20251123 and 2025-W47-1, which staff never mean.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DAY_FIRST = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")
_HH_MM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_SHOWN = 40  # characters of a bad value echoed back: enough to recognise, never a screenful


class BadArgument(Exception):
    """An argument the command cannot use: shown as one line naming it, exit code 2."""

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"{option}: {problem}")
        self.option = option
        self.problem = problem


def shown(text: str) -> str:
    """A typed value as it is echoed in an error: quoted, escaped, and cut short."""
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "…")


def parse_date(option: str, text: str) -> date:
    """A YYYY-MM-DD date; 23/11/2025 is refused with the form and what it would be."""
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise BadArgument(option, f"{shown(text)} is not a day in the calendar") from None
    hint = ""
    if day_first := _DAY_FIRST.fullmatch(text.strip()):
        d, m, y = day_first.groups()
        hint = f" ({y}-{int(m):02d}-{int(d):02d}?)"
    raise BadArgument(option, f"{shown(text)} is not a date: use YYYY-MM-DD{hint}")


def date_or_today(option: str, text: str | None) -> date:
    """The date typed, or today in the school's time zone when none was."""
    return parse_date(option, text) if text is not None else school_today(SystemClock())


def parse_time(option: str, text: str) -> time:
    """A 24-hour HH:MM time of day."""
    found = _HH_MM.fullmatch(text)
    if not found:
        raise BadArgument(option, f"{shown(text)} is not a time: use HH:MM, e.g. 08:55")
    return time(int(found[1]), int(found[2]))


def parse_upn(option: str, text: str) -> str:
    """A UPN, upper-cased, with its check letter verified."""
    # Loaded here, as in the other parsers below: the quick `stats --format json` reads its
    # date with this module and needs neither the UPN check nor the code tables.
    from school.upn import upn_problem

    upn = text.strip().upper()
    problem = upn_problem(upn)
    if problem:
        raise BadArgument(option, problem if len(upn) <= 20 else f"{shown(text)} is not a UPN")
    return upn


def parse_absence_code(option: str, text: str) -> str:
    """A DfE 2024 code meaning an absence (reg 10 table 3); a legacy code says what replaced it."""
    from school.codes import ABSENCE_CODES, CODES, LEGACY_CODES

    code = text.strip().upper()
    if code in ABSENCE_CODES:
        return code
    if code in LEGACY_CODES:
        raise BadArgument(option, f"legacy code {code}: {LEGACY_CODES[code]}")
    allowed = ", ".join(sorted(ABSENCE_CODES))
    if code in CODES:
        raise BadArgument(
            option, f"{code} ({CODES[code].meaning}) is not an absence code; use one of {allowed}"
        )
    raise BadArgument(option, f"{shown(text)} is not a DfE absence code; use one of {allowed}")


def parse_person(option: str, text: str) -> Amender:
    """Who is acting: "Name, Position"."""
    from school.amender import Amender

    try:
        return Amender.parse(text)
    except ValueError:
        raise BadArgument(
            option, f'{shown(text)} must be "Name, Position", e.g. "Jo Bloggs, Attendance Officer"'
        ) from None


def parse_reason(option: str, text: str) -> str:
    """Why the register is amended: words that say why, never blank (REG24 r6)."""
    from school.amender import amendment_reason

    try:
        return amendment_reason(text)
    except ValueError as exc:
        raise BadArgument(option, str(exc)) from None


# Nursery 1 (-2) and 2 (-1), Reception (0), Years 1 to 14: the range a policy's year groups take.
YEAR_GROUPS = range(-2, 15)


def parse_year_groups(option: str, text: str) -> list[int]:
    """Comma-separated year groups such as `5,6,7,8`: whole numbers from -2 to 14, each once."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise BadArgument(option, "give at least one year group, e.g. 7,8,9,10,11")
    groups = []
    for part in parts:
        if not re.fullmatch(r"-?[0-9]{1,2}", part) or int(part) not in YEAR_GROUPS:
            raise BadArgument(
                option, f"{shown(part)} is not a year group (a whole number from -2 to 14)"
            )
        if int(part) in groups:
            raise BadArgument(option, f"year {part} is given twice")
        groups.append(int(part))
    return groups


def parse_choice(option: str, text: str, allowed: tuple[str, ...]) -> str:
    """One of a fixed list of words, matched without regard to case."""
    for word in allowed:
        if text.strip().lower() == word.lower():
            return word
    raise BadArgument(option, f"{shown(text)} is not one of {', '.join(allowed)}")


def school_named(session: Session, text: str, option: str = "--school") -> LoadedSchool:
    """The school set up under this id; a wrong id is an error listing the near matches."""
    from sqlalchemy import select
    from sqlmodel import col

    from school.models import School
    from school.schools import load_school

    ids = list(session.scalars(select(col(School.id)).order_by(col(School.id))))
    if text in ids:
        return load_school(session, text)
    import difflib

    near = difflib.get_close_matches(text, ids, n=3, cutoff=0.5)
    if near:
        raise BadArgument(option, f"no school {shown(text)}; did you mean {' or '.join(near)}?")
    here = ", ".join(ids[:8]) + (", …" if len(ids) > 8 else "") if ids else "none"
    raise BadArgument(
        option,
        f"no school {shown(text)} (set up here: {here}); create one with "
        "`attendance init --school ID --policy FILE --calendar FILE`",
    )


def school_day(school: LoadedSchool, option: str, day: date) -> date:
    """The day itself when the school meets then; otherwise an error naming the days either side."""
    calendar = school.calendar
    if calendar.is_school_day(day):
        return day
    before = calendar.last_school_day_on_or_before(day)
    after = next((d.date for d in calendar.days if d.date > day), None)
    either_side = " and ".join(
        str(d) for d in (before.date if before else None, after) if d is not None
    )
    raise BadArgument(
        option,
        f"{day} is not a school day at {school.name} (weekend, holiday or closure)"
        + (f"; the school days either side are {either_side}" if either_side else ""),
    )


def school_sessions(school: LoadedSchool, day: date, asked: str) -> list[str]:
    """The sessions asked for ("AM", "PM" or "day") that the school holds on a school day."""
    school_day(school, "--date", day)
    held: list[str] = list(school.calendar.sessions_on(day))
    if asked == "day":
        return held
    if asked not in held:
        raise BadArgument("--session", f"{school.name} holds no {asked} session on {day}")
    return [asked]
