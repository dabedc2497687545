"""Staff confirm the code a reply or a call suggested: noted, and written in the register."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from chase.models import Note, WelfareCheck, WelfareCheckEvent
from chase.notes import add_note
from school.amendments import Amender, amend_mark
from school.clock import Clock
from school.codes import ABSENCE_CODES, CODES
from school.models import AttendanceMark

# The register entry a confirmation replaces: N, "no reason yet", is what the chase was for.
# Anything else was entered by a person (or the MIS) since, and is theirs to change.
_UNEXPLAINED = "N"

CONFIRMED = "code_confirmed"


def confirm_suggested_code(
    session: Session,
    check_id: int,
    code: str,
    by: Amender,
    clock: Clock,
    *,
    school_ids: Sequence[str],
) -> Note:
    """A named person confirms the code for an explained absence (the engine only suggests).

    The session's N in the register becomes the confirmed code, an amendment with who, when and
    why (reg 6), so the figures count it from now on. A register that no longer shows N for the
    session (the MIS or a person entered a code since) is left as it is, and the note says so.

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
    text += _write_register(session, check, code, by, clock)
    note = add_note(session, check_id, str(by), clock.now(), text, outcome=CONFIRMED)
    session.commit()
    return note


def _write_register(
    session: Session, check: WelfareCheck, code: str, by: Amender, clock: Clock
) -> str:
    """Amend the session's N to the confirmed code; what happened, as words for the note."""
    mark = session.scalars(
        select(AttendanceMark).where(
            col(AttendanceMark.pupil_id) == check.pupil_id,
            col(AttendanceMark.date) == check.date,
            col(AttendanceMark.session) == check.session,
        )
    ).first()
    where = f"{check.date} {check.session}"
    if mark is None:
        return f"; the register has no entry for {where} yet: enter {code} when it is taken"
    if mark.code == code:
        return f"; the register already shows {code} for {where}"
    if mark.code != _UNEXPLAINED:
        return f"; the register shows {mark.code} for {where}, left as it is"
    amend_mark(session, mark, code, None, by, _reason(session, check, code), clock.now())
    return f"; register {where} amended from N to {code}"


def _reason(session: Session, check: WelfareCheck, code: str) -> str:
    """Why the entry changed, for a reader years later: the explanation the chase was given."""
    explained = session.scalars(
        select(WelfareCheckEvent)
        .where(
            col(WelfareCheckEvent.check_id) == check.id,
            col(WelfareCheckEvent.to_state) == "explained",
        )
        .order_by(col(WelfareCheckEvent.id).desc())
    ).first()
    because = f": {explained.reason}" if explained and explained.reason else ""
    return f"absence explained{because}; {code} confirmed after the welfare check"


def confirmed_codes(session: Session, check_ids: Sequence[int]) -> dict[int, Note]:
    """The confirmation of each of these checks that has one."""
    if not check_ids:
        return {}
    query = select(Note).where(col(Note.check_id).in_(check_ids), col(Note.outcome) == CONFIRMED)
    return {note.check_id: note for note in session.scalars(query.order_by(col(Note.id)))}
