"""Staff confirm the absence code a reply or a call suggested: the decision is kept as a note."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from chase.models import Note, WelfareCheck
from chase.notes import add_note
from school.clock import Clock
from school.codes import ABSENCE_CODES, CODES

CONFIRMED = "code_confirmed"


def confirm_suggested_code(
    session: Session, check_id: int, code: str, by: str, clock: Clock, *, school_ids: Sequence[str]
) -> Note:
    """A named person confirms the code for an explained absence (the engine only suggests).

    Refused for a check not yet explained, one already confirmed, a check of another school,
    or a code that is not an absence code (nor N: an explained absence has its reason). A
    different code from the one suggested is a person's decision too; the note says so.
    """
    check = session.get(WelfareCheck, check_id)
    if check is None or check.school_id not in school_ids:
        raise LookupError(f"no welfare check {check_id}")
    if check.state != "explained":
        raise ValueError(
            f"welfare check {check_id} is {check.state.replace('_', ' ')}: only an explained "
            "absence has a code to confirm"
        )
    code = code.strip().upper()
    if code not in ABSENCE_CODES:
        raise ValueError(f"{code!r} is not a DfE absence code")
    if code == "N":
        raise ValueError("N means no reason yet: an explained absence is confirmed with its code")
    if confirmed_codes(session, [check_id]):
        raise ValueError(f"the code for welfare check {check_id} is already confirmed")
    meaning = CODES[code].meaning
    text = f"{code} ({meaning}) confirmed"
    if check.suggested_code and check.suggested_code != code:
        text += f"; {check.suggested_code} was suggested"
    note = add_note(session, check_id, by, clock.now(), text, outcome=CONFIRMED)
    session.commit()
    return note


def confirmed_codes(session: Session, check_ids: Sequence[int]) -> dict[int, Note]:
    """The confirmation of each of these checks that has one."""
    if not check_ids:
        return {}
    query = select(Note).where(col(Note.check_id).in_(check_ids), col(Note.outcome) == CONFIRMED)
    return {note.check_id: note for note in session.scalars(query.order_by(col(Note.id)))}
