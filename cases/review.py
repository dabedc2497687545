"""The daily review: every pupil's figures against the school's ladder, applied or proposed."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col
from transitions import EventData

from cases.models import AttendanceCase, CaseAction, CaseEvent, CaseProposal
from school.amendments import Amender
from school.calendar import SchoolCalendar, SchoolDay
from school.clock import SCHOOL_TIME_ZONE, Clock
from school.codes import ATTENDANCE_CODES, POSSIBLE_CODES
from school.database import id_of
from school.policy import LadderRung, Policy
from school.policy_files import LoadedPolicy
from school.school_age import csa_end, csa_start
from school.schools import calendar_of, get_school, policy_of
from school.statistics import PupilStatistics, attendance_statistics
from school.tables import MARKS, PUPILS
from state_machines.attendance_case import (
    CLOSED,
    STAGES,
    CaseAdapter,
    CaseFacts,
    fire,
    refusals,
    trigger_for,
)

__all__ = ["MIN_POSSIBLE_SESSIONS", "OverdueAction", "ReviewResult", "run_daily_review"]

# One absent session on the first morning of the year is 50% attendance: a band is read only
# once the pupil has a school week of possible sessions (no seed policy states a minimum).
MIN_POSSIBLE_SESSIONS = 10

# Moves into these are consequential: always a proposal a named person decides (principle 7).
CONSEQUENTIAL = frozenset({"formalise", "enforce"})
HAPPENED = frozenset({"applied", "confirmed"})
PENDING = "proposed"
AUTOMATIC_CEILING = "facilitate"
LATENESS = "lateness"
STEP_DOWN = "step_down"

# What a rung's action is called on the case, and whether it counts as support offered to
# the family (the gate for Formalise and Enforce, spec §5). Letters, monitoring, referrals and
# warnings tell or watch; they are not support.
ACTION_WORDS: dict[str, str] = {
    "letter": "Letter",
    "congratulations_letter": "Letter",
    "phone_call": "Phone call",
    "meeting": "Meeting with parents",
    "multi_agency_meeting": "Multi-agency meeting",
    "improvement_plan": "Attendance improvement plan",
    "support_plan": "Support plan",
    "action_plan": "Action plan",
    "attendance_contract": "Attendance contract",
    "medical_evidence_required": "Medical evidence required",
    "monitoring": "Monitoring",
    "weekly_updates": "Weekly updates to parents",
    "daily_contact": "Daily contact",
    "home_visit": "Home visit",
    "early_help": "Early help",
    "la_referral": "Referral to the local authority",
    "penalty_notice_warning": "Penalty notice warning",
    "legal_action_proposal": "Legal action",
}
SUPPORT_ACTIONS = frozenset(
    {
        "meeting",
        "multi_agency_meeting",
        "improvement_plan",
        "support_plan",
        "action_plan",
        "attendance_contract",
        "early_help",
        "home_visit",
    }
)
LETTER_ACTIONS = frozenset({"letter", "congratulations_letter"})
# Praise for improved attendance is not a concern: it never moves a case up, whatever stage
# the rung sits in (seed 003 places its congratulations letter in Tier 3, Listen).
MOVES_NOTHING = frozenset({"congratulations_letter"})
# No policy states when each action falls due: these school days are the engine's defaults,
# counted from the review day, for staff to change on the action.
DUE_SCHOOL_DAYS: dict[str, int] = {
    "letter": 1,
    "congratulations_letter": 1,
    "penalty_notice_warning": 1,
    "medical_evidence_required": 1,
    "phone_call": 1,
    "daily_contact": 1,
    "home_visit": 2,
    "multi_agency_meeting": 5,
    "weekly_updates": 5,
    "meeting": 10,
    "improvement_plan": 10,
    "support_plan": 10,
    "action_plan": 10,
    "attendance_contract": 10,
    "early_help": 10,
    "la_referral": 10,
}
PLAN_ACTIONS = frozenset({"improvement_plan", "support_plan", "action_plan", "attendance_contract"})
# A legal action is opened by the legal-actions flow once the case is at Enforce: the review
# only proposes the move, it never plans the notice itself.
NOT_PLANNED = frozenset({"legal_action_proposal"})


@dataclass(frozen=True)
class OverdueAction:
    """A planned action whose due date has passed: shown at the next review, not re-proposed."""

    action_id: int
    case_id: int
    pupil_id: int
    upn: str
    kind: str
    title: str
    due_on: date


@dataclass(frozen=True)
class ReviewResult:
    """What one review of one school did; `proposals` holds every row it made, applied or not."""

    school_id: str
    on: date
    review_day: date | None  # the school day the review stood for (None: before any)
    cases_opened: int = 0
    stage_moves: int = 0
    proposals_made: int = 0  # awaiting a named member of staff
    actions_applied: int = 0  # case actions planned by the engine (automatic or confirmed)
    proposals: tuple[CaseProposal, ...] = ()
    overdue: tuple[OverdueAction, ...] = ()


def run_daily_review(
    session: Session, school_id: str, on: date, clock: Clock, *, by: str = "engine"
) -> ReviewResult:
    """Review every pupil of a school as of a date (after the afternoon register); commits.

    One statistics statement for the school and bulk reads of its open cases, actions and
    proposals. Each rung of the school's ladder is evaluated on the last school day of its
    cadence's period (daily, weekly, fortnightly, half-term, term): automatic rungs are
    applied at once (actions planned with due dates, a proposal kept as "applied"), the rest
    are proposed to staff. A trigger key per cause means a second run, or a run for a missed
    day, never makes the same proposal twice. A run that loses a race with another worker
    (the same case opened or moved meanwhile) is rolled back and tried once more.
    """
    try:
        return _review(session, school_id, on, clock, by)
    except (IntegrityError, StaleDataError):
        session.rollback()
        return _review(session, school_id, on, clock, by)


# --- the calendar as the review sees it ---------------------------------------------------


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


class _Periods:
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


# --- what one review reads ------------------------------------------------------------------


@dataclass(frozen=True)
class _Pupil:
    id: int
    upn: str
    name: str
    born: date


@dataclass
class _Case:
    """One pupil's case as the review sees it: the rows read in bulk, in id order."""

    pupil: _Pupil
    figures: PupilStatistics
    row: AttendanceCase | None
    on_roll: bool = True
    proposals: list[CaseProposal] = field(default_factory=list)
    actions: list[CaseAction] = field(default_factory=list)

    @property
    def stage(self) -> str:
        return self.row.stage if self.row is not None else "expect"

    def by_key(self) -> dict[str, CaseProposal]:
        return {p.trigger_key: p for p in self.proposals}

    def happened(self, rung_ids: Iterable[str]) -> list[CaseProposal]:
        """Rungs applied by the engine or confirmed by staff, oldest first."""
        wanted = set(rung_ids)
        return sorted(
            (p for p in self.proposals if p.rung_id in wanted and p.status in HAPPENED),
            key=lambda p: (_happened_on(p), id_of(p)),
        )

    def pending(self, rung_ids: Iterable[str]) -> bool:
        wanted = set(rung_ids)
        return any(p.rung_id in wanted and p.status == PENDING for p in self.proposals)


