"""A subject access request: everything held about one pupil, each record as it is stored."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, SQLModel, col, or_, select

from cases.models import (
    AttendanceCase,
    CaseAction,
    CaseEvent,
    CaseProposal,
    LaDuty,
    LegalAction,
    LegalActionEvent,
    LegalRefusal,
    PupilCarer,
    StoredLetter,
)
from chase.models import (
    DslAlert,
    Note,
    ReportedAbsence,
    SafeguardingAction,
    StaffTask,
    WatchdogAlert,
    WelfareCheck,
    WelfareCheckEvent,
)
from notifications.models import OutboxMessage
from school.accounts import AuditEntry
from school.database import id_of
from school.models import Arrival, AttendanceMark, Contact, MarkAmendment, Pupil


def _rows(session: Session, table: type[SQLModel], column: Any, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    return list(session.scalars(select(table).where(col(column).in_(ids)).order_by(col(column))))


def _plain(row: SQLModel) -> dict[str, Any]:
    return {name: getattr(row, name) for name in type(row).model_fields}


def pupil_record(session: Session, pupil: Pupil) -> dict[str, Any]:
    """Every stored record about the pupil: the pupil, contacts and carers, marks and their
    amendments, arrivals, reported absences, welfare checks (events, tasks, notes, alerts and
    what was done about them, the watchdog's alerts), messages sent about them, cases (events,
    actions, proposals), legal actions, duties to the LA, letters, and the audit of what staff
    did to these records through the web app. Letters' and messages' HTML are left out: their
    text is there."""
    pid = id_of(pupil)
    one = [pid]
    marks = _rows(session, AttendanceMark, AttendanceMark.pupil_id, one)
    checks = _rows(session, WelfareCheck, WelfareCheck.pupil_id, one)
    check_ids = [id_of(c) for c in checks]
    alerts = _rows(session, DslAlert, DslAlert.check_id, check_ids)
    cases = _rows(session, AttendanceCase, AttendanceCase.pupil_id, one)
    case_ids = [id_of(c) for c in cases]
    legal = _rows(session, LegalAction, LegalAction.pupil_id, one)
    legal_ids = [id_of(a) for a in legal]
    contacts = _rows(session, Contact, Contact.pupil_id, one)
    messages = list(
        session.scalars(
            select(OutboxMessage)
            .where(
                or_(
                    col(OutboxMessage.check_id).in_(check_ids or [-1]),
                    col(OutboxMessage.contact_id).in_([id_of(c) for c in contacts] or [-1]),
                )
            )
            .order_by(col(OutboxMessage.id))
        )
    )
    tasks = _rows(session, StaffTask, StaffTask.check_id, check_ids)
    proposals = _rows(session, CaseProposal, CaseProposal.case_id, case_ids)
    case_actions = _rows(session, CaseAction, CaseAction.case_id, case_ids)
    letters = _rows(session, StoredLetter, StoredLetter.pupil_id, one)
    about: dict[str, set[Any]] = {
        "upn": {pupil.upn},
        "check": set(check_ids),
        "task": {id_of(t) for t in tasks},
        "alert": {id_of(a) for a in alerts},
        "case": set(case_ids),
        "proposal": {id_of(p) for p in proposals},
        "case_action": {id_of(a) for a in case_actions},
        "legal_action": set(legal_ids),
        "letter": {id_of(letter) for letter in letters},
    }
    return {
        "pupil": _plain(pupil),
        "contacts": [_plain(r) for r in contacts],
        "carers": [_plain(r) for r in _rows(session, PupilCarer, PupilCarer.pupil_id, one)],
        "marks": [_plain(r) for r in marks],
        "amendments": [
            _plain(r)
            for r in _rows(session, MarkAmendment, MarkAmendment.mark_id, [id_of(m) for m in marks])
        ],
        "arrivals": [_plain(r) for r in _rows(session, Arrival, Arrival.pupil_id, one)],
        "reported_absences": [
            _plain(r) for r in _rows(session, ReportedAbsence, ReportedAbsence.pupil_id, one)
        ],
        "welfare_checks": [_plain(r) for r in checks],
        "check_events": [
            _plain(r)
            for r in _rows(session, WelfareCheckEvent, WelfareCheckEvent.check_id, check_ids)
        ],
        "tasks": [_plain(r) for r in tasks],
        "notes": [_plain(r) for r in _rows(session, Note, Note.check_id, check_ids)],
        "alerts": [_plain(r) for r in alerts],
        # The watchdog's alerts about the pupil's checks and the messages sent about them.
        "watchdog_alerts": [
            _plain(r) for r in _rows(session, WatchdogAlert, WatchdogAlert.check_id, check_ids)
        ],
        "safeguarding_actions": [
            _plain(r)
            for r in _rows(session, SafeguardingAction, SafeguardingAction.check_id, check_ids)
        ],
        "messages": [{k: v for k, v in _plain(m).items() if k != "html"} for m in messages],
        "cases": [_plain(r) for r in cases],
        "case_events": [_plain(r) for r in _rows(session, CaseEvent, CaseEvent.case_id, case_ids)],
        "case_actions": [_plain(r) for r in case_actions],
        "proposals": [_plain(r) for r in proposals],
        "legal_actions": [_plain(r) for r in legal],
        "legal_events": [
            _plain(r)
            for r in _rows(session, LegalActionEvent, LegalActionEvent.legal_action_id, legal_ids)
        ],
        "legal_refusals": [
            _plain(r) for r in _rows(session, LegalRefusal, LegalRefusal.pupil_id, one)
        ],
        "la_duties": [_plain(r) for r in _rows(session, LaDuty, LaDuty.pupil_id, one)],
        "letters": [{k: v for k, v in _plain(r).items() if k != "html"} for r in letters],
        "audit_entries": [_plain(r) for r in _audit_entries(session, pupil.school_id, about)],
    }


def _audit_entries(
    session: Session, school_id: str, about: dict[str, set[Any]]
) -> list[AuditEntry]:
    """What staff did through the web app to this pupil's records: the school's audit entries
    whose detail names one of them (the web pages record `check=`, `alert=`, `case=` ...)."""
    query = select(AuditEntry).where(col(AuditEntry.school_id) == school_id)
    entries = session.scalars(query.order_by(col(AuditEntry.id)))
    return [
        entry
        for entry in entries
        if any(entry.detail.get(key) in ids for key, ids in about.items())
    ]
