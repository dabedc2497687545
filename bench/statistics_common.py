"""The statistics benchmark's references (floor SQL, naive loop), their check and the printing."""

from __future__ import annotations

import re
import statistics
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

from sqlalchemy import Date, Row, bindparam, or_, select, text
from sqlmodel import Session, col

from school.calendar import SchoolCalendar
from school.codes import (
    AEA_CODES,
    AUTHORISED_CODES,
    CODES,
    NATIONAL_THRESHOLD_CODES,
    POSSIBLE_CODES,
    PRESENT_CODES,
    UNAUTHORISED_CODES,
)
from school.law import NATIONAL_THRESHOLD_SESSIONS, NATIONAL_THRESHOLD_WEEKS
from school.models import School
from school.policy_files import LoadedPolicy, parse_policy
from school.school_age import is_compulsory_school_age
from school.schools import calendar_of, get_school
from school.statistics import Period, PupilStatistics, attendance_statistics, period_for
from school.tables import MARKS, PUPILS

ROOT = Path(__file__).resolve().parent.parent
CALENDAR_PATH = ROOT / "policies" / "calendars" / "england-2025-27.toml"
POLICY_PATH = ROOT / "policies" / "emmanuel-middle.toml"
POLICY_SCHOOL = "emmanuel-middle"
AS_OF = date(2026, 7, 20)  # the last school day of 2025-26 in the bundled calendar
SEED = 1

T = TypeVar("T")

ENGINE = "engine"
FLOOR = "floor"
NAIVE = "naive"


def school_policy(school_id: str) -> LoadedPolicy:
    """Emmanuel Middle's policy, re-badged as another school when asked (for many schools)."""
    text_ = POLICY_PATH.read_text(encoding="utf-8")
    if school_id != POLICY_SCHOOL:
        text_, found = re.subn(
            rf'^id = "{POLICY_SCHOOL}"$', f'id = "{school_id}"', text_, flags=re.MULTILINE
        )
        if found != 1:
            raise ValueError(f'{POLICY_PATH}: expected one `id = "{POLICY_SCHOOL}"` line')
    return parse_policy(text_, f"{POLICY_PATH} (as {school_id})")


# ---------------------------------------------------------------------------------------------
# The floor: one hand-written statement, as fast as we could make it on the engine's schema.
#
# Why it is fast: most marks are never aggregated one by one. Nine marks in ten are the plain
# present codes / and \, so
#   * each pupil's number of marks in the year is counted on the (pupil_id, date, session)
#     unique index alone (an index-only count per pupil: no table rows read, no sort);
#   * only the other codes (a tenth of the marks) are read, once, into `non_present`; every
#     per-code count comes from those rows: present = all marks - other marks + L, possible =
#     all marks - marks with a code that is not a possible session;
#   * the G/N/O/U rows among them (a fortieth) are joined to school_day for the threshold and
#     the run. The threshold was first met at the first unauthorised session whose 9th
#     predecessor lies at most 9 school weeks earlier: one LAG(week, 9) over the ordered rows,
#     instead of a RANGE window plus a row number. The run ending on the last school day is
#     the full days whose place counting back from it equals their distance from it.
# "m CROSS JOIN roll" keeps SQLite's join order, so it reads `non_present` through the
# (code, date) index; PostgreSQL plans the same text freely (per pupil, through the unique
# index). The same text runs on both: no dialect-specific statement was needed.

_BULK_CODES = frozenset({"/", "\\"})  # the present codes nearly every mark carries
# The rewrite relies on these facts about the codes; fail at import, never give wrong figures.
if _BULK_CODES | {"L"} != PRESENT_CODES or not PRESENT_CODES <= POSSIBLE_CODES:
    raise AssertionError("the floor assumes the present codes are /, \\ and L")
if POSSIBLE_CODES != PRESENT_CODES | AEA_CODES | AUTHORISED_CODES | UNAUTHORISED_CODES:
    raise AssertionError("the floor assumes a possible session is attended or absent")
if UNAUTHORISED_CODES != NATIONAL_THRESHOLD_CODES:
    raise AssertionError("the floor reads threshold and unauthorised sessions as one set")