@dataclass(frozen=True)
class _Review:
    school_id: str
    on: date
    loaded: LoadedPolicy
    periods: _Periods
    now: datetime
    actor: Amender
    by: str

    @property
    def policy(self) -> Policy:
        return self.loaded.policy

    @property
    def day(self) -> date:
        return self.periods.day.date

    @cached_property
    def ancestors(self) -> dict[str, set[str]]:
        return _ancestors(self.policy)

    @cached_property
    def entry_bands(self) -> dict[bool, set[str]]:
        """Entry bands for pupils of compulsory school age (True) and not (False)."""
        return {csa: _entry_bands(self.policy, csa) for csa in (True, False)}


@dataclass(frozen=True)
class _Step:
    """One thing the review does for a case: apply a rung, or propose it (or a step down)."""

    key: str
    rung_id: str | None
    title: str
    stage: str | None  # the stage the step belongs to; None: it moves nothing
    actions: tuple[str, ...]
    letter: str | None
    automatic: bool
    summary: str
    evidence: dict[str, Any]
    to_stage: str | None = None  # a proposed move: set for step downs


def _happened_on(p: CaseProposal) -> date:
    """When a rung took effect: the review day it was applied, or the day staff confirmed it."""
    if p.status == "confirmed" and p.decided_at is not None:
        return p.decided_at.astimezone(SCHOOL_TIME_ZONE).date()
    day = (p.evidence or {}).get("review_day")
    return date.fromisoformat(day) if day else p.created_at.astimezone(SCHOOL_TIME_ZONE).date()


def _threshold_met(review: _Review, f: PupilStatistics) -> bool:
    """Met now or earlier this school year: the test the Enforce guard applies (flows/cases)."""
    first = f.national_threshold_first_met_on
    year_start = review.periods.calendar.academic_year_start(review.on)
    return f.national_threshold_met or (first is not None and year_start <= first <= review.on)


def _bands(policy: Policy, f: PupilStatistics) -> set[str]:
    if f.attendance_pct is None or f.possible_sessions < MIN_POSSIBLE_SESSIONS:
        return set()
    return {b.id for b in policy.band if b.contains(f.attendance_pct)}


def _entry_bands(policy: Policy, csa: bool) -> set[str]:
    """Bands a rung with no earlier rung keys on: being in one is a concern on its own.

    Seed 003's "recovered" band (90% or above again) is read only after Letter One, so it
    never opens a case.
    """
    return {
        r.band
        for r in policy.ladder
        if r.band and not (r.after or r.after_any) and (csa or r.non_csa_pupils)
    }


def _ancestors(policy: Policy) -> dict[str, set[str]]:
    """Every rung each rung follows, directly or through others (its `after`/`after_any`)."""
    direct = {r.id: {*r.after, *r.after_any} for r in policy.ladder}
    result: dict[str, set[str]] = {}
    for rung_id in direct:
        seen: set[str] = set()
        todo = list(direct[rung_id])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(direct.get(current, ()))
        result[rung_id] = seen
    return result


