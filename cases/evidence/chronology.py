"""The pupil's chronology: every recorded contact, case event, action, legal step and duty."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TypeVar

from sqlalchemy import select
from sqlmodel import Session, col

from cases.evidence.words import LEGAL_KINDS, scrub, session_word
from cases.models import (
    AttendanceCase,
    CaseAction,
    CaseEvent,
    LaDuty,
    LegalAction,
    LegalActionEvent,
)
from cases.support_law import status_words
from chase.models import DslAlert, ReportedAbsence, WelfareCheck, WelfareCheckEvent
from chase.notes import task_and_note_lines
from notifications.letter_words import date_words, day_words
from notifications.models import OutboxMessage
from school.clock import SCHOOL_TIME_ZONE
from school.models import Pupil

STATE_WORDS = {
    "unexplained": "unexplained",
    "parent_messaged": "parents messaged",
    "calling_primary": "calling the primary contact",
    "calling_others": "calling other contacts",
    "reasonable_steps": "every reasonable step",
    "dsl_alerted": "DSL alerted",
    "explained": "explained",
    "confirmed_safe": "confirmed safe",
}
ACTION_WORDS = {
    "planned": "planned",
    "done": "done",
    "attended": "attended",
    "not_attended": "not attended",
    "declined": "declined",
    "cancelled": "cancelled",
}

# The tables the chronology reads a pupil's rows from, each in the order they were recorded.
Recorded = TypeVar("Recorded", AttendanceCase, LegalAction, ReportedAbsence, LaDuty)


@dataclass(frozen=True, order=True)
class Entry:
    """One line of the chronology; sorted by when, then by the order it was read in."""

    at: datetime
    seq: int
    kind: str = field(compare=False)
    what: str = field(compare=False)


def at_start(on: date) -> datetime:
    return datetime.combine(on, time(0, 0), tzinfo=SCHOOL_TIME_ZONE)


class _Chronology:
    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, at: datetime, kind: str, what: str) -> None:
        self.entries.append(Entry(at, len(self.entries), kind, scrub(" ".join(what.split()))))


def _of_pupil(session: Session, table: type[Recorded], pupil: Pupil) -> list[Recorded]:
    return list(
        session.scalars(
            select(table).where(col(table.pupil_id) == pupil.id).order_by(col(table.id))
        )
    )


def _welfare_entries(session: Session, pupil: Pupil, as_of_end: datetime, out: _Chronology) -> None:
    checks = {
        c.id: c
        for c in session.scalars(
            select(WelfareCheck)
            .where(col(WelfareCheck.pupil_id) == pupil.id)
            .order_by(col(WelfareCheck.date), col(WelfareCheck.id))
        )
    }
    if not checks:
        return
    ids = list(checks)

    def label(check_id: int) -> str:
        check = checks[check_id]
        return f"{session_word(check.session)} of {day_words(check.date)}"

    for event in session.scalars(
        select(WelfareCheckEvent)
        .where(col(WelfareCheckEvent.check_id).in_(ids))
        .order_by(col(WelfareCheckEvent.id))
    ):
        if event.at > as_of_end:
            continue
        if event.trigger == "open":
            what = f"Welfare check opened, {label(event.check_id)}: {event.reason}"
        elif event.from_state == event.to_state:
            what = f"Welfare check ({label(event.check_id)}) note: {event.reason}"
        else:
            what = (
                f"Welfare check ({label(event.check_id)}): "
                f"{STATE_WORDS.get(event.from_state, event.from_state)} -> "
                f"{STATE_WORDS.get(event.to_state, event.to_state)}, {event.reason} "
                f"({event.actor})"
            )
        out.add(event.at, "Welfare check", what)
    # Messages: who, how and what became of it; never the number, the address or the body.
    for message in session.scalars(
        select(OutboxMessage)
        .where(col(OutboxMessage.check_id).in_(ids), col(OutboxMessage.alert_id).is_(None))
        .order_by(col(OutboxMessage.id))
    ):
        if message.created_at > as_of_end:
            continue
        how = "Text" if message.channel == "sms" else "Email"
        out.add(
            message.created_at,
            "Contact attempt",
            f"{how} to {message.recipient_label}: {message.status}",
        )
    kinds = {"task": "Contact attempt", "alert": "DSL alert", "check": "Welfare check"}
    for line in task_and_note_lines(session, ids):  # type: ignore[arg-type]
        if line.at <= as_of_end:
            out.add(line.at, kinds[line.about], line.what)
    for alert in session.scalars(select(DslAlert).where(col(DslAlert.check_id).in_(ids))):
        if alert.raised_at <= as_of_end:
            out.add(alert.raised_at, "DSL alert", f"DSL alerted: {alert.reason}")


def _reported_entries(
    session: Session, pupil: Pupil, as_of_end: datetime, out: _Chronology
) -> None:
    for reported in _of_pupil(session, ReportedAbsence, pupil):
        if reported.recorded_at > as_of_end:
            continue
        source = reported.source.replace("_", " ")
        out.add(
            reported.recorded_at,
            "Absence reported",
            f"Absence reported for the {session_word(reported.session)} of "
            f"{day_words(reported.date)} ({source}, recorded by {reported.recorded_by}): "
            f"{reported.reason}",
        )


def _action_words(action: CaseAction) -> str:
    details = action.details or {}
    words = action.title
    if action.kind == "letter" or "letter" in details:
        words = f"Letter: {action.title}"
        if details.get("letter"):
            words += f" ({details['letter']})"
    elif action.is_support:
        words = f"Support ({action.kind.replace('_', ' ')}): {action.title}"
    else:
        words = f"{action.kind.replace('_', ' ').capitalize()}: {action.title}"
    return words


def _case_entries(
    session: Session, pupil: Pupil, as_of_end: datetime, out: _Chronology
) -> list[AttendanceCase]:
    cases = _of_pupil(session, AttendanceCase, pupil)
    ids = [c.id for c in cases]
    if not ids:
        return cases
    for event in session.scalars(
        select(CaseEvent).where(col(CaseEvent.case_id).in_(ids)).order_by(col(CaseEvent.id))
    ):
        if event.at > as_of_end:
            continue
        who = f"{event.actor_name}, {event.actor_position}"
        if event.trigger == "open":
            what = f"Case opened at {event.to_stage}: {event.reason} ({who})"
        elif event.from_stage == event.to_stage:
            what = f"Case note ({event.trigger.replace('_', ' ')}): {event.reason} ({who})"
        else:
            what = f"Case moved {event.from_stage} -> {event.to_stage}: {event.reason} ({who})"
        out.add(event.at, "Case", what)
    for action in session.scalars(
        select(CaseAction).where(col(CaseAction.case_id).in_(ids)).order_by(col(CaseAction.id))
    ):
        words = _action_words(action)
        # Support says how far it got (planned is not offered); other actions are planned.
        offered = status_words(action) if action.is_support else "planned"
        due = f", due {date_words(action.due_on)}" if action.due_on else ""
        if action.created_at <= as_of_end:
            out.add(action.created_at, "Case action", f"{words}: {offered}{due}")
        if action.status == "planned":
            continue
        status = ACTION_WORDS.get(action.status, action.status)
        details = action.details or {}
        delivery = (
            f", sent by {details['delivery'].replace('_', ' ')}" if "delivery" in details else ""
        )
        outcome = f"; {action.outcome}" if action.outcome else ""
        by = f" ({action.completed_by})" if action.completed_by else ""
        at = action.completed_at or (
            at_start(action.due_on) if action.due_on else action.created_at
        )
        if at <= as_of_end:
            out.add(at, "Case action", f"{words}: {status}{delivery}{outcome}{by}")
    return cases


def _legal_entries(
    session: Session, pupil: Pupil, as_of_end: datetime, out: _Chronology
) -> list[LegalAction]:
    actions = _of_pupil(session, LegalAction, pupil)
    by_id = {a.id: a for a in actions}
    if not by_id:
        return actions
    for event in session.scalars(
        select(LegalActionEvent)
        .where(col(LegalActionEvent.legal_action_id).in_(list(by_id)))
        .order_by(col(LegalActionEvent.id))
    ):
        if event.at > as_of_end:
            continue
        action = by_id[event.legal_action_id]
        kind = LEGAL_KINDS.get(action.kind, action.kind)
        if event.from_state == "":
            what = f"{kind} for {action.parent_name}: {event.to_state.replace('_', ' ')}"
            if action.kind == "notice_to_improve" and action.improvement_period_end:
                what += f", improvement period to {date_words(action.improvement_period_end)}"
        else:
            what = (
                f"{kind} for {action.parent_name}: {event.from_state.replace('_', ' ')} -> "
                f"{event.to_state.replace('_', ' ')}"
            )
        out.add(event.at, "Legal action", f"{what}: {event.reason} ({event.actor})")
    return actions


def _duty_entries(session: Session, pupil: Pupil, as_of_end: datetime, out: _Chronology) -> None:
    for duty in _of_pupil(session, LaDuty, pupil):
        if duty.created_at <= as_of_end:
            out.add(
                duty.created_at,
                "LA duty",
                f"{duty.summary} (due {date_words(duty.due_on)}; {duty.status})",
            )
        if duty.done_at and duty.done_at <= as_of_end:
            out.add(duty.done_at, "LA duty", f"Done: {duty.summary} ({duty.done_by or 'staff'})")


def read(
    session: Session, pupil: Pupil, as_of: date
) -> tuple[list[Entry], list[AttendanceCase], list[LegalAction]]:
    """The chronology to the end of `as_of`, with the pupil's cases and legal actions read."""
    end = at_start(date.fromordinal(as_of.toordinal() + 1))
    out = _Chronology()
    _welfare_entries(session, pupil, end, out)
    _reported_entries(session, pupil, end, out)
    cases = _case_entries(session, pupil, end, out)
    actions = _legal_entries(session, pupil, end, out)
    _duty_entries(session, pupil, end, out)
    return sorted(out.entries), cases, actions


def get_pupil(session: Session, pupil_id: int) -> Pupil:
    pupil = session.get(Pupil, pupil_id)
    if pupil is None:
        raise LookupError(f"no pupil {pupil_id}")
    return pupil


def chronology(session: Session, pupil_id: int, as_of: date) -> list[Entry]:
    """Everything recorded about the pupil's attendance up to the end of `as_of`, oldest first."""
    return read(session, get_pupil(session, pupil_id), as_of)[0]