def _sql_list(codes: Iterable[str]) -> str:
    return ", ".join("'" + c.replace("'", "''") + "'" for c in sorted(codes))


FLOOR_SQL = """
WITH roll AS MATERIALIZED (
  SELECT p.id, p.school_id, p.upn, p.date_of_birth,
    (SELECT COUNT(*) FROM attendance_mark m
      WHERE m.pupil_id = p.id AND m.date >= :year_start AND m.date <= :as_of) AS marks
  FROM pupil p
  WHERE p.school_id IN :school_ids AND p.admission_date <= :as_of
    AND (p.leaving_date IS NULL OR p.leaving_date >= :as_of)
),
non_present AS MATERIALIZED (
  SELECT m.pupil_id, roll.school_id, m.date, m.session, m.code
  FROM attendance_mark m CROSS JOIN roll
  WHERE m.pupil_id = roll.id AND m.code IN ({others}) AND m.date <= :as_of
),
others AS (
  SELECT pupil_id,
    COUNT(*) FILTER (WHERE date >= :year_start) AS marks,
    COUNT(*) FILTER (WHERE date >= :year_start AND code IN ({not_possible})) AS not_possible,
    COUNT(*) FILTER (WHERE date >= :year_start AND code = 'L') AS late,
    COUNT(*) FILTER (WHERE date >= :year_start AND code IN ({aea})) AS aea,
    COUNT(*) FILTER (WHERE date >= :year_start AND code IN ({authorised})) AS authorised,
    COUNT(*) FILTER (WHERE date >= :year_start AND code IN ({unauthorised})) AS unauthorised,
    COUNT(*) FILTER (WHERE date >= :half_term_start AND code = 'L') AS l_half_term,
    COUNT(*) FILTER (WHERE date >= :term_start AND code = 'L') AS l_term,
    COUNT(*) FILTER (WHERE date >= :half_term_start AND code = 'U') AS u_half_term,
    COUNT(*) FILTER (WHERE date >= :term_start AND code = 'U') AS u_term,
    COUNT(DISTINCT date) FILTER (WHERE date >= :year_start AND code = 'I') AS illness_days
  FROM non_present
  GROUP BY pupil_id
),
unauthorised AS (
  SELECT n.pupil_id, n.date, n.code, d.day_index, d.sessions, d.school_week,
    LAG(d.school_week, {back}) OVER (PARTITION BY n.pupil_id ORDER BY n.date, n.session)
      AS week_back
  FROM non_present n
    JOIN school_day d ON d.school_id = n.school_id AND d.date = n.date
  WHERE n.code IN ({unauthorised}) AND d.school_id IN :school_ids
),
threshold AS (
  SELECT pupil_id,
    COUNT(*) FILTER (WHERE date >= :window_start) AS rolling,
    COUNT(*) FILTER (WHERE code = 'N' AND date <= :overdue_n_before) AS overdue_n,
    MIN(CASE WHEN school_week - week_back < {weeks} THEN date END) AS first_met
  FROM unauthorised
  GROUP BY pupil_id
),
full_days AS (
  SELECT pupil_id, day_index,
    ROW_NUMBER() OVER (PARTITION BY pupil_id ORDER BY day_index DESC) AS back
  FROM unauthorised
  GROUP BY pupil_id, day_index, sessions
  HAVING COUNT(*) = sessions
),
run AS (
  SELECT pupil_id, COUNT(*) AS days FROM full_days
  WHERE day_index + back - 1 = :last_day_index
  GROUP BY pupil_id
),
counts AS (
  SELECT roll.school_id, roll.upn, roll.date_of_birth,
    roll.marks - COALESCE(o.not_possible, 0) AS possible,
    roll.marks - COALESCE(o.marks, 0) + COALESCE(o.late, 0) AS present,
    COALESCE(o.aea, 0) AS aea,
    COALESCE(o.authorised, 0) AS authorised,
    COALESCE(o.unauthorised, 0) AS unauthorised,
    COALESCE(t.rolling, 0) AS rolling,
    t.first_met,
    COALESCE(r.days, 0) AS run,
    COALESCE(o.illness_days, 0) AS illness_days,
    COALESCE(o.l_half_term, 0) AS l_half_term,
    COALESCE(o.l_term, 0) AS l_term,
    COALESCE(o.u_half_term, 0) AS u_half_term,
    COALESCE(o.u_term, 0) AS u_term,
    COALESCE(t.overdue_n, 0) AS overdue_n
  FROM roll
    LEFT JOIN others o ON o.pupil_id = roll.id
    LEFT JOIN threshold t ON t.pupil_id = roll.id
    LEFT JOIN run r ON r.pupil_id = roll.id
)
SELECT counts.*,
  CASE WHEN possible > 0
    THEN CAST(100 AS DOUBLE PRECISION) * (present + aea) / possible END AS attendance_pct,
  possible > 0 AND 10 * (authorised + unauthorised) >= possible AS persistent_absence,
  possible > 0 AND 2 * (authorised + unauthorised) >= possible AS severe_absence,
  rolling >= {sessions} AS threshold_met
FROM counts
ORDER BY school_id, upn
""".format(
    not_possible=_sql_list(set(CODES) - POSSIBLE_CODES),
    aea=_sql_list(AEA_CODES),
    authorised=_sql_list(AUTHORISED_CODES),
    unauthorised=_sql_list(UNAUTHORISED_CODES),
    others=_sql_list(set(CODES) - _BULK_CODES),
    back=NATIONAL_THRESHOLD_SESSIONS - 1,
    weeks=NATIONAL_THRESHOLD_WEEKS,
    sessions=NATIONAL_THRESHOLD_SESSIONS,
)
_DATE_PARAMS = (
    "as_of",
    "year_start",
    "window_start",
    "half_term_start",
    "term_start",
    "overdue_n_before",
)
FLOOR_STATEMENT = (
    text(FLOOR_SQL)
    .bindparams(
        bindparam("school_ids", expanding=True),
        *(bindparam(name, type_=Date) for name in _DATE_PARAMS),
    )
    # SQLite hands dates back as text; typing the columns makes both dialects give dates.
    .columns(date_of_birth=Date, first_met=Date)
)


