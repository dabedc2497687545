"""What staff, parents and the SMS provider tell the engine during a chase, and what it does.

Parent replies and delivery reports arrive through the web app's webhooks; task outcomes and
alert acknowledgements from staff. Each is one transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from chase.effects import ChaseEffects
from chase.locks import CHECKS, lock_checks
from chase.models import (
    DslAlert,
    ParentReply,
    ReportedAbsence,
    StaffTask,
    WelfareCheck,
    WelfareCheckEvent,
)
from chase.morning import school_morning
from chase.notes import add_note
from chase.replies import ReplyMeaning, children_named, read_reply
from chase.task_outcomes import TASK_OUTCOMES
from notifications.models import DeliveryReport, OutboxMessage
from notifications.outbox import apply_report
from school.clock import Clock, school_today
from school.database import id_of, insert_ignoring_duplicates
from school.models import Contact, Pupil
from state_machines.welfare_check import FINISHED, OPEN, CheckAdapter, fire

REPORTED = ReportedAbsence.__table__  # type: ignore[attr-defined]


def handle_reply(
    session: Session, message_sid: str, from_number: str, body: str, clock: Clock
) -> ParentReply:
    """Record a parent's text and act on it for that family's checks today, once."""
    existing = session.scalars(
        select(ParentReply).where(col(ParentReply.message_sid) == message_sid)
    ).first()
    if existing is not None:
        return existing  # Twilio retries webhooks: the same MessageSid changes nothing twice
    now, today = clock.now(), school_today(clock)
    contacts = list(session.scalars(select(Contact).where(col(Contact.mobile) == from_number)))
    meaning = read_reply(body) if contacts else ReplyMeaning("unmatched")
    family = {c.pupil_id for c in contacts}
    targets = _checks_meant(session, family, today, body, meaning)
    reply = ParentReply(
        message_sid=message_sid,
        from_number=from_number,
        body=body,
        received_at=now,
        contact_ids=[id_of(c) for c in contacts],
        check_ids=[id_of(c) for c in targets],
        meaning=meaning.meaning,
        suggested_code=meaning.suggested_code,
    )
    session.add(reply)
    who = f"parent reply from {contacts[0].relationship or 'contact'}" if contacts else ""
    if not targets and len(family) == 1 and meaning.meaning in _REPORTS_ABSENCE:
        # Reported before the register closed: no check will open. With brothers or sisters
        # it is not clear which child the text is about, so the chase goes ahead for staff.
        _report_rest_of_day(session, family.pop(), today, "AM", meaning.suggested_code, who, now)
    for check in targets:
        _act_on_reply(session, check, meaning, body, who, now)
    session.commit()
    return reply


_REPORTS_ABSENCE = ("reason_given", "safe_reason_to_follow")
_UNAWARE_REASON = "the parent's reply suggests they did not know the child was absent"


def _checks_meant(
    session: Session, family: set[int], on: date, body: str, meaning: ReplyMeaning
) -> list[WelfareCheck]:
    """The family's checks today that the reply is about: the children it names, else all.

    An alarm ("he left for school") reaches finished checks too: a second parent may not know
    what the first one said."""
    if not family:
        return []
    checks = list(
        session.scalars(
            select(WelfareCheck).where(
                col(WelfareCheck.pupil_id).in_(family), col(WelfareCheck.date) == on
            )
        )
    )
    if meaning.meaning != "parent_unaware":
        checks = [c for c in checks if c.state not in FINISHED]
    if len({c.pupil_id for c in checks}) > 1:
        names = {
            id_of(p): p.given_name
            for p in session.scalars(
                select(Pupil).where(col(Pupil.id).in_({c.pupil_id for c in checks}))
            )
        }
        named = children_named(body, names)
        if named:
            checks = [c for c in checks if c.pupil_id in named]
    return checks


def _act_on_reply(
    session: Session, check: WelfareCheck, meaning: ReplyMeaning, body: str, who: str, now: datetime
) -> None:
    check = lock_checks(session, [id_of(check)], open_only=False)[0]  # as it is now, held
    effects = ChaseEffects(session, school_morning(session, check.school_id, check.date), now)
    effects.load([check.pupil_id])
    _answer_reply(session, check, effects, meaning, body, who, now)
    effects.write()


def _answer_reply(
    session: Session,
    check: WelfareCheck,
    effects: ChaseEffects,
    meaning: ReplyMeaning,
    body: str,
    who: str,
    now: datetime,
) -> None:
    adapter = CheckAdapter(check, effects)
    quoted = body[:300]
    if meaning.meaning == "parent_unaware":
        if check.state in OPEN:
            step = {
                "action": "alert_dsl",
                "index": check.next_step,
                "alert_reason": _UNAWARE_REASON,
            }
            fire(adapter, "alert_dsl", step=step, actor=who, reason=_UNAWARE_REASON)
            return
        session.add(_note(check, now, who, f"{_UNAWARE_REASON}: {quoted}"))
        if not session.scalars(select(DslAlert).where(col(DslAlert.check_id) == check.id)).first():
            # An explanation came, but another parent does not know of it: the DSL hears.
            effects.raise_alert(check, _UNAWARE_REASON)
    elif meaning.meaning == "reason_given":
        fire(
            adapter,
            "explain",
            actor=who,
            reason=f"parent replied: {quoted}",
            suggested_code=meaning.suggested_code,
        )
        _report_rest_of_day(
            session, check.pupil_id, check.date, check.session, meaning.suggested_code, who, now
        )
    elif meaning.meaning == "safe_reason_to_follow":
        fire(
            adapter, "confirm_safe", actor=who, reason=f"parent replied, reason to follow: {quoted}"
        )
        _report_rest_of_day(session, check.pupil_id, check.date, check.session, None, who, now)
    else:  # unclear ("where is she?", "ok"): the chase goes on; staff read it in the timeline
        session.add(_note(check, now, who, f"parent replied, meaning unclear: {quoted}"))


def _report_rest_of_day(
    session: Session,
    pupil_id: int,
    on: date,
    from_session: str,
    code: str | None,
    who: str,
    now: datetime,
) -> None:
    """The reason covers the rest of the day, so the afternoon register opens no new check."""
    sessions = ["AM", "PM"] if from_session == "AM" else ["PM"]
    rows = [
        {
            "pupil_id": pupil_id,
            "date": on,
            "session": s,
            "reason": "parent reply",
            "suggested_code": code,
            "source": "parent_reply",
            "recorded_by": who,
            "recorded_at": now,
        }
        for s in sessions
    ]
    insert_ignoring_duplicates(session, REPORTED, rows, ["pupil_id", "date", "session"])


def _note(check: WelfareCheck, now: datetime, actor: str, reason: str) -> WelfareCheckEvent:
    return WelfareCheckEvent(
        check_id=id_of(check),
        at=now,
        from_state=check.state,
        to_state=check.state,
        trigger="note",
        actor=actor,
        reason=reason,
        policy_version=check.policy_version,
    )


def handle_delivery_status(
    session: Session, message_sid: str, status: str, error_code: str | None, clock: Clock
) -> OutboxMessage | None:
    """Twilio's status callback: a failed or undelivered text moves the chase on at once.

    The report is kept; if its message's id is not stored yet (the dispatcher records ids after
    its batch), the dispatcher applies it when it does."""
    now = clock.now()
    message = session.scalars(
        select(OutboxMessage).where(col(OutboxMessage.provider_id) == message_sid)
    ).first()
    if _already_reported(session, message_sid, status, error_code):
        return message  # Twilio's retry, or a replay: the report was applied the first time
    report = DeliveryReport(
        message_sid=message_sid, status=status, error_code=error_code, received_at=now
    )
    session.add(report)
    if message is not None:
        apply_report(session, message, report, now, message_failed)
    session.commit()
    return message


def _already_reported(
    session: Session, message_sid: str, status: str, error_code: str | None
) -> bool:
    same = select(col(DeliveryReport.id)).where(
        col(DeliveryReport.message_sid) == message_sid,
        col(DeliveryReport.status) == status,
        col(DeliveryReport.error_code).is_(None)
        if error_code is None
        else col(DeliveryReport.error_code) == error_code,
    )
    return session.scalars(same.limit(1)).first() is not None


def message_failed(session: Session, message: OutboxMessage, now: datetime) -> None:
    """A parent message failed for good: try the next contact, else bring the next step forward."""
    if message.check_id is None or message.template != "unexplained_absence":
        return
    check = session.get(WelfareCheck, message.check_id)
    if check is None or check.state not in OPEN:
        return
    prefix = message.idempotency_key.rsplit(":contact:", 1)[0] + ":contact:"
    same_step = list(
        session.scalars(
            select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith(prefix))
        )
    )
    if any(
        m.status in ("pending", "sending", "sent", "delivered")
        for m in same_step
        if m.id != message.id
    ):
        return  # another contact or channel is still on its way
    step_index = int(prefix.split(":")[3])
    effects = ChaseEffects(session, school_morning(session, check.school_id, check.date), now)
    effects.load([check.pupil_id])
    tried = {m.contact_id for m in same_step}
    untried = [c for c in effects.contacts[check.pupil_id] if c.id not in tried]
    step = {**check.plan[step_index], "index": step_index}
    for contact in untried:
        queued = effects.message_contacts(check, step, [contact])
        effects.write()  # a message that could not be written leaves a note on the check
        if queued:
            session.add(
                _note(
                    check,
                    now,
                    "engine",
                    f"messages failed: trying {contact.relationship or 'next contact'}",
                )
            )
            return
    if check.next_due_at is None or check.next_due_at > now:
        check.next_due_at = now
        session.add(check)
        session.add(
            _note(
                check,
                now,
                "engine",
                "every message to the family failed: next step brought forward",
            )
        )


def record_task_outcome(
    session: Session,
    task_id: int,
    outcome: str,
    by: str,
    clock: Clock,
    *,
    note: str | None = None,
    suggested_code: str | None = None,
) -> StaffTask:
    """Record what a member of staff found; it moves the check on where it settles something."""
    if outcome not in TASK_OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(TASK_OUTCOMES)}")
    task = session.get(StaffTask, task_id)
    if task is None:
        raise LookupError(f"no task {task_id}")
    now = clock.now()
    # The task shows its latest outcome; every outcome recorded is also a note, so a second
    # call's result is added to the history rather than written over the first.
    task.state, task.outcome, task.recorded_by, task.recorded_at = "done", outcome, by, now
    session.add(task)
    add_note(session, task.check_id, by, now, note or "", outcome=outcome, task_id=task_id)
    # Taken for this transaction (a tick changing it now is waited for), read as it is now.
    check = lock_checks(session, [task.check_id], open_only=False)[0]
    trigger = TASK_OUTCOMES[outcome]
    reason = f"{task.kind}: {outcome.replace('_', ' ')}" + (f" — {note}" if note else "")
    if trigger and check.state not in FINISHED:
        effects = ChaseEffects(session, school_morning(session, check.school_id, check.date), now)
        fire(
            CheckAdapter(check, effects),
            trigger,
            actor=by,
            reason=reason,
            suggested_code=suggested_code,
        )
        effects.write()
    elif _no_answer_from_primary(task, outcome, check) and (
        check.next_due_at is None or check.next_due_at > now
    ):
        # No answer from the primary contact: the other contacts are called now, not later.
        check.next_due_at = now
        session.add(check)
    session.commit()
    return task


def _no_answer_from_primary(task: StaffTask, outcome: str, check: WelfareCheck) -> bool:
    no_contact = outcome in ("no_answer", "voicemail_left", "wrong_number")
    return task.kind == "call" and no_contact and check.state == "calling_primary"


def acknowledge_alert(
    session: Session, alert_id: int, by: str, note: str, clock: Clock
) -> DslAlert:
    """The DSL's acknowledgement, kept as first given; a later one adds a note to the history."""
    alert = session.get(DslAlert, alert_id)
    if alert is None:
        raise LookupError(f"no alert {alert_id}")
    now = clock.now()
    first = alert.acknowledged_at is None
    if first:
        alert.acknowledged_at, alert.acknowledged_by = now, by
        session.add(alert)
    outcome = "acknowledged" if first else None
    add_note(session, alert.check_id, by, now, note, outcome=outcome, alert_id=alert_id)
    session.commit()
    return alert


