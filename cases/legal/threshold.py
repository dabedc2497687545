"""The national threshold on firm absence, one threshold period at a time, for a whole school.

A threshold period ends on the day ten G, O or U sessions first fall within ten school weeks
(spec §5), counting only sessions after the last period somebody decided on (a "consider legal
action" proposal decided, or a notice made): the next must be "met again" (scenario 9). N
codes are provisional until recoded (spec §5, §10.2): a threshold met only with them is
reported, never acted on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from cases.legal.law import FIRM_CODES, PROVISIONAL_CODE, threshold_met_at
from cases.legal.proposals import CONSIDER
from cases.models import AttendanceCase, CaseProposal, LegalAction
from school.codes import NATIONAL_THRESHOLD_CODES
from school.law import NATIONAL_THRESHOLD_WEEKS
from school.schools import LoadedSchool
from school.tables import MARKS

DECIDED = ("confirmed", "skipped", "overridden")


@dataclass(frozen=True)
class Absence:
    """One unauthorised session: its date, session, code and school week."""

    on: date
    session: str
    code: str
    week: int
    day_index: int


@dataclass(frozen=True)
class ThresholdPeriod:
    """Where one pupil stands: the firm threshold this school year, and the period not yet
    decided on (or, when only N codes make it, how long they stay provisional)."""

    pupil_id: int
    met_this_year: date | None  # firm, whatever was decided since (the Enforce gate)
    met_on: date | None  # the undecided period's date; None: no undecided firm period
    window_start: date | None
    counts: dict[str, int] = field(default_factory=dict)
    after: date | None = None  # sessions up to this date were decided on before
    provisional_n: int = 0  # N sessions without which the threshold is not met
    n_unresolved_until: date | None = None  # when the last of them must be recoded

    def evidence(self) -> dict[str, object]:
        return {
            "met_on": self.met_on,
            "window_start": self.window_start,
            "window_end": self.met_on,
            "counts": self.counts,
            "sessions": sum(self.counts.values()),
            "after": self.after,
        }

    def summary(self) -> str:
        codes = ", ".join(f"{c} {n}" for c, n in sorted(self.counts.items()) if n)
        since = f", after the period decided on {self.after}" if self.after else ""
        return (
            f"{sum(self.counts.values())} sessions of unauthorised absence ({codes}) in the "
            f"{NATIONAL_THRESHOLD_WEEKS} school weeks from {self.window_start} to {self.met_on}"
            f"{since}: the national threshold was met on {self.met_on}"
        )

    def provisional(self) -> str | None:
        if not self.provisional_n:
            return None
        return (
            f"provisional: {self.provisional_n} N sessions unresolved until "
            f"{self.n_unresolved_until}; the national threshold is met only by counting them, "
            "so no legal action yet (spec §5: do not act on N alone)"
        )


def decided_through(session: Session, school_id: str, pupil_ids: Iterable[int]) -> dict[int, date]:
    """Each pupil's last threshold period decided on: the date of a decided "consider legal
    action" proposal, or the threshold date of a Notice to Improve or penalty notice."""
    wanted = sorted(set(pupil_ids))
    through: dict[int, date] = {}

    def later(pupil_id: int, on: date | None) -> None:
        if on is not None and (pupil_id not in through or on > through[pupil_id]):
            through[pupil_id] = on

    for pupil_id, key in session.execute(
        select(col(AttendanceCase.pupil_id), col(CaseProposal.trigger_key))
        .join(AttendanceCase, col(AttendanceCase.id) == CaseProposal.case_id)
        .where(
            col(AttendanceCase.school_id) == school_id,
            col(AttendanceCase.pupil_id).in_(wanted),
            col(CaseProposal.trigger_key).startswith(f"{CONSIDER}@"),
            col(CaseProposal.status).in_(DECIDED),
        )
    ):
        later(pupil_id, date.fromisoformat(key.split("@", 1)[1]))
    for pupil_id, on in session.execute(
        select(col(LegalAction.pupil_id), func.max(col(LegalAction.threshold_first_met_on)))
        .where(col(LegalAction.pupil_id).in_(wanted))
        .group_by(col(LegalAction.pupil_id))
    ):
        later(pupil_id, on)
    return through