def floor_parameters(period: Period) -> dict[str, Any]:
    """The statement's parameters for a counting period (every date the engine uses)."""
    return {
        "as_of": period.as_of,
        "year_start": period.year_start,
        "window_start": period.window_start,
        "half_term_start": period.half_term_start,
        "term_start": period.term_start,
        "overdue_n_before": period.overdue_n_before,
        "last_day_index": period.last_school_day_index,
    }


def floor_statistics(session: Session, school_id: str, as_of: date) -> list[PupilStatistics]:
    """One school's figures from the floor statement (same order as the engine: by UPN)."""
    period = period_for(calendar_of(get_school(session, school_id)), as_of)
    rows = session.execute(FLOOR_STATEMENT, {"school_ids": [school_id], **floor_parameters(period)})
    return [_floor_figures(row, as_of) for row in rows]


def floor_statistics_many(
    session: Session, school_ids: Sequence[str], as_of: date
) -> dict[str, list[PupilStatistics]]:
    """Many schools' figures: one statement for all the schools that share a counting period."""
    schools = session.scalars(select(School).where(col(School.id).in_(school_ids))).all()
    by_period: dict[Period, list[str]] = {}
    for school in schools:
        by_period.setdefault(period_for(calendar_of(school), as_of), []).append(school.id)
    result: dict[str, list[PupilStatistics]] = {school_id: [] for school_id in school_ids}
    for period, ids in by_period.items():
        rows = session.execute(FLOOR_STATEMENT, {"school_ids": ids, **floor_parameters(period)})
        for row in rows:
            result[row.school_id].append(_floor_figures(row, as_of))
    return result


