"""Refusals of new notices kept when refused: the rule's words, who asked, for whom, when."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from cases.legal.refusals import LegalActionRefused
from cases.models import LegalRefusal
from school.clock import Clock
from school.models import Pupil


@contextmanager
def refusal_kept(
    session: Session, pupil_id: int, kind: str, parent: str, by: str, on: date, clock: Clock
) -> Iterator[None]:
    """Around a service's own transaction: when the law refuses the notice, the refusal is
    written in a transaction of its own (the service's rolled back), then raised as before."""
    try:
        yield
    except LegalActionRefused as refused:
        session.rollback()
        pupil = session.get(Pupil, pupil_id)
        if pupil is not None:  # a wrong pupil id is a mistake, not a refusal to keep
            session.add(
                LegalRefusal(
                    school_id=pupil.school_id,
                    pupil_id=pupil_id,
                    kind=kind,
                    parent=parent.strip()[:200],
                    asked_by=by.strip()[:200],
                    asked_for=on,
                    refused_at=clock.now(),
                    reason=refused.reason,
                    alternatives=list(refused.alternatives),
                )
            )
            session.commit()
        raise


def legal_refusals(
    session: Session, school_id: str, pupil_id: int | None = None
) -> list[tuple[LegalRefusal, Pupil]]:
    """The refusals kept at a school (or for one pupil), newest first."""
    query = (
        select(LegalRefusal, Pupil)
        .join(Pupil, col(Pupil.id) == LegalRefusal.pupil_id)
        .where(col(LegalRefusal.school_id) == school_id)
        .order_by(col(LegalRefusal.refused_at).desc(), col(LegalRefusal.id).desc())
    )
    if pupil_id is not None:
        query = query.where(col(LegalRefusal.pupil_id) == pupil_id)
    return [(r, p) for r, p in session.execute(query).all()]
