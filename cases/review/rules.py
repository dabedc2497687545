"""The review's constants and pure decisions on a pupil's figures and the policy's ladder."""

from __future__ import annotations

from datetime import date
from typing import Any

from cases.models import CaseProposal
from school.clock import SCHOOL_TIME_ZONE
from school.policy import Policy
from school.statistics import PupilStatistics

# One absent session on the first morning of the year is 50% attendance: a band is read only
# once the pupil has a school week of possible sessions (no seed policy states a minimum).
MIN_POSSIBLE_SESSIONS = 10

# Moves into these are consequential: always a proposal a named person decides (principle 7).
CONSEQUENTIAL = frozenset({"formalise", "enforce"})
HAPPENED = frozenset({"applied", "confirmed"})
PENDING = "proposed"
# A proposal whose facts changed before anyone decided it: refused on confirming, and made
# afresh (the same row, new facts) by the next review whose ladder still calls for it.
STALE = "stale"
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


def happened_on(p: CaseProposal) -> date:
    """When a rung took effect: the review day it was applied, or the day staff confirmed it."""
    if p.status == "confirmed" and p.decided_at is not None:
        return p.decided_at.astimezone(SCHOOL_TIME_ZONE).date()
    day = (p.evidence or {}).get("review_day")
    return date.fromisoformat(day) if day else p.created_at.astimezone(SCHOOL_TIME_ZONE).date()


def bands(policy: Policy, f: PupilStatistics) -> set[str]:
    if f.attendance_pct is None or f.possible_sessions < MIN_POSSIBLE_SESSIONS:
        return set()
    return {b.id for b in policy.band if b.contains(f.attendance_pct)}


def entry_bands(policy: Policy, csa: bool) -> set[str]:
    """Bands a rung with no earlier rung keys on: being in one is a concern on its own.

    Seed 003's "recovered" band (90% or above again) is read only after Letter One, so it
    never opens a case.
    """
    return {
        r.band
        for r in policy.ladder
        if r.band and not (r.after or r.after_any) and (csa or r.non_csa_pupils)
    }


def ancestors(policy: Policy) -> dict[str, set[str]]:
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


def figures(f: PupilStatistics, threshold_met: bool) -> dict[str, Any]:
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


def figures_text(f: PupilStatistics) -> str:
    if f.attendance_pct is None:
        return "no possible sessions yet this school year"
    missed = _missed(f)
    return (
        f"attendance {f.attendance_pct:.1f}% this school year ({missed} sessions missed, "
        f"{missed / 2:g} days lost)"
    )