def _missed(f: PupilStatistics) -> int:
    return f.possible_sessions - f.present_sessions - f.aea_sessions


def _figures(f: PupilStatistics, threshold_met: bool) -> dict[str, Any]:
    missed = _missed(f)
    return {
        "attendance_pct": f.attendance_pct,
        "possible_sessions": f.possible_sessions,
        "sessions_missed": missed,
        "days_lost": missed / 2,
        "unauthorised_sessions": f.unauthorised_sessions,
        "unauthorised_sessions_rolling_10_school_weeks": (
            f.unauthorised_sessions_rolling_10_school_weeks
        ),
        "national_threshold_met": threshold_met,
        "compulsory_school_age": f.compulsory_school_age,
    }


def _figures_text(f: PupilStatistics) -> str:
    if f.attendance_pct is None:
        return "no possible sessions yet this school year"
    missed = _missed(f)
    return (
        f"attendance {f.attendance_pct:.1f}% this school year ({missed} sessions missed, "
        f"{missed / 2:g} days lost)"
    )


# --- the ladder -------------------------------------------------------------------------------


@dataclass
class _Candidate:
    """A rung whose conditions hold today, before duplicates and successors are weeded out."""

    rung: LadderRung  # the rung that applies (the `then` rung when one is used instead)
    key: str
    notes: list[str]
    evidence: dict[str, Any]
    existing: CaseProposal | None
    pending: bool

    @property
    def fresh(self) -> bool:
        return self.existing is None and not self.pending


def _streak(review: _Review, case: _Case, rung: LadderRung) -> int:
    """How many periods in a row, just before this one, the rung (or its `then` used in its
    place) was applied: seed 000's standard letter "used twice in succession"."""
    done: dict[str, set[str]] = {}
    for p in case.happened([rung.id, *([rung.then] if rung.then else [])]):
        evidence = p.evidence or {}
        if p.rung_id == rung.id or evidence.get("in_place_of") == rung.id:
            done.setdefault(str(evidence.get("period")), set()).add(str(p.rung_id))
    count = 0
    for key in review.periods.earlier_keys(rung.cadence):
        if key not in done:
            break
        count += 1
    return count


def _candidate(
    review: _Review,
    case: _Case,
    rung: LadderRung,
    bands: set[str],
    threshold_met: bool,
) -> _Candidate | None:
    """The rung if every condition it states holds for the pupil today, else None."""
    policy, periods, f = review.policy, review.periods, case.figures
    if not periods.ends_today(rung.cadence):
        return None
    if not (rung.non_csa_pupils or f.compulsory_school_age):
        return None
    if rung.band is not None and rung.band not in bands:
        return None
    # Legal action is gated by the national threshold whatever the rung says (policy.py).
    if (rung.on_national_threshold or "legal_action_proposal" in rung.actions) and (
        not threshold_met
    ):
        return None
    chained = rung.after or rung.after_any or rung.requires_no_improvement
    if case.row is None and (chained or rung.requires_meeting_missed):
        return None
    if rung.after and not all(case.happened([r]) for r in rung.after):
        return None
    if rung.after_any and not case.happened(rung.after_any):
        return None
    if rung.instead_of and (case.happened(rung.instead_of) or case.pending(rung.instead_of)):
        return None
    notes: list[str] = []
    evidence: dict[str, Any] = {}
    anchor: str | None = None
    if rung.requires_meeting_missed:
        meetings = [
            a
            for a in case.actions
            if a.rung_id in rung.after and a.kind == "meeting" and a.status != "cancelled"
        ]
        if not meetings or meetings[-1].status != "not_attended":
            return None
        missed = meetings[-1]
        anchor = f"meeting:{id_of(missed)}"
        when = missed.due_on.isoformat() if missed.due_on else "the date set"
        notes.append(f"the parents did not attend the meeting ({missed.title}, due {when})")
        evidence["meeting_missed"] = id_of(missed)
    if rung.requires_no_improvement:
        ladder_ids = [r.id for r in policy.ladder]
        latest = case.happened(ladder_ids)
        if not latest or f.attendance_pct is None:
            return None
        baseline = latest[-1]
        baseline_pct = (baseline.evidence or {}).get("attendance_pct")
        baseline_on = _happened_on(baseline)
        # At least one whole period of the rung's cadence since the last communication, and
        # the policy's improvement window where it sets one (seed 000: three weeks).
        if baseline_pct is None or baseline_on >= periods.starts(rung.cadence):
            return None
        window = policy.reviews.improvement_window_weeks
        if window and review.day < periods.school_weeks_after(baseline_on, window):
            return None
        if f.attendance_pct > baseline_pct:
            return None
        anchor = anchor or f"after:{id_of(baseline)}"
        notes.append(
            f"no improvement since {baseline_on:%d %b %Y} ({baseline_pct:.1f}%, "
            f"{(baseline.evidence or {}).get('title', baseline.rung_id)})"
        )
        evidence["no_improvement_since"] = {
            "proposal_id": id_of(baseline),
            "on": baseline_on.isoformat(),
            "attendance_pct": baseline_pct,
        }
    if (
        rung.stage in CONSEQUENTIAL
        and case.happened([rung.id])
        and STAGES.index(case.stage) >= STAGES.index(rung.stage)
    ):
        return None  # confirmed before and the case is still there: nothing new to decide
    applied = rung
    if rung.max_in_succession is not None and rung.then is not None:
        streak = _streak(review, case, rung)
        if streak >= rung.max_in_succession:
            applied = next(r for r in policy.ladder if r.id == rung.then)
            if not (applied.non_csa_pupils or f.compulsory_school_age):
                return None
            label = policy.band_named(applied.band).label if applied.band else applied.title
            notes.append(
                f"{rung.title} sent {streak} times in succession: this time it is treated "
                f"as {label}"
            )
            evidence["in_place_of"] = rung.id
            evidence["in_succession"] = streak + 1
    if anchor is None:
        if rung.cadence in ("half_term", "term") or not chained:
            # Half-termly letters go once per half-term; a tier with a shorter cadence (seed
            # 004's daily critical tier) starts once per half-term, not every day.
            anchor = periods.key("half_term" if rung.cadence != "term" else "term")
        else:
            follows = case.happened([*rung.after, *rung.after_any])
            anchor = f"after:{id_of(follows[-1])}"
    key = f"{applied.id}@{anchor}"
    if rung.on_national_threshold or "legal_action_proposal" in rung.actions:
        notes.append(
            f"{f.unauthorised_sessions_rolling_10_school_weeks} unauthorised sessions in the "
            "last 10 school weeks: the national threshold is met this school year"
        )
    evidence["period"] = periods.key(rung.cadence)
    return _Candidate(
        rung=applied,
        key=key,
        notes=notes,
        evidence=evidence,
        existing=case.by_key().get(key),
        pending=case.pending([applied.id]),
    )


