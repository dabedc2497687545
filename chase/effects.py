"""What each chase step writes: event rows, staff tasks, outbox messages and DSL alerts.

The welfare-check machine calls these from its callbacks; everything goes into the caller's
transaction, so a step and its messages commit together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col
from transitions import EventData

from chase.models import DslAlert, StaffTask, WelfareCheck, WelfareCheckEvent
from chase.morning import SchoolMorning
from chase.notes import add_note
from chase.plan import due_at
from chase.rules import year_words
from chase.timeline import check_timeline
from notifications.outbox import Envelope, enqueue, withdraw_unsent
from notifications.rendering import TemplateProblem, render_email, render_sms
from school.clock import SCHOOL_TIME_ZONE
from school.database import id_of
from school.models import Contact, Pupil
from state_machines.welfare_check import CheckAdapter

log = logging.getLogger(__name__)
_LIVE_TASKS = ("open", "escalated")

# Reasonable steps that only make sense when a worker is already involved with the family.
WORKER_INVOLVED = ("social_worker", "child_protection_plan", "child_in_need_plan", "looked_after")
TASK_SCRIPTS = {
    "call": "Call {who} about {child}'s absence this {session}. Ask why {child} is not in school "
    "and whether they are safe. Record what they say.",
    "home_visit": "Visit {child}'s home (two members of staff). Record whether {child} was seen.",
    "siblings_schools": "Ask the schools of {child}'s brothers and sisters whether they are in "
    "today and whether the family has been in touch.",
    "social_worker": "Call {child}'s social worker: {child} is absent and the family cannot be "
    "reached.",
    "early_help": "Call the family's early help worker: {child} is absent and the family cannot "
    "be reached.",
    "police": "Decide with the DSL whether to ask the police for a safe and well check on {child}.",
    "ewo": "Ask the education welfare officer for a safe and well check on {child}.",
    "emergency_contacts": "Call every emergency contact on {child}'s file.",
    "letter_home": "Send a letter home asking the family to contact the school about {child}.",
}


class ChaseEffects:
    """The rows one run writes for the checks it advances (implements CheckEffects)."""

    def __init__(self, session: Session, morning: SchoolMorning, now: datetime) -> None:
        self.session = session
        self.morning = morning
        self.now = now
        self.pupils: dict[int, Pupil] = {}
        self.contacts: dict[int, list[Contact]] = {}
        # Each check's open and escalated tasks, read once per batch and kept up to date here:
        # a query (and a flush) per step was 59% of the advance's time at LA scale.
        self.tasks: dict[int, list[StaffTask]] = {}

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
            query = select(StaffTask).where(
                col(StaffTask.check_id).in_(wanted), col(StaffTask.state).in_(_LIVE_TASKS)
            )
            for task in self.session.scalars(query.order_by(col(StaffTask.id))):
                self.tasks[task.check_id].append(task)

    # --- CheckEffects ---------------------------------------------------------------------

    def record_transition(self, check: CheckAdapter, event: EventData) -> None:
        row: WelfareCheck = check.row
        transition = event.transition
        assert transition is not None, "after_state_change always has a transition"
        self.session.add(
            WelfareCheckEvent(
                check_id=id_of(row),
                at=self.now,
                from_state=transition.source,
                to_state=str(transition.dest),
                trigger=event.event.name,
                actor=event.kwargs.get("actor", "engine"),
                reason=event.kwargs.get("reason", ""),
                policy_version=row.policy_version,
            )
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
            self.session.add(task)
            if task.id is None:
                self.session.flush()  # a task raised in this very step needs its id
            add_note(
                self.session,
                id_of(row),
                "engine",
                self.now,
                f"not needed: {outcome}",
                task_id=task.id,
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
        """Text and/or email each contact on the step's channels; returns messages queued."""
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
        return enqueue(self.session, envelopes, self.now)

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
            self.session.add(
                self._note(row, f"the {channel} to {label} could not be written: {problem}")
            )
            return None
        return envelope(email.text, email.subject, email.html)

    def _note(self, row: WelfareCheck, reason: str) -> WelfareCheckEvent:
        return WelfareCheckEvent(
            check_id=id_of(row),
            at=self.now,
            from_state=row.state,
            to_state=row.state,
            trigger="note",
            actor="engine",
            reason=reason,
            policy_version=row.policy_version,
        )

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
        task = StaffTask(
            check_id=id_of(row),
            school_id=row.school_id,
            kind=kind,
            step=step["index"],
            due_at=deadline,
            created_at=self.now,
            contacts=[_contact_card(c) for c in contacts],
            script=f"{script} {step['note']}" if step.get("note") else script,
            by=", ".join(step.get("by") or []) or None,
        )
        self.session.add(task)
        self.load_tasks([id_of(row)])
        self.tasks[id_of(row)].append(task)

    def raise_alert(self, row: WelfareCheck, reason: str) -> DslAlert:
        """A DSL alert with the timeline of everything tried, sent by email and SMS."""
        self.session.flush()  # the timeline reads this run's rows too
        alert = DslAlert(
            school_id=row.school_id,
            check_id=id_of(row),
            raised_at=self.now,
            reason=reason,
            timeline=check_timeline(self.session, row),
            policy_version=row.policy_version,
        )
        self.session.add(alert)
        self.session.flush()
        self._message_safeguarding_leads(row, alert)
        return alert

    def _message_safeguarding_leads(self, row: WelfareCheck, alert: DslAlert) -> None:
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
                "reason": alert.reason,
                "timeline": alert.timeline,
                "link": None,
            }
            for channel, to in (("sms", person.mobile), ("email", person.email)):
                key = f"alert:{alert.id}:{role_key}:{channel}"
                envelope = to and self._envelope(
                    row, "dsl_alert", channel, to, key, person.role, context, alert_id=alert.id
                )
                if envelope:
                    envelopes.append(envelope)
        enqueue(self.session, envelopes, self.now)

    # --- helpers --------------------------------------------------------------------------

    def _open_tasks(self, row: WelfareCheck, including_escalated: bool = False) -> list[StaffTask]:
        self.load_tasks([id_of(row)])
        states = _LIVE_TASKS if including_escalated else ("open",)
        return [t for t in self.tasks[id_of(row)] if t.state in states]

    def _escalate_open_tasks(self, row: WelfareCheck) -> None:
        """Tasks not done by their deadline go up with the check."""
        for task in self._open_tasks(row):
            # 'Tell the social worker' stays open until someone records that it was done.
            if task.step >= 0 and task.due_at <= self.now:
                task.state = "escalated"
                self.session.add(task)

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


def _contact_card(contact: Contact) -> dict[str, Any]:
    return {
        "contact_id": contact.id,
        "priority": contact.priority,
        "name": contact.name,
        "relationship": contact.relationship,
        "mobile": contact.mobile,
        "email": contact.email,
        "parental_responsibility": contact.parental_responsibility,
    }


def _session_word(session_name: str) -> str:
    return "morning" if session_name == "AM" else "afternoon"


def _clock_words(instant: datetime) -> str:
    """'9:30am' in school time."""
    local = instant.astimezone(SCHOOL_TIME_ZONE)
    return local.strftime("%-I:%M%p").lower()


def _final_deadline(row: WelfareCheck) -> str:
    last = [s for s in row.plan if s["action"] == "alert_dsl"]
    return _clock_words(due_at(last[-1])) if last else ""
