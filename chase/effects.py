"""What each chase step writes: event rows, staff tasks, outbox messages and DSL alerts.

The welfare-check machine calls these from its callbacks; they are held (`chase.pending`) and
`write` puts them into the caller's transaction a statement a table, so a batch of steps and
their messages commit together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col
from transitions import EventData

from chase.models import WelfareCheck
from chase.morning import SchoolMorning
from chase.pending import (
    TASKS,
    Pending,
    PendingAlert,
    TaskRow,
    insert_alerts,
    insert_events,
    write_notes,
    write_tasks,
)
from chase.plan import due_at
from chase.rules import year_words
from chase.task_scripts import TASK_SCRIPTS, WORKER_INVOLVED, contact_card
from chase.timeline import check_timelines
from notifications.outbox import Envelope, enqueue, withdraw_unsent
from notifications.rendering import TemplateProblem, render_email, render_sms
from school.clock import SCHOOL_TIME_ZONE
from school.database import id_of
from school.models import Contact, Pupil
from state_machines.welfare_check import CheckAdapter

log = logging.getLogger(__name__)
_LIVE_TASKS = ("open", "escalated")


class ChaseEffects:
    """The rows one run writes for the checks it moves (implements CheckEffects); nothing
    reaches the database until `write`, which the caller calls before it commits."""

    def __init__(self, session: Session, morning: SchoolMorning, now: datetime) -> None:
        self.session = session
        self.morning = morning
        self.now = now
        self.pupils: dict[int, Pupil] = {}
        self.contacts: dict[int, list[Contact]] = {}
        # Each check's open and escalated tasks, read once per batch and kept up to date here:
        # a query (and a flush) per step was 59% of the advance's time at LA scale.
        self.tasks: dict[int, list[TaskRow]] = {}
        self.pending = Pending()

    def load(self, pupil_ids: Iterable[int]) -> None:
        """Read the pupils and contacts of a batch of checks in two queries."""
        wanted = [p for p in set(pupil_ids) if p not in self.pupils]
        if not wanted:
            return
        for pupil in self.session.scalars(select(Pupil).where(col(Pupil.id).in_(wanted))):
            self.pupils[pupil.id] = pupil  # type: ignore[index]
            self.contacts[pupil.id] = []  # type: ignore[index]
        query = (
            select(Contact).where(col(Contact.pupil_id).in_(wanted)).order_by(col(Contact.priority))
        )
        for contact in self.session.scalars(query):
            self.contacts[contact.pupil_id].append(contact)

    def load_tasks(self, check_ids: Iterable[int]) -> None:
        """Read the open and escalated tasks of a batch of checks in one query."""
        wanted = [c for c in set(check_ids) if c not in self.tasks]
        for check_id in wanted:
            self.tasks[check_id] = []
        if wanted:
            self.session.flush()  # a task the caller has just settled is read as settled
            # Read as plain rows, not into the session: their changes are written in one
            # statement by `write`, not flushed one by one.
            query = select(TASKS).where(
                TASKS.c.check_id.in_(wanted), TASKS.c.state.in_(_LIVE_TASKS)
            )
            for row in self.session.execute(query.order_by(TASKS.c.id)).mappings():
                self.tasks[row["check_id"]].append(TaskRow(**row))

    def write(self) -> int:
        """Write everything decided since the last call, a statement a table (alerts last:
        their timelines read this run's rows). Returns how many messages the outbox took."""
        # Rows the caller added to the session first were decided first: they keep their order.
        self.session.flush()
        pending, self.pending = self.pending, Pending()
        # An alert holds what was known when it was raised: a check's events decided after
        # its alert (the move to dsl_alerted itself) are written after the alert is.
        later = {
            i
            for alert in pending.alerts
            for i in range(alert.events_before, len(pending.events))
            if pending.events[i]["check_id"] == alert.row.id
        }
        insert_events(self.session, [e for i, e in enumerate(pending.events) if i not in later])
        write_tasks(self.session, pending)
        write_notes(self.session, pending)
        added = enqueue(self.session, pending.envelopes, self.now)
        if pending.alerts:
            added += self._write_alerts(pending.alerts)
        # ... then those later events, and notes on alert messages that could not be written.
        after = [pending.events[i] for i in sorted(later)] + self.pending.events
        insert_events(self.session, after)
        self.pending = Pending()
        return added

    def _write_alerts(self, alerts: list[PendingAlert]) -> int:
        """The alerts with what was known when each was raised, and their messages."""
        timelines = check_timelines(self.session, [a.row for a in alerts])
        rows = [
            {
                "school_id": a.row.school_id,
                "check_id": id_of(a.row),
                "raised_at": self.now,
                "reason": a.reason,
                "timeline": timelines[id_of(a.row)],
                "policy_version": a.row.policy_version,
                "acknowledged_at": None,
                "acknowledged_by": None,
            }
            for a in alerts
        ]
        ids = insert_alerts(self.session, rows)
        envelopes = []
        for alert, row in zip(alerts, rows, strict=True):
            alert_id = ids[id_of(alert.row)]
            envelopes += self._safeguarding_envelopes(alert.row, alert_id, row)
        return enqueue(self.session, envelopes, self.now)

    # --- CheckEffects ---------------------------------------------------------------------

    def record_transition(self, check: CheckAdapter, event: EventData) -> None:
        row: WelfareCheck = check.row
        transition = event.transition
        assert transition is not None, "after_state_change always has a transition"
        self.pending.event(
            row,
            self.now,
            from_state=transition.source,
            to_state=str(transition.dest),
            trigger=event.event.name,
            actor=event.kwargs.get("actor", "engine"),
            reason=event.kwargs.get("reason", ""),
        )

    def run_step(self, check: CheckAdapter, step: dict[str, Any]) -> None:
        row: WelfareCheck = check.row
        self.load([row.pupil_id])
        self._escalate_open_tasks(row)
        action = step["action"]
        if action == "message_parents":
            self._message_parents(row, step)
        elif action in ("call_primary", "call_others"):
            self._call_task(row, step)
        elif action == "reasonable_steps":
            self._reasonable_step_tasks(row, step)
        elif action == "alert_dsl":
            self.raise_alert(
                row, step.get("alert_reason", "not known to be safe by the final deadline")
            )

    def close(self, check: CheckAdapter, outcome: str, suggested_code: str | None) -> None:
        row: WelfareCheck = check.row
        row.closed_at, row.outcome, row.next_due_at = self.now, outcome, None
        row.suggested_code = suggested_code or row.suggested_code
        withdraw_unsent(self.session, id_of(row), "the check was closed")  # see its timeline
        for task in self._open_tasks(row, including_escalated=True):
            task.state = "closed"
            self.pending.task_changed(task)
            self.pending.note(
                id_of(row),
                task,
                recorded_at=self.now,
                recorded_by="engine",
                outcome=None,
                text=f"not needed: {outcome}",
            )

    # --- the steps ------------------------------------------------------------------------

    def _contacts_for(self, row: WelfareCheck, which: str | None) -> list[Contact]:
        contacts = self.contacts.get(row.pupil_id, [])
        if which == "primary":
            return contacts[:1]
        if which == "others":
            return contacts[1:]
        if which == "parental_responsibility":
            return [c for c in contacts if c.parental_responsibility] or contacts[:1]
        return contacts

    def _message_parents(self, row: WelfareCheck, step: dict[str, Any]) -> None:
        self.message_contacts(row, step, self._contacts_for(row, step.get("contacts")))

    def message_contacts(
        self, row: WelfareCheck, step: dict[str, Any], contacts: list[Contact]
    ) -> int:
        """Text and/or email each contact on the step's channels; returns messages written."""
        pupil = self.pupils[row.pupil_id]
        reply_by = self._next_step_time(row, step)
        envelopes = []
        for contact in contacts:
            context = {
                "contact_name": contact.name,
                "child_first_name": pupil.given_name,
                "school_name": self.morning.school.name,
                "school_phone": self._school_phone(),
                "reply_by": reply_by,
                "session": _session_word(row.session),
            }
            label = contact.label()
            for channel in step["channels"]:
                to = contact.mobile if channel == "sms" else contact.email
                key = f"check:{row.id}:step:{step['index']}:contact:{contact.id}:{channel}"
                envelope = to and self._envelope(
                    row,
                    "unexplained_absence",
                    channel,
                    to,
                    key,
                    label,
                    context,
                    contact_id=contact.id,
                )
                if envelope:
                    envelopes.append(envelope)
        self.pending.envelopes += envelopes
        return len(envelopes)

    def _envelope(
        self,
        row: WelfareCheck,
        template: str,
        channel: str,
        to: str,
        key: str,
        label: str,
        context: dict[str, Any],
        *,
        contact_id: int | None = None,
        alert_id: int | None = None,
    ) -> Envelope | None:
        """A rendered message, or None (and a note on the check) if the template refuses it:
        one text that cannot be written must not stop the chase for every other pupil."""

        def envelope(text: str, subject: str | None = None, html: str | None = None) -> Envelope:
            return Envelope(
                key=key,
                school_id=row.school_id,
                channel=channel,
                to=to,
                recipient_label=label,
                template=template,
                text=text,
                subject=subject,
                html=html,
                check_id=id_of(row),
                contact_id=contact_id,
                alert_id=alert_id,
            )

        try:
            if channel == "sms":
                return envelope(render_sms(row.school_id, template, context))
            email = render_email(row.school_id, template, context)
        except TemplateProblem as problem:
            log.warning("message %s not written: %s", key, problem)
            self.pending.event(
                row,
                self.now,
                from_state=row.state,
                to_state=row.state,
                trigger="note",
                actor="engine",
                reason=f"the {channel} to {label} could not be written: {problem}",
            )
            return None
        return envelope(email.text, email.subject, email.html)

    def _call_task(self, row: WelfareCheck, step: dict[str, Any]) -> None:
        contacts = self._contacts_for(
            row, "primary" if step["action"] == "call_primary" else "others"
        )
        if not contacts:
            return  # nobody else on file: the check still moves on, with nothing to call
        pupil = self.pupils[row.pupil_id]
        who = (
            "the primary contact"
            if step["action"] == "call_primary"
            else "each other contact in turn"
        )
        self._add_task(
            row,
            step,
            "call",
            contacts,
            TASK_SCRIPTS["call"].format(
                who=who, child=pupil.given_name, session=_session_word(row.session)
            ),
        )

    def _reasonable_step_tasks(self, row: WelfareCheck, step: dict[str, Any]) -> None:
        pupil = self.pupils[row.pupil_id]
        worker_involved = any(getattr(pupil, f) for f in WORKER_INVOLVED)
        for kind in step["reasonable_steps"]:
            if kind in ("social_worker", "early_help") and not worker_involved:
                continue
            contacts = self.contacts.get(row.pupil_id, []) if kind == "emergency_contacts" else []
            self._add_task(
                row, step, kind, contacts, TASK_SCRIPTS[kind].format(child=pupil.given_name)
            )

    def _add_task(
        self,
        row: WelfareCheck,
        step: dict[str, Any],
        kind: str,
        contacts: list[Contact],
        script: str,
    ) -> None:
        deadline = self._next_step_due(row, step) or self.now
        task = TaskRow(
            check_id=id_of(row),
            school_id=row.school_id,
            kind=kind,
            step=step["index"],
            due_at=deadline,
            created_at=self.now,
            contacts=[contact_card(c) for c in contacts],
            script=f"{script} {step['note']}" if step.get("note") else script,
            by=", ".join(step.get("by") or []) or None,
        )
        self.load_tasks([id_of(row)])
        self.pending.new_tasks.append(task)
        self.tasks[id_of(row)].append(task)

    def raise_alert(self, row: WelfareCheck, reason: str) -> None:
        """A DSL alert with the timeline of everything tried, sent by email and SMS (written,
        with its timeline as it stands at this moment, by `write`)."""
        self.pending.alerts.append(PendingAlert(row, reason, len(self.pending.events)))

    def _safeguarding_envelopes(
        self, row: WelfareCheck, alert_id: int, alert: dict[str, Any]
    ) -> list[Envelope]:
        pupil = self.pupils[row.pupil_id]
        safeguarding = self.morning.policy.policy.safeguarding
        envelopes = []
        for role_key, person in (("dsl", safeguarding.dsl), ("deputy", safeguarding.deputy)):
            if person is None:
                continue
            context = {
                "recipient_role": person.role,
                "school_name": self.morning.school.name,
                "pupil_reference": f"{pupil.given_name} {pupil.family_name[:1]}., "
                f"{year_words(pupil.year_group)}",
                "session": _session_word(row.session),
                "deadline": _final_deadline(row),
                "reason": alert["reason"],
                "timeline": alert["timeline"],
                "link": None,
            }
            for channel, to in (("sms", person.mobile), ("email", person.email)):
                key = f"alert:{alert_id}:{role_key}:{channel}"
                envelope = to and self._envelope(
                    row, "dsl_alert", channel, to, key, person.role, context, alert_id=alert_id
                )
                if envelope:
                    envelopes.append(envelope)
        return envelopes

    # --- helpers --------------------------------------------------------------------------

    def _open_tasks(self, row: WelfareCheck, including_escalated: bool = False) -> list[TaskRow]:
        self.load_tasks([id_of(row)])
        states = _LIVE_TASKS if including_escalated else ("open",)
        return [t for t in self.tasks[id_of(row)] if t.state in states]

    def _escalate_open_tasks(self, row: WelfareCheck) -> None:
        """Tasks not done by their deadline go up with the check."""
        for task in self._open_tasks(row):
            # 'Tell the social worker' stays open until someone records that it was done.
            if task.step >= 0 and task.due_at <= self.now:
                task.state = "escalated"
                self.pending.task_changed(task)

    def _next_step_due(self, row: WelfareCheck, step: dict[str, Any]) -> datetime | None:
        """When the next step later than this one falls due: the deadline for this step's
        work (steps at the same minute, like 9:00 text and 9:00 call, share the next)."""
        this = due_at(step)
        later = [due_at(s) for s in row.plan[step["index"] + 1 :] if due_at(s) > this]
        return later[0] if later else None

    def _next_step_time(self, row: WelfareCheck, step: dict[str, Any]) -> str | None:
        due = self._next_step_due(row, step)
        if due is None or due <= self.now:
            return None
        return _clock_words(due)

    def _school_phone(self) -> str | None:
        return self.morning.policy.policy.school.phone


def _session_word(session_name: str) -> str:
    return "morning" if session_name == "AM" else "afternoon"


def _clock_words(instant: datetime) -> str:
    """'9:30am' in school time."""
    local = instant.astimezone(SCHOOL_TIME_ZONE)
    return local.strftime("%-I:%M%p").lower()


def _final_deadline(row: WelfareCheck) -> str:
    last = [s for s in row.plan if s["action"] == "alert_dsl"]
    return _clock_words(due_at(last[-1])) if last else ""
