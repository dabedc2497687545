"""Taking welfare checks for one transaction before changing them, so concurrent runs queue
instead of failing: the row is bumped (compare-and-set on `version`) and then read afresh.

Every ORM write of a check is compare-and-set on `version`; a check read before another worker
changed it would fail at commit with StaleDataError. Bumping it first takes its row lock on
PostgreSQL (held to commit; rows in id order, so two takers never deadlock) and the write lock
on SQLite, and re-checks that it is still open: a check another run finished meanwhile is
simply not returned ("someone else did it").
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlmodel import Session, col

from chase.models import WelfareCheck
from state_machines.welfare_check import FINISHED

CHECKS = WelfareCheck.__table__  # type: ignore[attr-defined]


def lock_checks(
    session: Session, ids: Iterable[int], *, open_only: bool = True
) -> list[WelfareCheck]:
    """The checks among `ids` (still open, unless `open_only` is False), held by this
    transaction and read as they are now, in id order."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    taken = select(CHECKS.c.id).where(CHECKS.c.id.in_(wanted)).order_by(CHECKS.c.id)
    if open_only:
        taken = taken.where(CHECKS.c.state.not_in(FINISHED))
    if session.get_bind().dialect.name == "postgresql":
        taken = taken.with_for_update()
    held = [
        row[0]
        for row in session.execute(
            update(CHECKS)
            .where(CHECKS.c.id.in_(taken.scalar_subquery()))
            .values(version=CHECKS.c.version + 1)
            .returning(CHECKS.c.id)
        )
    ]
    if not held:
        return []
    return list(
        session.scalars(
            select(WelfareCheck)
            .where(col(WelfareCheck.id).in_(held))
            .order_by(col(WelfareCheck.id))
            # The session may hold these from earlier in the tick, with an older version.
            .execution_options(populate_existing=True)
        )
    )