def _ladder_steps(
    review: _Review, case: _Case, bands: set[str], threshold_met: bool
) -> list[_Step]:
    """The rungs to apply or propose for a case today, in ladder order.

    A rung already applied once is not repeated when a later rung that follows it (through
    `after`/`after_any`) also applies, is awaiting a decision, or was made at this review: the
    ladder has moved past it (seed 001's Level 2, not Level 1 again). A rung never applied
    still goes out beside its successor (Level 4's letter beside the EWS referral). Of rungs
    that are alternatives (`instead_of`), only the first is proposed.
    """
    policy, ancestors = review.policy, review.ancestors
    found = [
        c
        for r in policy.ladder
        if (c := _candidate(review, case, r, bands, threshold_met)) is not None
    ]

    def standing(c: _Candidate) -> bool:
        made_today = (
            c.existing is not None
            and (c.existing.evidence or {}).get("review_day") == review.day.isoformat()
        )
        return c.fresh or c.pending or made_today

    steps: list[_Step] = []
    chosen: dict[str, _Candidate] = {}
    for c in found:
        passed = case.happened([c.rung.id]) and any(
            c.rung.id in ancestors[o.rung.id] and standing(o) for o in found if o is not c
        )
        if passed:
            continue
        if not c.fresh or c.key in chosen:
            continue
        alternatives = [o for o in chosen.values() if c.rung.id in o.rung.instead_of]
        if alternatives:
            continue
        chosen[c.key] = c
        steps.append(_rung_step(review, case, c, threshold_met, found))
    return steps


def _rung_step(
    review: _Review,
    case: _Case,
    c: _Candidate,
    threshold_met: bool,
    found: list[_Candidate],
) -> _Step:
    rung, f = c.rung, case.figures
    automatic = rung.automatic and rung.stage not in CONSEQUENTIAL  # policy_law says so too
    notes = list(c.notes)
    alternatives = [o.rung for o in found if o.rung.id in rung.instead_of and o.fresh]
    if alternatives:
        notes.append(
            "or instead: "
            + "; ".join(a.title for a in alternatives)
            + " (skip this proposal to have it proposed at the next review)"
        )
    summary = f"{rung.title}: {_figures_text(f)}" + "".join(f"; {n}" for n in notes)
    evidence = {
        **_figures(f, threshold_met),
        **c.evidence,
        "band": rung.band,
        "actions": list(rung.actions),
        "letter": rung.letter,
        "alternatives": [a.id for a in alternatives],
    }
    return _Step(
        key=c.key,
        rung_id=rung.id,
        title=rung.title,
        stage=rung.stage,
        actions=tuple(rung.actions),
        letter=rung.letter,
        automatic=automatic,
        summary=summary,
        evidence=evidence,
    )


