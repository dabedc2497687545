"""Stored letters: written once when decided, then printed, emailed and reprinted as stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from cases.letters.addressees import Addressees, addressee_groups, unreachable
from cases.letters.context import LetterFigures
from cases.models import StoredLetter
from notifications.letters import letter_subject, render_letter_html
from school.database import id_of
from school.models import Contact, Pupil


@dataclass
class DecidedLetters:
    """The stored letters of one decision, and who they could not reach."""

    letters: list[StoredLetter]
    problems: list[str] = field(default_factory=list)


def delivery_of(group: Addressees) -> str:
    """Email to every parent with an address; on paper too if any parent has none."""
    emailed = any(c.email for c in group.contacts)
    printed = any(not c.email for c in group.contacts)
    return "email_and_print" if emailed and printed else "email" if emailed else "print"


def addressed_context(context: Mapping[str, object], group: Addressees) -> dict[str, object]:
    return {**context, "parent_name": group.greeting, "parent_address": list(group.postal_address)}


def decide_letters(
    session: Session,
    pupil: Pupil,
    letter: str,
    context: Mapping[str, object],
    figures: LetterFigures,
    parents: list[Contact],
    *,
    decided_at: datetime,
    decided_by: str,
    case_action_id: int | None = None,
    legal_action_id: int | None = None,
) -> DecidedLetters:
    """Render the letter once per addressee group and store each with its figures.

    Writes in the caller's transaction. A parent with neither a postal address nor an email
    still gets a stored letter (to print and hand over), and is named in `problems`.
    """
    decided = letters_for(
        pupil,
        letter,
        context,
        figures,
        parents,
        decided_at=decided_at,
        decided_by=decided_by,
        case_action_id=case_action_id,
        legal_action_id=legal_action_id,
    )
    session.add_all(decided.letters)
    session.flush()
    return decided


def letters_for(
    pupil: Pupil,
    letter: str,
    context: Mapping[str, object],
    figures: LetterFigures,
    parents: list[Contact],
    *,
    decided_at: datetime,
    decided_by: str,
    case_action_id: int | None = None,
    legal_action_id: int | None = None,
) -> DecidedLetters:
    """`decide_letters` without the database: the rows to store, for a caller storing many."""
    decided = DecidedLetters([])
    if not parents:
        decided.problems.append(
            f"{pupil.given_name} {pupil.family_name} has nobody with parental responsibility "
            "on file: the letter was not written"
        )
    for group in addressee_groups(parents):
        html = render_letter_html(pupil.school_id, letter, addressed_context(context, group))
        if not group.postal_address:
            decided.problems += [unreachable(c) for c in group.contacts if not c.email]
        decided.letters.append(
            StoredLetter(
                school_id=pupil.school_id,
                pupil_id=id_of(pupil),
                case_action_id=case_action_id,
                legal_action_id=legal_action_id,
                letter=letter,
                subject=letter_subject(html),
                decided_at=decided_at,
                decided_by=decided_by,
                letter_date=figures.letter_date,
                period_start=figures.period_start,
                as_of=figures.as_of,
                attendance_pct=figures.attendance_pct,
                sessions_missed=figures.sessions_missed,
                unauthorised_sessions=figures.unauthorised_sessions,
                addressee=group.greeting,
                contact_ids=group.contact_ids,
                postal_address=list(group.postal_address),
                delivery=delivery_of(group),
                html=html,
            )
        )
    return decided


def letters_of_pupil(session: Session, pupil_id: int, until: datetime) -> list[StoredLetter]:
    """The pupil's stored letters decided before `until`, oldest first."""
    return list(
        session.scalars(
            select(StoredLetter)
            .where(col(StoredLetter.pupil_id) == pupil_id, col(StoredLetter.decided_at) < until)
            .order_by(col(StoredLetter.decided_at), col(StoredLetter.id))
        )
    )


def stored_letters(
    session: Session, *, case_action_id: int | None = None, legal_action_id: int | None = None
) -> list[StoredLetter]:
    """The letters stored for a case action or a legal action, in addressee order."""
    query = select(StoredLetter).order_by(col(StoredLetter.id))
    if case_action_id is not None:
        query = query.where(col(StoredLetter.case_action_id) == case_action_id)
    else:
        query = query.where(col(StoredLetter.legal_action_id) == legal_action_id)
    return list(session.scalars(query))
