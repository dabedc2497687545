"""Finding a pupil as staff ask for one: by UPN, or by part of a name, in one query."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from school.models import Pupil

MOST = 50  # a list a person can read: more matches ask for more of the name


def find_pupils(session: Session, school_id: str, asked: str) -> list[Pupil]:
    """The school's pupils (leavers too: their record stays) whose UPN is `asked` or whose
    given and family names contain each word asked, case ignored; by family name."""
    words = asked.split()
    if not words:
        return []
    full = func.lower(col(Pupil.given_name) + " " + col(Pupil.family_name))
    query = (
        select(Pupil)
        .where(col(Pupil.school_id) == school_id)
        .where(
            or_(
                col(Pupil.upn) == asked.strip().upper(),
                *[full.contains(w.lower(), autoescape=True) for w in words[:1]],
            )
        )
    )
    for word in words[1:]:
        query = query.where(full.contains(word.lower(), autoescape=True))
    query = query.order_by(col(Pupil.family_name), col(Pupil.given_name), col(Pupil.id))
    return list(session.scalars(query.limit(MOST + 1)))