def _floor_figures(row: Row[Any], as_of: date) -> PupilStatistics:
    return PupilStatistics(
        upn=row.upn,
        possible_sessions=row.possible,
        present_sessions=row.present,
        aea_sessions=row.aea,
        authorised_sessions=row.authorised,
        unauthorised_sessions=row.unauthorised,
        attendance_pct=row.attendance_pct,
        # SQLite gives comparisons as 0 or 1, PostgreSQL as booleans.
        persistent_absence=bool(row.persistent_absence),
        severe_absence=bool(row.severe_absence),
        unauthorised_sessions_rolling_10_school_weeks=row.rolling,
        national_threshold_met=bool(row.threshold_met),
        national_threshold_first_met_on=row.first_met,
        consecutive_unauthorised_school_days=row.run,
        illness_school_days=row.illness_days,
        late_before_close_half_term=row.l_half_term,
        late_before_close_term=row.l_term,
        late_after_close_half_term=row.u_half_term,
        late_after_close_term=row.u_term,
        overdue_n_codes=row.overdue_n,
        compulsory_school_age=is_compulsory_school_age(row.date_of_birth, as_of),
    )


# ---------------------------------------------------------------------------------------------
# The naive way: one query per pupil for their marks, then the definitions read in Python.

_PUPIL_MARKS = (
    select(MARKS.c.date, MARKS.c.session, MARKS.c.code)
    .where(MARKS.c.pupil_id == bindparam("pupil_id"), MARKS.c.date <= bindparam("as_of"))
    .order_by(MARKS.c.date, MARKS.c.session)
)


def naive_statistics(session: Session, school_id: str, as_of: date) -> list[PupilStatistics]:
    """Every on-roll pupil's figures, fetching each pupil's marks with a query of its own."""
    calendar = calendar_of(get_school(session, school_id))
    period = period_for(calendar, as_of)
    pupil = PUPILS.c
    pupils = session.execute(
        select(pupil.id, pupil.upn, pupil.date_of_birth)
        .where(
            pupil.school_id == school_id,
            pupil.admission_date <= as_of,
            or_(pupil.leaving_date.is_(None), pupil.leaving_date >= as_of),
        )
        .order_by(pupil.upn)
    ).all()
    return [
        _naive_figures(
            calendar,
            period,
            upn,
            born,
            session.execute(_PUPIL_MARKS, {"pupil_id": pupil_id, "as_of": as_of}).all(),
        )
        for pupil_id, upn, born in pupils
    ]


def _naive_figures(
    calendar: SchoolCalendar,
    period: Period,
    upn: str,
    born: date,
    marks: Sequence[Row[Any]],  # (date, session, code) up to as_of, in date and session order
) -> PupilStatistics:
    possible = present = aea = authorised = unauthorised = rolling = 0
    l_half_term = l_term = u_half_term = u_term = overdue_n = 0
    illness_days: set[date] = set()
    unauthorised_by_day: Counter[date] = Counter()
    first_met: date | None = None
    recent_weeks: deque[int] = deque()  # school weeks of the last threshold sessions
    for on, _session, code in marks:
        info = CODES[code]
        if on >= period.year_start:
            possible += info.possible
            present += info.present
            aea += info.aea
            authorised += info.authorised
            unauthorised += info.unauthorised
            if code == "I":
                illness_days.add(on)
        if info.unauthorised:
            unauthorised_by_day[on] += 1
        if info.national_threshold:
            rolling += on >= period.window_start
            day = calendar.day(on)
            if first_met is None and day is not None:
                recent_weeks.append(day.school_week)
                while recent_weeks[0] < day.school_week - (NATIONAL_THRESHOLD_WEEKS - 1):
                    recent_weeks.popleft()
                if len(recent_weeks) >= NATIONAL_THRESHOLD_SESSIONS:
                    first_met = on
        if code in ("L", "U"):
            in_half_term, in_term = on >= period.half_term_start, on >= period.term_start
            if code == "L":
                l_half_term, l_term = l_half_term + in_half_term, l_term + in_term
            else:
                u_half_term, u_term = u_half_term + in_half_term, u_term + in_term
        if code == "N" and on <= period.overdue_n_before:
            overdue_n += 1
    run = 0
    index = period.last_school_day_index
    while index >= 0:
        day = calendar.days[index]
        if unauthorised_by_day[day.date] != len(day.sessions):
            break
        run, index = run + 1, index - 1
    absent = authorised + unauthorised
    return PupilStatistics(
        upn=upn,
        possible_sessions=possible,
        present_sessions=present,
        aea_sessions=aea,
        authorised_sessions=authorised,
        unauthorised_sessions=unauthorised,
        attendance_pct=100.0 * (present + aea) / possible if possible else None,
        persistent_absence=possible > 0 and 10 * absent >= possible,
        severe_absence=possible > 0 and 2 * absent >= possible,
        unauthorised_sessions_rolling_10_school_weeks=rolling,
        national_threshold_met=rolling >= NATIONAL_THRESHOLD_SESSIONS,
        national_threshold_first_met_on=first_met,
        consecutive_unauthorised_school_days=run,
        illness_school_days=len(illness_days),
        late_before_close_half_term=l_half_term,
        late_before_close_term=l_term,
        late_after_close_half_term=u_half_term,
        late_after_close_term=u_term,
        overdue_n_codes=overdue_n,
        compulsory_school_age=is_compulsory_school_age(born, period.as_of),
    )


