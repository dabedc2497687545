"""The evidence pack's entry point: read the pupil's record once and draw the PDF."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from cases.evidence.chronology import Entry, at_start, get_pupil, read
from cases.evidence.register import read_figures, read_marks, weeks_of
from cases.evidence.sections import (
    chart,
    chronology_section,
    codes_section,
    cover,
    legal_section,
    letters_section,
    sources_section,
)
from cases.evidence.words import when
from cases.letters.stored import letters_of_pupil
from notifications.letter_words import date_words
from notifications.pdf import document_bytes, new_document
from school.clock import Clock
from school.models import Contact
from school.schools import calendar_of, get_school, policy_of


def evidence_pack_pdf(session: Session, pupil_id: int, as_of: date, clock: Clock) -> bytes:
    """The pupil's evidence pack: cover and figures, legal actions, chronology, weekly chart,
    register codes. Figures are for the school year up to `as_of` (or the leaving date).

    Reads only; no message bodies, phone numbers or email addresses appear in it.
    """
    pupil = get_pupil(session, pupil_id)
    school = get_school(session, pupil.school_id)
    policy = policy_of(school).policy
    calendar = calendar_of(school)
    on = min(as_of, pupil.leaving_date) if pupil.leaving_date else as_of
    start = max(calendar.academic_year_start(on), pupil.admission_date)
    contacts = list(
        session.scalars(
            select(Contact)
            .where(col(Contact.pupil_id) == pupil.id, col(Contact.parental_responsibility))
            .order_by(col(Contact.priority))
        )
    )
    entries, cases, actions = read(session, pupil, as_of)
    # Letters as stored when decided: the same dates and figures on every page they appear.
    letters = letters_of_pupil(
        session, pupil.id or 0, at_start(date.fromordinal(as_of.toordinal() + 1))
    )
    entries = sorted(
        [
            *entries,
            *(
                Entry(
                    letter.decided_at,
                    len(entries) + n,
                    "Letter",
                    f'Letter "{letter.subject}" dated {date_words(letter.letter_date)} to '
                    f"{letter.addressee} ({letter.delivery.replace('_', ' ')})",
                )
                for n, letter in enumerate(letters)
            ),
        ]
    )
    marks = read_marks(session, pupil.id or 0, start, on)
    produced = clock.now()
    name = f"{pupil.given_name} {pupil.family_name}"
    document = new_document(
        header=f"{school.name} - attendance evidence pack: {name}",
        title=f"Attendance evidence pack: {name}",
        footer_note="Confidential",
    )
    cover(
        document,
        pupil,
        school.name,
        policy.school.local_authority,
        contacts,
        read_figures(session, pupil, on),
        start,
        on,
        produced,
        cases,
    )
    legal_section(document, actions)
    letters_section(document, letters)
    chronology_section(document, entries)
    chart(document, weeks_of(calendar, marks, start, on))
    codes_section(document, marks)
    sources_section(
        document,
        [
            ("Register marks", len(marks), date_words(marks[-1][0]) if marks else "-"),
            ("Stored letters", len(letters), when(letters[-1].decided_at) if letters else "-"),
            ("Chronology entries", len(entries), when(entries[-1].at) if entries else "-"),
            ("Notices and penalty notices", len(actions), "-"),
            ("School policy version", 1, school.policy_version),
        ],
        when(produced),
    )
    return document_bytes(document)
