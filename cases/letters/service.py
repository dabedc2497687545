"""Case letters out: decided and stored once, then emailed through the outbox or printed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from sqlmodel import Session

from cases.letters.batch import DecidedBatch, decide_case_letters
from cases.letters.context import notice_letter_context
from cases.letters.queries import parents_of, planned_letters
from cases.letters.stored import DecidedLetters, decide_letters, stored_letters
from cases.models import AttendanceCase, CaseAction, LegalAction, LetterPdf, StoredLetter
from cases.review.rules import LETTER_ACTIONS
from notifications.letters import NOTICE_TO_IMPROVE, html_to_text, render_letter_pdf
from notifications.outbox import Envelope, enqueue
from school.clock import Clock, school_today
from school.database import id_of
from school.models import Contact, Pupil
from school.schools import LoadedSchool, get_school, load_school
from school.statistics import PupilStatistics


@dataclass(frozen=True)
class LetterDelivery:
    """How a letter went out: emailed to some contacts, to be printed for others."""

    delivery: str  # "email", "print" or "email_and_print"
    emailed_contact_ids: list[int]
    # [] with "print" when nobody with parental responsibility is on file
    print_contact_ids: list[int]
    queued: int  # outbox rows added by this call (0 when sent before: keys are idempotent)
    problems: list[str] = field(default_factory=list)  # parents the letter cannot reach


@dataclass(frozen=True)
class LettersSent:
    emailed: int  # letters that went to at least one parent by email
    to_print: int  # letters at least one parent gets on paper
    problems: list[str] = field(default_factory=list)  # for staff: parents not reachable


def case_letters(
    session: Session, action: CaseAction, clock: Clock, as_of: date | None = None
) -> DecidedLetters:
    """The action's stored letters; decided and stored now (figures as of `as_of`, default
    today) if it has none yet. Writes in the caller's transaction."""
    return _decide(session, [action], clock, as_of).letters[id_of(action)]


def _decide(
    session: Session, actions: list[CaseAction], clock: Clock, as_of: date | None
) -> DecidedBatch:
    case = session.get(AttendanceCase, actions[0].case_id)
    if case is None:
        raise LookupError(f"no case {actions[0].case_id}")
    school = load_school(session, case.school_id)
    return decide_case_letters(session, school, actions, as_of or school_today(clock), clock)


def _envelopes(letter: StoredLetter, contacts: dict[int, Contact], key: str) -> list[Envelope]:
    """The stored letter's emails, one per addressee with an email address."""
    return [
        Envelope(
            key=f"{key}:contact:{cid}:email",
            school_id=letter.school_id,
            channel="email",
            to=contact.email,
            recipient_label=contact.label(),
            template=f"letter:{letter.letter}"[:60],
            subject=letter.subject,
            text=html_to_text(letter.html),
            html=letter.html,
            contact_id=cid,
        )
        for cid in letter.contact_ids or []
        if (contact := contacts[cid]).email
    ]


def send_letter(
    session: Session, action: CaseAction, clock: Clock, as_of: date | None = None
) -> LetterDelivery:
    """Email a case's stored letters to each parent with an email address; the rest print.

    Every contact with parental responsibility is an addressee: one letter per home (see
    `cases.letters.addressees`). The action's details record "delivery", the contact ids and
    any parent the letter cannot reach. The outbox key is the action and the contact, so
    sending twice queues nothing new. Writes in the caller's transaction; the caller commits.
    """
    batch = _decide(session, [action], clock, as_of)
    delivery, envelopes = _deliver(action, batch)
    queued = enqueue(session, envelopes, clock.now())
    session.flush()
    return replace(delivery, queued=queued)