# ---------------------------------------------------------------------------------------------
# Checking and timing.


class FiguresDiffer(AssertionError):
    """A reference method's figures are not exactly the engine's."""


def check_same(
    method: str, engine: Sequence[PupilStatistics], other: Sequence[PupilStatistics], where: str
) -> None:
    """Fail loudly, naming pupils and fields, unless `other` is exactly the engine's figures."""
    if list(engine) == list(other):
        return
    problems: list[str] = []
    if [f.upn for f in engine] != [f.upn for f in other]:
        problems.append(
            f"pupils differ: engine has {len(engine)}, {method} {len(other)}; first UPNs "
            f"{[f.upn for f in engine[:3]]} vs {[f.upn for f in other[:3]]}"
        )
    for ours, theirs in zip(engine, other, strict=False):
        for field in fields(PupilStatistics):
            a, b = getattr(ours, field.name), getattr(theirs, field.name)
            if a != b or type(a) is not type(b):
                problems.append(f"{ours.upn} {field.name}: engine {a!r}, {method} {b!r}")
    shown = "\n  ".join(problems[:25])
    more = f"\n  ... and {len(problems) - 25} more" if len(problems) > 25 else ""
    raise FiguresDiffer(f"{where}: {method} figures differ from the engine's:\n  {shown}{more}")


def verify(session: Session, school_id: str, as_of: date) -> int:
    """Check the floor and the naive loop against the engine for one school; pupils checked."""
    engine = attendance_statistics(session, school_id, as_of)
    check_same(FLOOR, engine, floor_statistics(session, school_id, as_of), school_id)
    check_same(NAIVE, engine, naive_statistics(session, school_id, as_of), school_id)
    return len(engine)


def time_interleaved(
    methods: dict[str, Callable[[], T]], repeat: int
) -> tuple[dict[str, list[float]], dict[str, T]]:
    """Seconds per run of each method, taking turns so drift in the machine hits all alike;
    and each method's result from its first run, for checking."""
    times: dict[str, list[float]] = {name: [] for name in methods}
    results: dict[str, T] = {}
    for _ in range(repeat):
        for name, run in methods.items():
            start = perf_counter()
            result = run()
            times[name].append(perf_counter() - start)
            results.setdefault(name, result)
    return times, results


@dataclass(frozen=True)
class Line:
    """One row of the results table."""

    method: str
    times: list[float]
    note: str = ""

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def print_table(lines: Sequence[Line], floor: Line, unit: str = "s") -> None:
    """Method, best and median time, and each one's ratio to the floor (best to best)."""
    width = max(len(line.method) for line in lines)
    print(f"{'method':<{width}}  {'best ' + unit:>10}  {'median ' + unit:>10}  {'x floor':>8}")
    for line in lines:
        ratio = line.best / floor.best
        print(
            f"{line.method:<{width}}  {line.best:>10.3f}  {line.median:>10.3f}  {ratio:>8.2f}"
            + (f"  {line.note}" if line.note else "")
        )


def target(label: str, met: bool, detail: str) -> str:
    return f"  [{'met' if met else 'NOT MET'}] {label}: {detail}"