def threshold_periods(
    session: Session, school: LoadedSchool, pupil_ids: Iterable[int], on: date
) -> dict[int, ThresholdPeriod]:
    """Each pupil's threshold period as of `on`, from one read of their G, N, O and U marks."""
    calendar = school.calendar
    wanted = sorted(set(pupil_ids))
    last = calendar.last_school_day_on_or_before(on)
    if not wanted or last is None:
        return {}
    year_start = calendar.academic_year_start(on)
    # A window met early in the year may reach back over the summer into last year's weeks.
    first_this_year = next(d for d in calendar.days if d.date >= year_start or d is last)
    floor_week = first_this_year.school_week - (NATIONAL_THRESHOLD_WEEKS - 1)
    floor = next(d.date for d in calendar.days if d.school_week >= floor_week)
    marks: dict[int, list[Absence]] = {p: [] for p in wanted}
    for pupil_id, day, part, code in session.execute(
        select(MARKS.c.pupil_id, MARKS.c.date, MARKS.c.session, MARKS.c.code)
        .where(
            MARKS.c.pupil_id.in_(wanted),
            MARKS.c.date.between(floor, last.date),
            MARKS.c.code.in_(sorted(NATIONAL_THRESHOLD_CODES)),
        )
        .order_by(MARKS.c.pupil_id, MARKS.c.date, MARKS.c.session)
    ):
        found = calendar.day(day)
        if found is not None:
            marks[pupil_id].append(Absence(day, part, code, found.school_week, found.day_index))
    through = decided_through(session, school.id, wanted)
    n_days = school.policy.policy.la_duties.n_code_resolution_school_days
    return {p: _period(school, p, marks[p], through.get(p), year_start, n_days) for p in wanted}


def key(s: Absence) -> tuple[date, str]:
    return (s.on, s.session)


def _first_met(sessions: list[Absence], year_start: date) -> Absence | None:
    weeks = [s.week for s in sessions]
    start = next((i for i, s in enumerate(sessions) if s.on >= year_start), len(sessions))
    i = threshold_met_at(weeks, start)
    return sessions[i] if i is not None else None


def _window(
    school: LoadedSchool, met: Absence, sessions: list[Absence]
) -> tuple[date, dict[str, int]]:
    first_week = met.week - (NATIONAL_THRESHOLD_WEEKS - 1)
    first_day = next(d.date for d in school.calendar.days if d.school_week >= first_week)
    start = first_day - timedelta(days=first_day.weekday())
    inside = [s for s in sessions if start <= s.on and key(s) <= key(met)]
    counts = {c: sum(1 for s in inside if s.code == c) for c in sorted(NATIONAL_THRESHOLD_CODES)}
    return start, counts


def _period(
    school: LoadedSchool,
    pupil_id: int,
    sessions: list[Absence],
    after: date | None,
    year_start: date,
    n_days: int,
) -> ThresholdPeriod:
    firm = [s for s in sessions if s.code in FIRM_CODES]
    this_year = _first_met(firm, year_start)
    fresh = [s for s in sessions if after is None or s.on > after]
    met = _first_met([s for s in fresh if s.code in FIRM_CODES], year_start)
    if met is not None:
        start, counts = _window(school, met, [s for s in fresh if s.code in FIRM_CODES])
        return ThresholdPeriod(
            pupil_id, this_year.on if this_year else None, met.on, start, counts, after
        )
    with_n = _first_met(fresh, year_start)
    if with_n is None:
        return ThresholdPeriod(pupil_id, this_year.on if this_year else None, None, None, {}, after)
    start, counts = _window(school, with_n, fresh)
    pending = [
        s
        for s in fresh
        if s.code == PROVISIONAL_CODE and start <= s.on and (s.on, s.session) <= key(with_n)
    ]
    days = school.calendar.days
    until = days[min(max(s.day_index for s in pending) + n_days, len(days) - 1)].date
    return ThresholdPeriod(
        pupil_id,
        this_year.on if this_year else None,
        None,
        start,
        counts,
        after,
        provisional_n=len(pending),
        n_unresolved_until=until,
    )
