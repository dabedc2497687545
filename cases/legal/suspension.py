"""Penalty notices for a suspended pupil seen in a public place (EIA 2006 s103/s105)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from cases.legal.effects import _new_action, _transaction, new_notice
from cases.legal.kept_refusals import refusal_kept
from cases.legal.law import (
    SUSPENSION_DUTY_SCHOOL_DAYS,
    SUSPENSION_PENALTY_NOTICE,
    SUSPENSION_PN_AMOUNTS,
    _require_csa,
    _suspension_offence,
    _terms,
)
from cases.legal.queries import _open_case, _parents_actions, _require_send_barriers
from cases.legal.refusals import LegalActionRefused
from cases.models import LegalAction
from school.clock import Clock
from school.schools import calendar_of
from state_machines.legal_action import SUSPENSION_PN_START


def issue_suspension_penalty_notice(
    session: Session,
    pupil_id: int,
    parent: str,
    by: str,
    *,
    suspension_starts_on: date,
    suspension_school_days: int,
    notice_given_on: date | None,
    seen_on: date,
    place: str,
    issued_on: date,
    received_on: date,
    clock: Clock,
) -> LegalAction:
    """A penalty notice for a suspended pupil seen in a public place in school hours during the
    first 5 school days of the suspension (EIA 2006 s103/s105): £60 within 21 days of receipt,
    £120 within 28. No support test, and it never counts towards the two-notice limit.
    """
    kind = SUSPENSION_PENALTY_NOTICE
    kept = refusal_kept(session, pupil_id, kind, parent, by, issued_on, clock)
    with kept, _transaction(session):
        notice = new_notice(session, pupil_id, by, parent, issued_on, clock, "the issue date")
        actor, recipient, pupil, school = notice
        parent_name = recipient.name
        _require_csa(pupil, seen_on)
        if notice_given_on is None or notice_given_on > seen_on:
            raise LegalActionRefused(
                "the duty to keep the pupil out of public places applies only once the s104 "
                "notice has been given to the parent (EIA 2006 s104): record when it was given"
            )
        calendar = calendar_of(school)
        start_day = calendar.day(suspension_starts_on)
        if start_day is None:
            raise LegalActionRefused(
                f"the suspension cannot start on {suspension_starts_on}: not a school day"
            )
        first = start_day.day_index
        covered = min(suspension_school_days, SUSPENSION_DUTY_SCHOOL_DAYS)
        duty_days = [d.date for d in calendar.days[first : first + covered]]
        if seen_on not in duty_days:
            raise LegalActionRefused(
                f"{seen_on} is not one of the first {covered} school days of the suspension "
                f"({', '.join(map(str, duty_days))}): the public-place duty covers only those "
                "(EIA 2006 s103)"
            )
        if issued_on < seen_on or received_on < issued_on:
            raise LegalActionRefused(
                f"the dates are out of order: seen {seen_on}, issued {issued_on}, received "
                f"{received_on}"
            )
        # One notice per parent per offence: the seen date is the offence (kept in the summary).
        offence = _suspension_offence(seen_on)
        same = [
            r
            for r in _parents_actions(session, pupil_id, recipient, SUSPENSION_PENALTY_NOTICE)
            if r.state != "withdrawn" and offence in (r.offence_summary or "")
        ]
        if same:
            raise LegalActionRefused(
                f"{parent_name} already has a penalty notice for {seen_on} (legal action "
                f"{same[0].id}): one notice per offence"
            )
        case = _open_case(session, pupil_id)
        _require_send_barriers(school, pupil, case, "a penalty notice")
        early, full = SUSPENSION_PN_AMOUNTS
        day = duty_days.index(seen_on) + 1
        summary = (
            f"{_suspension_offence(seen_on)} ({place}), school day {day} of a suspension from "
            f"{suspension_starts_on}; s104 notice given on {notice_given_on} (EIA 2006 s103)"
        )
        row = notice.legal_action(
            case,
            clock.now(),
            kind=SUSPENSION_PENALTY_NOTICE,
            state=SUSPENSION_PN_START,
            issued_on=issued_on,
            received_on=received_on,
            amount_if_paid_early=early,
            amount=full,
            offence_summary=summary,
        )
        _new_action(
            session,
            row,
            "issue",
            actor,
            f"{summary}; issued on {issued_on}, received on {received_on}: "
            f"{_terms(early, full)}; not counted towards the penalty notice limit",
        )
    return row