def _lateness_step(review: _Review, case: _Case, threshold_met: bool) -> _Step | None:
    """Persistent lateness as the policy counts it (L and U marks); always a proposal.

    Only a policy with numbers can trigger it: seeds 000, 002, 003 and 004 give none and
    leave the judgement to staff, who see the counts in the statistics.
    """
    rules, f = review.policy.lateness, case.figures
    if rules.action is None and not rules.letters:
        return None
    if not review.periods.ends_today("review"):
        return None
    half_term = f.late_before_close_half_term + f.late_after_close_half_term
    term = f.late_before_close_term + f.late_after_close_term
    reasons = []
    if rules.more_than_per_half_term is not None and half_term > rules.more_than_per_half_term:
        reasons.append(
            f"{half_term} late arrivals this half-term (more than {rules.more_than_per_half_term})"
        )
    if rules.more_than_per_term is not None and term > rules.more_than_per_term:
        reasons.append(f"{term} late arrivals this term (more than {rules.more_than_per_term})")
    if not reasons:
        return None
    key = f"{LATENESS}@{review.periods.key('half_term')}"
    earlier = [p for p in case.proposals if p.trigger_key.startswith(f"{LATENESS}@")]
    if key in case.by_key() or any(p.status == PENDING for p in earlier):
        return None
    # The policy's letters in order, one per occasion; the last one comes with its action.
    sent = sum(1 for p in earlier if p.status in HAPPENED)
    letter = rules.letters[min(sent, len(rules.letters) - 1)] if rules.letters else None
    last = not rules.letters or sent >= len(rules.letters) - 1
    actions = (("letter",) if letter else ()) + ((rules.action,) if rules.action and last else ())
    summary = "Persistent lateness: " + "; ".join(reasons)
    if rules.note:
        summary += f" ({rules.note})"
    return _Step(
        key=key,
        rung_id=None,
        title="Persistent lateness",
        stage=None,
        actions=actions,
        letter=letter,
        automatic=False,
        summary=summary,
        evidence={
            **_figures(f, threshold_met),
            "late_half_term": half_term,
            "late_term": term,
            "actions": list(actions),
            "letter": letter,
            "period": review.periods.key("half_term"),
        },
    )


def _step_down_step(
    review: _Review, case: _Case, before_pct: float | None, threshold_met: bool
) -> _Step | None:
    """Back out of every band at the start and the end of a whole review period: propose
    stepping down to Monitor, or closing a case already there. Never automatic."""
    row = case.row
    if row is None or STAGES.index(case.stage) < STAGES.index("monitor"):
        return None
    if any(p.status == PENDING for p in case.proposals):
        return None  # staff decide what is awaiting them first (a meeting, a referral)
    to_stage = "monitor" if case.stage != "monitor" else CLOSED
    ladder_ids = [r.id for r in review.policy.ladder]
    latest = case.happened(ladder_ids)
    since = f"after:{id_of(latest[-1])}" if latest else "opened"
    key = f"{STEP_DOWN}:{case.stage}@{since}"
    if key in case.by_key():
        return None
    weeks = review.policy.reviews.review_every_school_weeks
    what = "step down to Monitor" if to_stage == "monitor" else "close the case"
    summary = (
        f"Attendance back out of every band for the last {weeks} school week(s): {what} "
        f"({_figures_text(case.figures)}; {before_pct:.1f}% at the start of the period)"
    )
    return _Step(
        key=key,
        rung_id=None,
        title="Step down",
        stage=None,
        actions=(),
        letter=None,
        automatic=False,
        summary=summary,
        evidence={
            **_figures(case.figures, threshold_met),
            "attendance_pct_at_period_start": before_pct,
            "period": review.periods.key("review"),
            "actions": [],
        },
        to_stage=to_stage,
    )


def _attendance_before(
    session: Session, review: _Review, cases: list[_Case]
) -> dict[int, float | None]:
    """Each pupil's attendance just before the current review period: today's figures less
    the marks of the period (one grouped statement for the pupils asked about)."""
    if not cases:
        return {}
    # A block of school weeks may reach back over the summer into last year's figures.
    calendar = review.periods.calendar
    start = max(review.periods.starts("review"), calendar.academic_year_start(review.on))
    ids = [c.pupil.id for c in cases]
    rows = session.execute(
        select(
            MARKS.c.pupil_id,
            func.count().filter(MARKS.c.code.in_(sorted(POSSIBLE_CODES))),
            func.count().filter(MARKS.c.code.in_(sorted(ATTENDANCE_CODES))),
        )
        .where(MARKS.c.pupil_id.in_(ids), MARKS.c.date.between(start, review.on))
        .group_by(MARKS.c.pupil_id)
    ).all()
    period = {pupil_id: (possible, attended) for pupil_id, possible, attended in rows}
    result: dict[int, float | None] = {}
    for c in cases:
        possible, attended = period.get(c.pupil.id, (0, 0))
        f = c.figures
        before_possible = f.possible_sessions - possible
        before_attended = f.present_sessions + f.aea_sessions - attended
        result[c.pupil.id] = (
            100.0 * before_attended / before_possible
            if before_possible >= MIN_POSSIBLE_SESSIONS
            else None
        )
    return result


# --- writing ----------------------------------------------------------------------------------


