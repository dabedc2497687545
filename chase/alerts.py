"""A DSL alert as the DSL reads it: what was known when it was raised, and what happened since."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from chase.checks import seen_in
from chase.models import DslAlert, WelfareCheck, WelfareCheckEvent
from chase.notes import notes_of
from chase.responses import TASK_OUTCOMES
from chase.timeline import (
    arrival_time,
    arrival_words,
    arrivals_that_day,
    clock_time,
    timeline_entries,
)
from school.codes import CODES
from school.database import id_of
from school.models import AttendanceMark, Pupil
from state_machines.welfare_check import FINISHED


@dataclass(frozen=True)
class AlertView:
    """The stored alert (reason, timeline, policy version), and the present read beside it."""

    alert: DslAlert
    pupil: Pupil
    safe: str | None  # "SEEN SAFE since 10:12: arrived, marked L", or None while not known
    since: list[dict[str, Any]]  # what happened after it was raised, in the timeline's words


def alert_views(session: Session, school_id: str, *, acknowledged: bool) -> list[AlertView]:
    """The school's alerts, oldest first; acknowledged ones only when asked for."""
    query = (
        select(DslAlert, WelfareCheck, Pupil)
        .join(WelfareCheck, col(WelfareCheck.id) == DslAlert.check_id)
        .join(Pupil, col(Pupil.id) == WelfareCheck.pupil_id)
        .where(col(DslAlert.school_id) == school_id)
        .order_by(col(DslAlert.raised_at), col(DslAlert.id))
    )
    if not acknowledged:
        query = query.where(col(DslAlert.acknowledged_at).is_(None))
    return [_view(session, *row) for row in session.execute(query).all()]


def _view(session: Session, alert: DslAlert, check: WelfareCheck, pupil: Pupil) -> AlertView:
    since = [
        e.row() for e in timeline_entries(session, check) if e.happened and e.at > alert.raised_at
    ]
    return AlertView(alert, pupil, _safe_since(session, check, alert.raised_at), since)


def _safe_since(session: Session, check: WelfareCheck, raised_at: datetime) -> str | None:
    """Whether the child has been seen (a present or late mark, confirmed safe) or the absence
    explained since the alert; seeing the child outranks an explanation."""
    settled = [
        e
        for e in session.scalars(
            select(WelfareCheckEvent)
            .where(col(WelfareCheckEvent.check_id) == check.id)
            .order_by(col(WelfareCheckEvent.id))
        )
        if e.at > raised_at and e.to_state in FINISHED and e.from_state != e.to_state
    ]
    code = session.scalars(
        select(col(AttendanceMark.code)).where(
            col(AttendanceMark.pupil_id) == check.pupil_id,
            col(AttendanceMark.date) == check.date,
            col(AttendanceMark.session) == check.session,
        )
    ).first()
    # The register's own closing of the check dates the mark; a mark imported after the chase
    # stopped ticking has no time of its own.
    by_register = next((e.at for e in settled if e.actor == "register"), None)
    seen: list[tuple[datetime | None, str]] = []
    # The signing-in book knows when the child arrived and who saw them in; a mark alone does not.
    seen += [(arrival_time(a), arrival_words(a)) for a in arrivals_that_day(session, check)]
    if code is not None and code != "N" and seen_in(code) and not seen:
        seen.append((by_register, f"arrived, marked {code}"))
    seen += [
        (e.at, f"confirmed safe by {e.actor}: {e.reason}")
        for e in settled
        if e.to_state == "confirmed_safe"
    ]
    # A visit that saw the child counts even when the check had already been explained.
    seen += [
        (n.recorded_at, f"{n.outcome.replace('_', ' ')}, recorded by {n.recorded_by}")
        for n in notes_of(session, [id_of(check)])
        if n.recorded_at > raised_at
        and n.outcome
        and TASK_OUTCOMES.get(n.outcome) == "confirm_safe"
    ]
    if seen:
        at, words = min(seen, key=lambda s: (s[0] is None, s[0] or raised_at))
        return _header("SEEN SAFE", at, words)
    if code is not None and code != "N":
        words = f"recorded as {code} ({CODES[code].meaning})"
        return _header("EXPLAINED, NOT SEEN", by_register, words)
    explained = next((e for e in settled if e.to_state == "explained"), None)
    if explained is not None:
        return _header(
            "EXPLAINED, NOT SEEN", explained.at, f"{explained.reason} ({explained.actor})"
        )
    return None


def _header(kind: str, at: datetime | None, words: str) -> str:
    return f"{kind} since {clock_time(at) if at else 'the alert'}: {words}"
