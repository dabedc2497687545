"""The rows a legal action writes, and the one transaction each service call runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlmodel import Session, col
from transitions import EventData

from cases.legal.parents import Recipient, notice_recipient
from cases.legal.refusals import LegalActionRefused, _not_future, _who
from cases.models import AttendanceCase, LegalAction, LegalActionEvent
from school.clock import Clock
from school.database import id_of
from school.models import Pupil, School
from school.schools import get_school
from state_machines.legal_action import ActionAdapter, TransitionRefused, fire


class LegalActionEffects:
    """The rows one service call writes (implements state_machines.legal_action.LegalEffects)."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now

    def opened(self, row: LegalAction, trigger: str, actor: str, reason: str) -> None:
        """The first event of a new action: from nothing to its starting state."""
        self._event(row, "", row.state, trigger, actor, reason)

    def record_transition(self, action: ActionAdapter, event: EventData) -> None:
        transition = event.transition
        assert transition is not None, "after_state_change always has a transition"
        self._event(
            action.row,
            transition.source,
            str(transition.dest),
            event.event.name,
            event.kwargs.get("actor", "engine"),
            event.kwargs.get("reason", ""),
            event.kwargs.get("details"),
        )

    def settle(self, action: ActionAdapter, paid_on: date, amount: int) -> None:
        action.row.paid_on, action.row.amount_paid = paid_on, amount

    def withdrawn(self, action: ActionAdapter, on: date) -> None:
        action.row.withdrawn_on = on

    def _event(
        self,
        row: LegalAction,
        from_state: str,
        to_state: str,
        trigger: str,
        actor: str,
        why: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(row)
        self.session.add(
            LegalActionEvent(
                legal_action_id=id_of(row),
                at=self.now,
                from_state=from_state,
                to_state=to_state,
                trigger=trigger,
                actor=actor,
                reason=why,
                details=details,
            )
        )


def _pupil(session: Session, pupil_id: int) -> Pupil:
    # Lock the pupil on PostgreSQL so two requests for one family are counted one after the
    # other (the per-parent limit); SQLite serialises writers anyway.
    pupil = session.scalars(
        select(Pupil).where(col(Pupil.id) == pupil_id).with_for_update()
    ).first()
    if pupil is None:
        raise LegalActionRefused(f"no pupil with id {pupil_id}")
    return pupil


class NewNotice(NamedTuple):
    """Who is acting, for which parent (as on file) and pupil at which school."""

    actor: str
    parent: Recipient
    pupil: Pupil
    school: School

    def legal_action(
        self, case: AttendanceCase | None, created_at: datetime, **fields: Any
    ) -> LegalAction:
        """The notice's row, with its school, case, pupil, person named and author filled in."""
        return LegalAction(
            school_id=self.school.id,
            case_id=id_of(case) if case else None,
            pupil_id=id_of(self.pupil),
            parent_name=self.parent.name,
            parent_contact_id=self.parent.contact_id,
            parent_carer_id=self.parent.carer_id,
            created_at=created_at,
            created_by=self.actor,
            **fields,
        )


def new_notice(
    session: Session, pupil_id: int, by: str, parent: str, on: date, clock: Clock, what: str
) -> NewNotice:
    """The checks every new notice makes first: a named actor, a date not in the future (`what`
    names it in the refusal), the pupil, locked, and the parent, someone on the pupil's file."""
    actor = _who(by)
    _not_future(on, clock, what)
    pupil = _pupil(session, pupil_id)
    recipient = notice_recipient(session, pupil, parent)
    return NewNotice(actor, recipient, pupil, get_school(session, pupil.school_id))


def _action(session: Session, action_id: int, *kinds: str) -> LegalAction:
    row = session.get(LegalAction, action_id)
    if row is None or row.kind not in kinds:
        raise LegalActionRefused(
            f"no {' or '.join(k.replace('_', ' ') for k in kinds)} {action_id}"
        )
    return row


def _action_in_machine(
    session: Session, action_id: int, clock: Clock, *kinds: str
) -> tuple[LegalAction, ActionAdapter]:
    """The action (one of `kinds`) and its machine, writing its events into this session."""
    row = _action(session, action_id, *kinds)
    return row, ActionAdapter(row, LegalActionEffects(session, clock.now()))


def _fire(action: ActionAdapter, trigger: str, **kwargs: object) -> None:
    try:
        fire(action, trigger, **kwargs)
    except TransitionRefused as exc:
        kind = str(action.row.kind).replace("_", " ")
        raise LegalActionRefused(
            f"the {kind} {action.row.id} is {action.state.replace('_', ' ')}: "
            f"{trigger.replace('_', ' ')} is not possible from there"
        ) from exc


@contextmanager
def _transaction(session: Session) -> Iterator[None]:
    """Each service is one transaction: all of it commits, or (refused, failed) none of it."""
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _new_action(
    session: Session, row: LegalAction, trigger: str, actor: str, reason: str
) -> LegalAction:
    """Add a legal action with its opening event (from "" to its first state)."""
    session.add(row)
    session.flush()
    LegalActionEffects(session, row.created_at).opened(row, trigger, actor, reason)
    return row