class _Effects:
    """Writes the event row for each move the review makes (the machine's CaseEffects)."""

    def __init__(self, session: Session, review: _Review, case: _Case) -> None:
        self.session, self.review, self.case = session, review, case

    def record_move(self, adapter: CaseAdapter, event: EventData) -> None:
        transition = event.transition
        _event(
            self.session,
            self.review,
            self.case,
            from_stage=transition.source if transition else "",
            to_stage=adapter.state,
            trigger=event.event.name if event.event else "",
            reason=event.kwargs["reason"],
        )

    def close(self, adapter: CaseAdapter, event: EventData) -> None:
        adapter.row.closed_at = self.review.now  # the review never closes a case itself


def _event(
    session: Session,
    review: _Review,
    case: _Case,
    *,
    from_stage: str,
    to_stage: str,
    trigger: str,
    reason: str,
) -> None:
    assert case.row is not None
    session.add(
        CaseEvent(
            case_id=id_of(case.row),
            at=review.now,
            from_stage=from_stage,
            to_stage=to_stage,
            trigger=trigger,
            actor_name=review.actor.name,
            actor_position=review.actor.position,
            reason=reason,
            policy_version=review.loaded.version,
            statistics={"as_of": review.on.isoformat(), **case.figures.as_json()},
        )
    )


def _facts(review: _Review, case: _Case, threshold_met: bool) -> CaseFacts:
    row, f, born = case.row, case.figures, case.pupil.born
    return CaseFacts(
        as_of=review.on,
        support_offered=any(a.is_support and a.status != "cancelled" for a in case.actions),
        support_not_appropriate=row.support_not_appropriate if row else None,
        compulsory_school_age=f.compulsory_school_age,
        csa_starts=csa_start(born),
        csa_ends=csa_end(born),
        unauthorised_sessions=f.unauthorised_sessions,
        rolling_unauthorised_sessions=f.unauthorised_sessions_rolling_10_school_weeks,
        national_threshold_met=threshold_met,
        send_barriers_required=review.policy.legal.send_barriers_considered_before_sanction,
        send_barriers_considered=row is not None and row.send_barriers_considered_at is not None,
    )


def _planned_actions(review: _Review, case_id: int, proposal: CaseProposal) -> list[CaseAction]:
    """The case actions of an applied (or confirmed) step, each with its due and review dates."""
    periods, reviews = review.periods, review.policy.reviews
    evidence = proposal.evidence or {}
    letter = evidence.get("letter")
    title = evidence.get("title") or proposal.summary
    rows = []
    for kind in evidence.get("actions", []):
        if kind in NOT_PLANNED:
            continue
        review_on: date | None = None
        if kind == "monitoring":
            weeks = reviews.monitoring_weeks or reviews.review_every_school_weeks
            due_on = review_on = periods.school_weeks_after(review.day, weeks)
        else:
            due_on = periods.school_days_after(DUE_SCHOOL_DAYS.get(kind, 10))
        if kind in PLAN_ACTIONS:
            weeks = reviews.improvement_window_weeks or reviews.review_every_school_weeks
            review_on = periods.school_weeks_after(due_on, weeks)
        details: dict[str, Any] = {
            "proposal_id": id_of(proposal),
            "trigger_key": proposal.trigger_key,
            "attendance_pct": evidence.get("attendance_pct"),
        }
        if kind in LETTER_ACTIONS and letter:
            details["letter"] = letter
        if kind == "medical_evidence_required":
            rules = review.policy.medical_evidence
            details["below_attendance_pct"] = rules.below_attendance_pct
            details["note"] = rules.note
        rows.append(
            CaseAction(
                case_id=case_id,
                kind=kind,
                rung_id=proposal.rung_id,
                title=f"{ACTION_WORDS.get(kind, kind)}: {title}",
                is_support=kind in SUPPORT_ACTIONS,
                due_on=due_on,
                review_on=review_on,
                status="planned",
                created_at=review.now,
                created_by=review.by,
                details=details,
            )
        )
    return rows


def _actor(by: str) -> Amender:
    name, _, position = by.partition(",")
    return Amender(name.strip() or "engine", position.strip() or "daily review")


def _review(session: Session, school_id: str, on: date, clock: Clock, by: str) -> ReviewResult:
    school = get_school(session, school_id)
    loaded = policy_of(school)
    calendar = calendar_of(school)
    day = calendar.last_school_day_on_or_before(on)
    if day is None:
        return ReviewResult(school_id, on, None)
    policy = loaded.policy
    review = _Review(
        school_id=school_id,
        on=on,
        loaded=loaded,
        periods=_Periods(calendar, day, policy.reviews.review_every_school_weeks),
        now=clock.now(),
        actor=_actor(by),
        by=by,
    )
    cases = _read(session, review)
    work: list[_Work] = []
    quiet: list[_Case] = []
    for case in cases:
        if not case.on_roll:
            continue
        threshold_met = _threshold_met(review, case.figures)
        bands = _bands(policy, case.figures)
        concern = bands & review.entry_bands[case.figures.compulsory_school_age]
        steps = _ladder_steps(review, case, bands, threshold_met)
        lateness = _lateness_step(review, case, threshold_met)
        if lateness is not None:
            steps.append(lateness)
        if steps or concern:
            work.append(_Work(case, steps, bands, threshold_met))
        elif case.row is not None and not case.figures.national_threshold_met:
            quiet.append(case)
    if review.periods.ends_today("review"):
        work.extend(_step_downs(session, review, quiet))
    writer = _Writer(session, review)
    writer.write(work)
    writer.plan_confirmed(cases)
    overdue = _overdue(review, cases)
    session.commit()
    return ReviewResult(
        school_id=school_id,
        on=on,
        review_day=day.date,
        cases_opened=writer.opened,
        stage_moves=writer.moves,
        proposals_made=sum(1 for p in writer.made if p.status == PENDING),
        actions_applied=writer.actions,
        proposals=tuple(writer.made),
        overdue=overdue,
    )


