"""The law on legal actions as constants and pure decisions: kinds, limits, amounts, wording."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Literal

from cases.legal.refusals import LegalActionRefused, _name
from cases.models import LegalAction
from school.codes import NATIONAL_THRESHOLD_CODES
from school.law import NATIONAL_THRESHOLD_SESSIONS, NATIONAL_THRESHOLD_WEEKS
from school.models import Pupil
from school.school_age import csa_end, csa_start, is_compulsory_school_age

NOTICE_TO_IMPROVE = "notice_to_improve"
PENALTY_NOTICE = "penalty_notice"
SUSPENSION_PENALTY_NOTICE = "suspension_penalty_notice"

EARLY_PAYMENT_DAYS = 21  # spec §5 1st PN: calendar days from receipt (PNREG24 r4)
PAYMENT_DAYS = 28
LOOKBACK_YEARS = 3  # spec §5 3rd PN: "the previous three years ending with" the proposed date
PENALTY_NOTICE_LIMIT = 2
# (amount if paid within 21 days, amount within 28 days) in pounds; None: no early discount.
FIRST_PN_AMOUNTS: tuple[int | None, int] = (80, 160)
SECOND_PN_AMOUNTS: tuple[int | None, int] = (None, 160)
SUSPENSION_PN_AMOUNTS: tuple[int | None, int] = (60, 120)  # spec §5 EIA 2006 s103/105 row
SUSPENSION_DUTY_SCHOOL_DAYS = 5  # the first 5 school days of a suspension or exclusion
# N is provisional until recoded; only G, O and U make a firm threshold (spec §5, §10.2).
PROVISIONAL_CODE = "N"
FIRM_CODES = frozenset(NATIONAL_THRESHOLD_CODES - {PROVISIONAL_CODE})
ALTERNATIVE_ACTION = (
    "an education supervision order (Children Act 1989 s36), which the local authority must "
    "consider before prosecuting (Education Act 1996 s447)",
    "prosecution under Education Act 1996 s444(1) or s444(1A)",
    "further support or an attendance contract",
)

# The eight things a Notice to Improve must contain (spec §5 NTI content), in letter order.
NTI_ELEMENTS = (
    ("record", "Attendance record and offences"),
    ("duty", "Why attendance matters and the parent's legal duty"),
    ("support_so_far", "Support provided so far"),
    ("further_support", "Further support available, including support refused before"),
    ("warning", "Warning"),
    ("improvement_period", "Improvement period"),
    ("sufficient_improvement", "What sufficient improvement looks like"),
    ("early_grounds", "Grounds for a penalty notice before the period ends"),
)
DUTY_TEXT = (
    "Regular attendance is essential to your child's learning, wellbeing and future. As the "
    "parent of a child of compulsory school age you have a legal duty under section 7 of the "
    "Education Act 1996 to make sure they receive a suitable full-time education, and under "
    "section 444 to make sure they attend school regularly."
)
SUFFICIENT_IMPROVEMENT = "No further unauthorised absence during the improvement period."
EARLY_GROUNDS = (
    "Any unauthorised absence during the improvement period shows that improvement has clearly "
    "failed; you will be told before a penalty notice is issued early."
)

Decision = Literal["prosecute", "withdraw"]


def lookback_start(proposed: date) -> date:
    """The first day of the three years ending with `proposed` (spec §5 3rd PN, §10.5).

    Three calendar years back, then the next day; 29 February goes back to 28 February.
    """
    try:
        same_day = proposed.replace(year=proposed.year - LOOKBACK_YEARS)
    except ValueError:  # 29 February with no 29th three years earlier
        same_day = date(proposed.year - LOOKBACK_YEARS, 2, 28)
    return same_day + timedelta(days=1)


def _same_parent(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _amounts_for(sequence: int) -> tuple[int | None, int]:
    return FIRST_PN_AMOUNTS if sequence == 1 else SECOND_PN_AMOUNTS


def amount_due(action: LegalAction, paid_on: date) -> int | None:
    """What is due on a date: the early amount within 21 days of receipt, the full amount
    within 28, nothing after (spec §5: calendar days, running from the day after receipt)."""
    if action.received_on is None or action.amount is None:
        return None
    days = (paid_on - action.received_on).days
    if action.amount_if_paid_early is not None and days <= EARLY_PAYMENT_DAYS:
        return action.amount_if_paid_early
    if days <= PAYMENT_DAYS:
        return action.amount
    return None


def payment_period_end(action: LegalAction) -> date:
    if action.received_on is None:
        raise LegalActionRefused(f"legal action {action.id} has not been received yet")
    return action.received_on + timedelta(days=PAYMENT_DAYS)


def _ordinal(sequence: int) -> str:
    return {1: "first", 2: "second"}.get(sequence, f"number {sequence}")


def _terms(early: int | None, full: int) -> str:
    if early is None:
        return f"£{full} within {PAYMENT_DAYS} days of receipt, no reduction"
    return (
        f"£{early} if paid within {EARLY_PAYMENT_DAYS} days of receipt, "
        f"£{full} within {PAYMENT_DAYS}"
    )


def _suspension_offence(seen_on: date) -> str:
    return f"seen in a public place in school hours on {seen_on}"


def _require_csa(pupil: Pupil, on: date) -> None:
    """Spec §5 Scope, §7.1: NTI, PN and prosecution apply only to compulsory school age."""
    if is_compulsory_school_age(pupil.date_of_birth, on):
        return
    start, end = csa_start(pupil.date_of_birth), csa_end(pupil.date_of_birth)
    when = f"it starts on {start}" if on < start else f"it ended on {end}"
    raise LegalActionRefused(
        f"{_name(pupil)} is not of compulsory school age on {on} ({when}): no Notice to Improve "
        "or penalty notice; letters and support only (spec §5 Scope, §7.1)"
    )


def threshold_met_at(weeks: Sequence[int], from_index: int = 0) -> int | None:
    """The index of the session that first makes the national threshold (spec §5), or None.

    `weeks` gives each unauthorised session's school week, in date order; the threshold is met
    at the first session, at `from_index` or later, with the sessions before it making
    NATIONAL_THRESHOLD_SESSIONS in NATIONAL_THRESHOLD_WEEKS school weeks.
    """
    needed = NATIONAL_THRESHOLD_SESSIONS
    for i in range(max(needed - 1, from_index), len(weeks)):
        if weeks[i] - weeks[i - needed + 1] < NATIONAL_THRESHOLD_WEEKS:
            return i
    return None


def unpaid_decision_due_on(received_on: date) -> date:
    """Day 29 after receipt: the 28 days for payment are over and the local authority must
    decide to prosecute or withdraw (spec §5 Non-payment)."""
    return received_on + timedelta(days=PAYMENT_DAYS + 1)


def nti_outcome_due_on(improvement_period_end: date) -> date:
    """The day after the improvement period ends: its outcome is then due (spec §5 NTI)."""
    return improvement_period_end + timedelta(days=1)