def report_absence(
    session: Session,
    school_id: str,
    upn: str,
    on: date,
    sessions: list[str],
    reason: str,
    by: str,
    clock: Clock,
    *,
    suggested_code: str | None = None,
    planned: bool = False,
) -> int:
    """A reason given to staff (a phone call, a planned leave): no check opens for those
    sessions, and an open one is explained. Returns how many checks it explained."""
    pupil = session.scalars(
        select(Pupil).where(col(Pupil.school_id) == school_id, col(Pupil.upn) == upn)
    ).first()
    if pupil is None:
        raise LookupError(f"no pupil {upn} at {school_id}")
    now = clock.now()
    rows = [
        {
            "pupil_id": id_of(pupil),
            "date": on,
            "session": s,
            "reason": reason,
            "suggested_code": suggested_code,
            "source": "planned_leave" if planned else "staff",
            "recorded_by": by,
            "recorded_at": now,
        }
        for s in sessions
    ]
    insert_ignoring_duplicates(session, REPORTED, rows, ["pupil_id", "date", "session"])
    found = session.scalars(
        select(CHECKS.c.id).where(
            col(WelfareCheck.pupil_id) == id_of(pupil),
            col(WelfareCheck.date) == on,
            col(WelfareCheck.session).in_(sessions),
            col(WelfareCheck.state).not_in(FINISHED),
        )
    ).all()
    checks = lock_checks(session, found)  # a tick changing them now is waited for
    for check in checks:
        effects = ChaseEffects(session, school_morning(session, check.school_id, check.date), now)
        fire(
            CheckAdapter(check, effects),
            "explain",
            actor=by,
            reason=f"reported to staff: {reason}",
            suggested_code=suggested_code,
        )
        effects.write()
    session.commit()
    return len(checks)