def _step_downs(session: Session, review: _Review, quiet: list[_Case]) -> list[_Work]:
    """Cases whose pupil is out of every band today and was at the start of the period."""
    policy = review.policy
    candidates = [c for c in quiet if STAGES.index(c.stage) >= STAGES.index("monitor")]
    before = _attendance_before(session, review, candidates)
    work = []
    for case in candidates:
        pct = before.get(case.pupil.id)
        entry = review.entry_bands[case.figures.compulsory_school_age]
        if pct is None or entry & {b.id for b in policy.band if b.contains(pct)}:
            continue
        threshold_met = _threshold_met(review, case.figures)
        step = _step_down_step(review, case, pct, threshold_met)
        if step is not None:
            work.append(_Work(case, [step], set(), threshold_met))
    return work


def _read(session: Session, review: _Review) -> list[_Case]:
    """Every on-roll pupil with their figures and open case, from a handful of bulk reads."""
    figures = attendance_statistics(session, review.school_id, review.on)
    pupils = {
        upn: _Pupil(pupil_id, upn, f"{given} {family}", born)
        for pupil_id, upn, given, family, born in session.execute(
            select(
                PUPILS.c.id,
                PUPILS.c.upn,
                PUPILS.c.given_name,
                PUPILS.c.family_name,
                PUPILS.c.date_of_birth,
            ).where(PUPILS.c.school_id == review.school_id)
        )
    }
    open_cases = (
        select(col(AttendanceCase.id))
        .where(
            col(AttendanceCase.school_id) == review.school_id,
            col(AttendanceCase.closed_at).is_(None),
        )
        .scalar_subquery()
    )
    rows = {
        c.pupil_id: c
        for c in session.scalars(
            select(AttendanceCase).where(col(AttendanceCase.id).in_(open_cases))
        )
    }
    proposals: dict[int, list[CaseProposal]] = {}
    for p in session.scalars(
        select(CaseProposal)
        .where(col(CaseProposal.case_id).in_(open_cases))
        .order_by(col(CaseProposal.id))
    ):
        proposals.setdefault(p.case_id, []).append(p)
    actions: dict[int, list[CaseAction]] = {}
    for a in session.scalars(
        select(CaseAction)
        .where(col(CaseAction.case_id).in_(open_cases))
        .order_by(col(CaseAction.id))
    ):
        actions.setdefault(a.case_id, []).append(a)

    def case_of(pupil: _Pupil, f: PupilStatistics | None) -> _Case:
        row = rows.pop(pupil.id, None)
        case_id = id_of(row) if row is not None else -1
        return _Case(
            pupil=pupil,
            figures=f or _off_roll(pupil.upn),
            row=row,
            on_roll=f is not None,
            proposals=proposals.get(case_id, []),
            actions=actions.get(case_id, []),
        )

    cases = [case_of(pupils[f.upn], f) for f in figures]
    # Open cases of pupils off roll today are not reviewed, but their overdue actions show.
    by_id = {p.id: p for p in pupils.values()}
    cases.extend(case_of(by_id[pupil_id], None) for pupil_id in list(rows))
    return cases


def _off_roll(upn: str) -> PupilStatistics:
    """Empty figures for a pupil off roll on the review day."""
    return PupilStatistics(
        upn, 0, 0, 0, 0, 0, None, False, False, 0, False, None, 0, 0, 0, 0, 0, 0, 0, False
    )


def _overdue(review: _Review, cases: list[_Case]) -> tuple[OverdueAction, ...]:
    rows = [
        OverdueAction(id_of(a), a.case_id, c.pupil.id, c.pupil.upn, a.kind, a.title, a.due_on)
        for c in cases
        for a in c.actions
        if a.status == "planned" and a.due_on is not None and a.due_on < review.on
    ]
    return tuple(sorted(rows, key=lambda o: (o.due_on, o.action_id)))


@dataclass(frozen=True)
class _Work:
    """What the review decided for one case, written by _Writer."""

    case: _Case
    steps: list[_Step]
    bands: set[str]
    threshold_met: bool


