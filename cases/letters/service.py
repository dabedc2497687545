"""Case letters out: rendered for one parent, emailed through the outbox, or printed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from cases.letters.context import case_letter_context, letter_of, notice_letter_context
from cases.letters.queries import parents_of, planned_letters
from cases.models import AttendanceCase, CaseAction, LegalAction
from cases.review.rules import LETTER_ACTIONS
from notifications.letters import (
    DEFAULT_SIGNATORY,
    NOTICE_TO_IMPROVE,
    html_to_text,
    letter_subject,
    render_letter_html,
    render_letter_pdf,
)
from notifications.outbox import Envelope, enqueue
from school.clock import Clock, school_today
from school.database import id_of
from school.models import Contact
from school.schools import get_school


@dataclass(frozen=True)
class LetterDelivery:
    """How a letter went out: emailed to some contacts, to be printed for others."""

    delivery: str  # "email", "print" or "email_and_print"
    emailed_contact_ids: list[int]
    print_contact_ids: list[
        int
    ]  # [] with "print" when nobody with parental responsibility is on file
    queued: int  # outbox rows added by this call (0 when sent before: keys are idempotent)


@dataclass(frozen=True)
class LettersSent:
    emailed: int  # letters that went to at least one parent by email
    to_print: int  # letters at least one parent gets on paper


def case_letter_html(
    session: Session,
    action: CaseAction,
    contact: Contact,
    as_of: date,
    letter_date: date,
    signatory_role: str = DEFAULT_SIGNATORY,
    signatory_name: str | None = None,
) -> str:
    """A case's letter to one contact."""
    case, context = case_letter_context(
        session, action, as_of, letter_date, signatory_role, signatory_name
    )
    return render_letter_html(
        case.school_id, letter_of(action), {**context, "parent_name": contact.name}
    )


def send_letter(
    session: Session,
    action: CaseAction,
    clock: Clock,
    as_of: date | None = None,
    signatory_role: str = DEFAULT_SIGNATORY,
    signatory_name: str | None = None,
) -> LetterDelivery:
    """Email a case's letter to each parent with an email address; mark the rest for printing.

    Every contact with parental responsibility gets the letter: by email (the letter as the
    HTML part, a plain-text copy as the text part; the outbox carries no attachments) if
    they have an address, else on paper (`letter_pdf`). The action's details record
    "delivery" and the contact ids. The outbox key is the action and the contact, so sending
    twice queues nothing new. Writes in the caller's transaction; the caller commits.
    """
    case = session.get(AttendanceCase, action.case_id)
    if case is None:
        raise LookupError(f"no case {action.case_id}")
    today = school_today(clock)
    on = as_of or today
    parents = parents_of(session, case.pupil_id)
    envelopes, emailed, printed = [], [], []
    # The figures are read once (one statement for the school), then addressed per parent.
    context: dict[str, object] | None = None
    for contact in parents:
        if not contact.email:
            printed.append(id_of(contact))
            continue
        if context is None:
            _, context = case_letter_context(
                session, action, on, today, signatory_role, signatory_name
            )
        html = render_letter_html(
            case.school_id, letter_of(action), {**context, "parent_name": contact.name}
        )
        envelopes.append(
            Envelope(
                key=f"letter:{id_of(action)}:contact:{id_of(contact)}:email",
                school_id=case.school_id,
                channel="email",
                to=contact.email,
                recipient_label=contact.label(),
                template=f"letter:{letter_of(action)}"[:60],
                subject=letter_subject(html),
                text=html_to_text(html),
                html=html,
                contact_id=id_of(contact),
            )
        )
        emailed.append(id_of(contact))
    queued = enqueue(session, envelopes, clock.now())
    delivery = "email_and_print" if emailed and printed else "email" if emailed else "print"
    # A new dict, so SQLAlchemy sees the JSON column change.
    action.details = {
        **(action.details or {}),
        "delivery": delivery,
        "emailed_contact_ids": emailed,
        "print_contact_ids": printed,
        "letter_as_of": on.isoformat(),
    }
    session.add(action)
    session.flush()
    return LetterDelivery(delivery, emailed, printed, queued)


def send_planned_letters(session: Session, school_id: str, on: date, clock: Clock) -> LettersSent:
    """Every planned letter action not yet sent goes out once (the outbox keys make a repeat
    harmless); the action is then done, with how it went in its details."""
    emailed = to_print = 0
    for action in planned_letters(session, school_id, LETTER_ACTIONS):
        delivery = send_letter(session, action, clock, as_of=on)
        emailed += bool(delivery.emailed_contact_ids)
        to_print += delivery.delivery != "email"
        action.status, action.completed_at, action.completed_by = "done", clock.now(), "engine"
        session.add(action)
    session.commit()
    return LettersSent(emailed, to_print)


def letter_pdf(
    session: Session,
    action: CaseAction,
    contact: Contact,
    clock: Clock,
    as_of: date | None = None,
    signatory_role: str = DEFAULT_SIGNATORY,
    signatory_name: str | None = None,
) -> bytes:
    """The printable copy of a case's letter to one contact."""
    today = school_today(clock)
    html = case_letter_html(
        session, action, contact, as_of or today, today, signatory_role, signatory_name
    )
    case = session.get(AttendanceCase, action.case_id)
    assert case is not None
    return render_letter_pdf(html, header=get_school(session, case.school_id).name)


def notice_letter_html(
    session: Session,
    action: LegalAction,
    clock: Clock,
    *,
    further_support: str,
    sufficient_improvement: str,
    early_grounds: str,
    signatory_role: str = DEFAULT_SIGNATORY,
    signatory_name: str | None = None,
) -> str:
    """The Notice to Improve letter for a stored notice, to the parent it was issued to
    (see `notice_letter_context` for what it says)."""
    school, context = notice_letter_context(
        session,
        action,
        school_today(clock),
        further_support=further_support,
        sufficient_improvement=sufficient_improvement,
        early_grounds=early_grounds,
        signatory_role=signatory_role,
        signatory_name=signatory_name,
    )
    return render_letter_html(school.id, NOTICE_TO_IMPROVE, context)
