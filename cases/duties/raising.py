"""The review's rules, one per kind of duty: each turns what the review read into new rows."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlmodel import Session

from cases.duties.facts import Expectation, PupilFacts, Review, row
from cases.duties.queries import absence_runs, latest_sickness_periods, overdue_n_marks
from cases.duties.rules import (
    CONTINUOUS_ABSENCE_RETURN,
    DELETION_GROUND,
    EHCP_INFORM_LA,
    RECODE_N,
    SICKNESS_RETURN,
    as_date,
)
from school.law import DELETION_GROUND_SCHOOL_DAYS
from school.statistics import PupilStatistics


def continuous_absence_returns(review: Review) -> list[dict[str, Any]]:
    """Spec §4 row 1: unauthorised absence for a continuous period of ≥10 school days.

    CSA pupils only (spec §7.1, §8.25). The run is counted by the statistics in school days
    (spec §7.2), ending on the last school day; its first day is the trigger, so the same run
    is returned once and a new run after attendance is returned again. The return is made "at
    intervals agreed with the LA": due the next school day.
    """
    rows = []
    threshold = review.rules.continuous_unauthorised_school_days
    for pupil, f in review.figures:
        run = f.consecutive_unauthorised_school_days
        if run < threshold or not f.compulsory_school_age:
            continue
        start = review.calendar.days[review.period.last_school_day_index - run + 1].date
        rows.append(
            row(
                review,
                pupil.id,
                CONTINUOUS_ABSENCE_RETURN,
                start.isoformat(),
                f"Attendance return to the LA: {pupil.name} has had unauthorised absence for "
                f"{run} continuous school days since {start:%a %d %b %Y} (send full name, "
                "address and the cause if known)",
                review.next_school_day,
                {"run_start": start.isoformat(), "school_days": run, "threshold": threshold},
            )
        )
    return rows


def sickness_returns(session: Session, review: Review) -> list[dict[str, Any]]:
    """Spec §4 row 2, §8.19: a pupil who will miss ≥15 school days this year through sickness.

    "Will" is met when the illness days in the register reach the policy's days, or when staff
    recorded grounds to expect them (`cases.duties.illness`): then the return is due at once,
    for the expected period (its first day is the trigger), and a period of I that starts by
    the end of the expected one is part of it. Otherwise one return per continuous period of
    sickness, the latest period's first day the trigger. Due now (the as-of date). CSA pupils
    only, as for every LA attendance return (spec §7.1).
    """
    threshold = review.rules.sickness_school_days
    periods = latest_sickness_periods(session, review)
    rows = []
    for pupil, f in review.figures:
        if not f.compulsory_school_age:
            continue
        expected = review.expectations.get(pupil.id)
        if expected is not None and expected.expected_total < threshold:
            expected = None  # grounds recorded, but short of the return
        latest = periods.get(pupil.id)
        if expected is not None and (latest is None or expected.covers(latest[0])):
            rows.append(_expected_sickness_return(review, pupil, f, expected, threshold))
        elif latest is not None and f.illness_school_days >= threshold:
            start, end, days = latest
            rows.append(
                row(
                    review,
                    pupil.id,
                    SICKNESS_RETURN,
                    start.isoformat(),
                    f"Sickness return to the LA: {pupil.name}, {f.illness_school_days} school "
                    f"days of illness this year; this period of sickness began "
                    f"{start:%a %d %b %Y}",
                    review.as_of,
                    {
                        "period_start": start.isoformat(),
                        "period_last_day": end.isoformat(),
                        "period_school_days": days,
                        "illness_school_days": f.illness_school_days,
                        "expected_total": f.illness_school_days,
                        "expectation": None,
                        "threshold": threshold,
                    },
                )
            )
    return rows


def _expected_sickness_return(
    review: Review, pupil: PupilFacts, f: PupilStatistics, expected: Expectation, threshold: int
) -> dict[str, Any]:
    start = date.fromisoformat(expected.first_day)
    return row(
        review,
        pupil.id,
        SICKNESS_RETURN,
        start.isoformat(),
        f"Sickness return to the LA: {pupil.name} is expected to miss {expected.expected_total} "
        f"school days through sickness this year ({f.illness_school_days} so far; "
        f"{expected.expected_school_days} expected from {start:%a %d %b %Y}: {expected.reason})",
        review.as_of,
        {
            "period_start": start.isoformat(),
            "period_last_day": expected.last_day,
            "period_school_days": expected.expected_school_days,
            "illness_school_days": f.illness_school_days,
            "expected_total": expected.expected_total,
            "expectation": asdict(expected),
            "threshold": threshold,
        },
    )


def recode_n(session: Session, review: Review) -> list[dict[str, Any]]:
    """Spec §3, §8.7: an N not replaced within the policy's school days must be recoded.

    One duty per overdue mark, due on the last school day allowed (the 5th after the session),
    proposing the code from a reason already reported for the session, else O.
    """
    days = review.rules.n_code_resolution_school_days
    rows = []
    for r in session.execute(overdue_n_marks(review)):
        deadline = review.calendar.days[r.day_index + days].date
        proposed = r.suggested_code if r.suggested_code and r.suggested_code != "N" else "O"
        because = f"reason reported: {r.reason}" if r.reason else "no reason is known"
        rows.append(
            row(
                review,
                r.pupil_id,
                RECODE_N,
                f"{r.date.isoformat()} {r.session}",
                f"Recode the N on {r.date:%a %d %b %Y} {r.session}: not replaced within {days} "
                f"school days; {because}, so propose {proposed}",
                deadline,
                {
                    "date": r.date.isoformat(),
                    "session": r.session,
                    "proposed_code": proposed,
                    "reported_reason": r.reason,
                    "deadline": deadline.isoformat(),
                },
            )
        )
    return rows


def ehcp_informs(review: Review) -> list[dict[str, Any]]:
    """Spec §4 row 3: a pupil with an EHC plan whose attendance falls → inform the LA.

    "Falls" is below the policy's percentage, or persistent absence (spec §2) when the policy
    sets none. Once per half-term (the half-term's first day is the trigger); due the next
    school day.
    """
    if not review.rules.ehcp_inform_la:
        return []
    below_pct = review.rules.ehcp_attendance_below_pct
    half_term = review.period.half_term_start
    rows = []
    for pupil, f in review.figures:
        if not pupil.ehcp or f.attendance_pct is None:
            continue
        falls = f.attendance_pct < below_pct if below_pct is not None else f.persistent_absence
        if not falls:
            continue
        measure = (
            f"below {below_pct:g}%"
            if below_pct is not None
            else "persistent absence (10% or more missed)"
        )
        rows.append(
            row(
                review,
                pupil.id,
                EHCP_INFORM_LA,
                half_term.isoformat(),
                f"Inform the LA: {pupil.name} has an EHC plan and attendance of "
                f"{f.attendance_pct:.1f}% this year, {measure}",
                review.next_school_day,
                {
                    "attendance_pct": f.attendance_pct,
                    "below_pct": below_pct,
                    "persistent_absence": f.persistent_absence,
                    "half_term_start": half_term.isoformat(),
                },
            )
        )
    return rows


def deletion_grounds(session: Session, review: Review) -> list[dict[str, Any]]:
    """Spec §4 "Ground I", offered only as a proposal for staff to confirm (design principle 7).

    The engine checks what the register shows: (1) continuously absent ≥20 school days up to
    the last school day, (2) every session of that absence G, N or O, (3) no I in it (implied by
    2) and no recorded sickness grounds this year. Condition 3's other causes and condition 4
    (joint enquiries by school and LA) are for staff, and the summary says so.
    """
    by_id = {pupil.id: (pupil, f) for pupil, f in review.figures}
    days = DELETION_GROUND_SCHOOL_DAYS
    rows = []
    for r in session.execute(absence_runs(review)):
        if r.ground_sessions != r.sessions or r.pupil_id in review.expectations:
            continue
        pupil, f = by_id[r.pupil_id]
        start = as_date(r.start)
        cautions = []
        if pupil.medical_need:
            cautions.append(
                "the pupil has a recorded medical need: consider whether sickness grounds apply"
            )
        if not f.compulsory_school_age:
            cautions.append("the pupil is not of compulsory school age")
        then = "make the deletion return to the LA" + (
            " and inform the social worker" if pupil.social_worker else ""
        )
        rows.append(
            row(
                review,
                r.pupil_id,
                DELETION_GROUND,
                start.isoformat(),
                f"proposal: the {days}-school-day ground may apply — confirm only if the school "
                "AND the LA, after jointly making reasonable enquiries, have failed to find where "
                f"{pupil.name} is, and the school has no reasonable grounds to believe the pupil "
                "cannot attend through sickness (including mental health, anxiety, EBSA, SEMH) "
                f"or an unavoidable cause. Absent {r.days} school days since "
                f"{start:%a %d %b %Y}, every session G, N or O. Once confirmed, {then}."
                + "".join(f" Note: {c}." for c in cautions),
                review.next_school_day,
                {
                    "period_start": start.isoformat(),
                    "school_days": r.days,
                    "sessions": r.sessions,
                    "codes": {"G": r.g, "N": r.n, "O": r.o},
                    "conditions": {
                        f"1 continuously absent >= {days} school days": "met",
                        "2 every session G, N or O": "met",
                        "3 no sickness or unavoidable cause": "no I in the period and no "
                        "recorded sickness grounds; staff must confirm the rest",
                        "4 joint reasonable enquiries by school and LA": "staff must confirm",
                    },
                    "cautions": cautions,
                    "social_worker": pupil.social_worker,
                },
            )
        )
    return rows