def _deliver(action: CaseAction, batch: DecidedBatch) -> tuple[LetterDelivery, list[Envelope]]:
    """How an action's decided letters go out (emails to queue, parents to print for), and
    the action's details saying so."""
    decided = batch.letters[id_of(action)]
    contacts = {id_of(c): c for c in batch.parents[id_of(action)]}
    envelopes = [
        envelope
        for letter in decided.letters
        for envelope in _envelopes(letter, contacts, f"letter:{id_of(action)}")
    ]
    emailed = [e.contact_id for e in envelopes if e.contact_id is not None]
    printed = [
        cid
        for letter in decided.letters
        for cid in letter.contact_ids or []
        if cid in contacts and not contacts[cid].email
    ]
    delivery = "email_and_print" if emailed and printed else "email" if emailed else "print"
    # A new dict, so SQLAlchemy sees the JSON column change.
    action.details = {
        **(action.details or {}),
        "delivery": delivery,
        "emailed_contact_ids": emailed,
        "print_contact_ids": printed,
        "letter_as_of": decided.letters[0].as_of.isoformat() if decided.letters else None,
        "unaddressed": decided.problems,
    }
    return LetterDelivery(delivery, emailed, printed, 0, decided.problems), envelopes


def send_planned_letters(
    session: Session,
    school: LoadedSchool,
    on: date,
    clock: Clock,
    figures: Mapping[str, PupilStatistics] | None = None,
) -> LettersSent:
    """Every planned letter action not yet sent goes out once (the outbox keys make a repeat
    harmless); the action is then done, with how it went in its details.

    Decided together (`cases.letters.batch`, with the review's `figures` as of `on` when it
    passes them) and queued in one insert. Writes in the caller's transaction.
    """
    actions = list(planned_letters(session, school.id, LETTER_ACTIONS))
    if not actions:
        return LettersSent(0, 0)
    batch = decide_case_letters(session, school, actions, on, clock, figures)
    emailed = to_print = 0
    problems: list[str] = []
    envelopes: list[Envelope] = []
    now = clock.now()
    for action in actions:
        delivery, emails = _deliver(action, batch)
        envelopes += emails
        emailed += bool(delivery.emailed_contact_ids)
        to_print += delivery.delivery != "email"
        problems += delivery.problems
        action.status, action.completed_at, action.completed_by = "done", now, "engine"
    enqueue(session, envelopes, now)
    session.flush()
    return LettersSent(emailed, to_print, problems)


def stored_letter_pdf(session: Session, letter: StoredLetter) -> bytes:
    """The printable copy of a stored letter, exactly as it was decided: the PDF drawn after
    the review (`cases.letters.pdfs`), or drawn now from the stored HTML if not yet."""
    drawn = session.get(LetterPdf, id_of(letter))
    if drawn is not None:
        return drawn.pdf
    return render_letter_pdf(letter.html, header=get_school(session, letter.school_id).name)


def store_notice_letter(
    session: Session,
    action: LegalAction,
    clock: Clock,
    *,
    further_support: str,
    sufficient_improvement: str,
    early_grounds: str,
) -> DecidedLetters:
    """The Notice to Improve letter, stored when the notice is issued (or, for a notice
    issued before letters were stored, when first asked for), to the parent it names.

    Writes in the caller's transaction.
    """
    stored = stored_letters(session, legal_action_id=id_of(action))
    if stored:
        return DecidedLetters(stored)
    context, figures = notice_letter_context(
        session,
        action,
        school_today(clock),
        further_support=further_support,
        sufficient_improvement=sufficient_improvement,
        early_grounds=early_grounds,
    )
    pupil = session.get(Pupil, action.pupil_id)
    assert pupil is not None  # a foreign key
    return decide_letters(
        session,
        pupil,
        NOTICE_TO_IMPROVE,
        context,
        figures,
        [_notice_parent(session, action)],
        decided_at=clock.now(),
        decided_by=action.created_by,
        legal_action_id=id_of(action),
    )


def _notice_parent(session: Session, action: LegalAction) -> Contact:
    """The contact the notice was issued to; by name where it records no contact id.

    A name not on file is addressed without an address (the letter is then listed as
    unreachable), never to another parent.
    """
    if action.parent_contact_id is not None:
        found = session.get(Contact, action.parent_contact_id)
        if found is not None:
            return found
    for contact in parents_of(session, action.pupil_id):
        if contact.name == action.parent_name:
            return contact
    return Contact(
        pupil_id=action.pupil_id,
        priority=0,
        name=action.parent_name,
        relationship="parent",
        parental_responsibility=True,
    )