class _Writer:
    """Opens cases, moves them, and writes proposals and actions into the review's transaction.

    New cases go in one flush and new proposals in another, so a school-wide review costs a
    few statements however many pupils it touches.
    """

    def __init__(self, session: Session, review: _Review) -> None:
        self.session, self.review = session, review
        self.opened = self.moves = self.actions = 0
        self.made: list[CaseProposal] = []

    def write(self, work: list[_Work]) -> None:
        review, session = self.review, self.session
        opened = [w for w in work if w.case.row is None]
        new_cases = {id(w.case) for w in opened}
        for w in opened:
            w.case.row = AttendanceCase(
                school_id=review.school_id,
                pupil_id=w.case.pupil.id,
                stage="expect",
                opened_at=review.now,
                policy_version=review.loaded.version,
            )
            session.add(w.case.row)
        session.flush()
        self.opened += len(opened)
        new: list[tuple[_Case, CaseProposal, _Step]] = []
        for w in work:
            why = _why(review, w.case, w.steps, w.bands)
            if id(w.case) in new_cases:
                _event(
                    session,
                    review,
                    w.case,
                    from_stage="",
                    to_stage="expect",
                    trigger="open",
                    reason=why,
                )
            self._move(w, why)
            new.extend((w.case, self._proposal(w, step), step) for step in w.steps)
        session.add_all(p for _, p, _ in new)
        session.flush()
        for case, proposal, step in new:
            case.proposals.append(proposal)
            self.made.append(proposal)
            if step.automatic:
                self._plan(case, proposal)

    def _move(self, w: _Work, why: str) -> None:
        """Opening and moving up to Facilitate may be automatic; Formalise and Enforce never."""
        case = w.case
        assert case.row is not None
        target = "monitor"
        for step in w.steps:
            if step.automatic and step.stage is not None and set(step.actions) - MOVES_NOTHING:
                target = max(target, step.stage, key=STAGES.index)
        target = min(target, AUTOMATIC_CEILING, key=STAGES.index)
        if STAGES.index(target) <= STAGES.index(case.stage):
            return  # the review never steps a case down by itself
        adapter = CaseAdapter(case.row, _Effects(self.session, self.review, case))
        facts = _facts(self.review, case, w.threshold_met)
        fire(adapter, trigger_for(case.stage, target), facts, reason=why)
        self.moves += 1

    def _proposal(self, w: _Work, step: _Step) -> CaseProposal:
        review, case = self.review, w.case
        assert case.row is not None
        to_stage = step.to_stage
        if (
            to_stage is None
            and step.stage is not None
            and not step.automatic
            and STAGES.index(step.stage) > STAGES.index(case.stage)
        ):
            to_stage = step.stage
        evidence = {
            **step.evidence,
            "title": step.title,
            "as_of": review.on.isoformat(),
            "review_day": review.day.isoformat(),
            "policy_version": review.loaded.version,
        }
        if to_stage in CONSEQUENTIAL:
            # What the guards would say today, so the person deciding sees it first.
            evidence["guard_reasons"] = refusals(to_stage, _facts(review, case, w.threshold_met))
        return CaseProposal(
            case_id=id_of(case.row),
            trigger_key=step.key,
            kind=_kind(step.actions, to_stage),
            rung_id=step.rung_id,
            to_stage=to_stage,
            summary=step.summary,
            evidence=evidence,
            created_at=review.now,
            status="applied" if step.automatic else PENDING,
            decided_by=review.by if step.automatic else None,
            decided_at=review.now if step.automatic else None,
            decision_reason="automatic in the school's policy" if step.automatic else None,
        )

    def _plan(self, case: _Case, proposal: CaseProposal) -> None:
        assert case.row is not None
        rows = _planned_actions(self.review, id_of(case.row), proposal)
        self.session.add_all(rows)
        case.actions.extend(rows)
        self.actions += len(rows)

    def plan_confirmed(self, cases: list[_Case]) -> None:
        """Plan the actions of proposals staff confirmed since the last review: confirming
        moves the case (flows/cases), the letters, meetings and plans are planned here."""
        for case in cases:
            planned_for = {(a.details or {}).get("proposal_id") for a in case.actions}
            for p in case.proposals:
                if p.status == "confirmed" and id_of(p) not in planned_for:
                    self._plan(case, p)


def _kind(actions: Iterable[str], to_stage: str | None) -> str:
    wanted = set(actions)
    if to_stage in CONSEQUENTIAL or to_stage == CLOSED or (to_stage and not wanted):
        return "stage_move"
    if "legal_action_proposal" in wanted:
        return "legal"
    if wanted & LETTER_ACTIONS:
        return "letter"
    if wanted & {"meeting", "multi_agency_meeting"}:
        return "meeting"
    if wanted & {"la_referral", "early_help"}:
        return "referral"
    return "review"


def _why(review: _Review, case: _Case, steps: list[_Step], bands: set[str]) -> str:
    labels = [b.label for b in review.policy.band if b.id in bands]
    what = "; ".join(s.title for s in steps) or "in " + ", ".join(labels)
    return f"daily review of {review.day.isoformat()}: {_figures_text(case.figures)}: {what}"
