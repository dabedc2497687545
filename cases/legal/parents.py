"""Who a notice may name: a contact with parental responsibility, or a recorded carer.

Education Act 1996 s576: a parent is anyone with parental responsibility or who has care of
the child. A name typed at a door is never enough: it must be someone on the pupil's file.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlmodel import Session, col

from cases.legal.law import _same_parent
from cases.legal.refusals import LegalActionRefused, _name, _who
from cases.models import LegalAction, PupilCarer
from school.clock import Clock
from school.models import Contact, Pupil


class Recipient(NamedTuple):
    """The person a notice names, as on file."""

    name: str
    contact_id: int | None = None
    carer_id: int | None = None

    @classmethod
    def of(cls, row: LegalAction) -> Recipient:
        return cls(row.parent_name, row.parent_contact_id, row.parent_carer_id)

    def is_named_by(self, row: LegalAction) -> bool:
        """The same person as an earlier notice. Contact ids change when an import replaces a
        pupil's contacts, so the name on file (never a typed spelling) also matches."""
        if self.contact_id is not None and row.parent_contact_id == self.contact_id:
            return True
        if self.carer_id is not None and row.parent_carer_id == self.carer_id:
            return True
        return _same_parent(row.parent_name, self.name)


def _contacts(session: Session, pupil: Pupil) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact).where(col(Contact.pupil_id) == pupil.id).order_by(col(Contact.priority))
        )
    )


def _carers(session: Session, pupil: Pupil) -> list[PupilCarer]:
    return list(
        session.scalars(
            select(PupilCarer)
            .where(col(PupilCarer.pupil_id) == pupil.id)
            .order_by(col(PupilCarer.id))
        )
    )


def notice_recipient(session: Session, pupil: Pupil, parent: str) -> Recipient:
    """The person `parent` names (a contact id, or an exact name: case and spacing aside).

    Refused, with everyone who may be named, unless it is a contact of this pupil with
    parental responsibility or a carer recorded on the pupil.
    """
    given = " ".join(parent.split())
    if not given:
        raise LegalActionRefused(_not_on_file(session, pupil, "name the parent liable"))
    contacts, carers = _contacts(session, pupil), _carers(session, pupil)
    if given.isdigit():
        found = [c for c in contacts if c.id == int(given)]
    else:
        found = [c for c in contacts if _same_parent(c.name, given)]
    holders = [c for c in found if c.parental_responsibility]
    if len(holders) == 1:
        return Recipient(holders[0].name, holders[0].id)
    if len(holders) > 1:
        raise LegalActionRefused(
            _not_on_file(session, pupil, f"{given!r} names {len(holders)} contacts: give the id")
        )
    cared = [c for c in carers if not given.isdigit() and _same_parent(c.name, given)]
    if cared:
        return Recipient(cared[-1].name, carer_id=cared[-1].id)
    why = (
        f"{found[0].name} ({found[0].relationship}) is on file without parental responsibility"
        if found
        else f"{given!r} is not a contact of {_name(pupil)} on file"
    )
    raise LegalActionRefused(_not_on_file(session, pupil, why))


def _not_on_file(session: Session, pupil: Pupil, why: str) -> str:
    eligible = [
        f"contact {c.id} {c.name} ({c.relationship})"
        for c in _contacts(session, pupil)
        if c.parental_responsibility
    ] + [f"{c.name} (carer, recorded by {c.recorded_by})" for c in _carers(session, pupil)]
    who = "; ".join(eligible) if eligible else "nobody on file"
    return (
        f"{why}: a notice names a contact with parental responsibility (by contact id or exact "
        f"name) or a carer recorded on the pupil (attendance case carer). Eligible: {who}"
    )


def record_carer(
    session: Session, pupil_id: int, name: str, by: str, reason: str, clock: Clock
) -> PupilCarer:
    """Record a person with day-to-day care of the pupil, who recorded it and why; commits."""
    pupil = session.get(Pupil, pupil_id)
    if pupil is None:
        raise LookupError(f"no pupil {pupil_id}")
    carer_name = " ".join(name.split())
    why = " ".join(reason.split())
    if not carer_name:
        raise LegalActionRefused("--name: give the carer's full name")
    if not why:
        raise LegalActionRefused("--reason: say why this person has day-to-day care")
    carer = PupilCarer(
        pupil_id=pupil_id,
        name=carer_name,
        recorded_by=_who(by),
        reason=why,
        recorded_at=clock.now(),
    )
    session.add(carer)
    session.commit()
    return carer
