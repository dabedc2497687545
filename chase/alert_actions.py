"""What the DSL did about an alert (police, social care, a home visit...): stored, then read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from sqlalchemy import select
from sqlmodel import Session, col

from chase.models import DslAlert, SafeguardingAction
from school.clock import SCHOOL_TIME_ZONE, Clock

# What a DSL records having done, in the words of a safeguarding log.
ACTIONS = {
    "police": "Police informed",
    "social_care": "Children's social care contacted",
    "home_visit": "Home visit made",
    "social_worker": "Social worker told",
    "other": "Other action",
}


def on_alert_day(alert: DslAlert, at: time) -> datetime:
    """A time of day given for an action, on the (school) day the alert was raised."""
    day = alert.raised_at.astimezone(SCHOOL_TIME_ZONE).date()
    return datetime.combine(day, at, tzinfo=SCHOOL_TIME_ZONE)


def record_alert_action(
    session: Session,
    alert_id: int,
    kind: str,
    done_at: datetime,
    by: str,
    clock: Clock,
    note: str = "",
) -> SafeguardingAction:
    """Store what was done and when. The first response to an alert acknowledges it, as an
    acknowledgement with a note would; nothing earlier is changed."""
    if kind not in ACTIONS:
        raise ValueError(f"the action must be one of {', '.join(ACTIONS)}")
    alert = session.get(DslAlert, alert_id)
    if alert is None:
        raise LookupError(f"no alert {alert_id}")
    now = clock.now()
    if done_at > now:
        raise ValueError(
            f"{_clock(done_at)} is later than now ({_clock(now)}): record it once done"
        )
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, by
        session.add(alert)
    action = SafeguardingAction(
        alert_id=alert_id,
        check_id=alert.check_id,
        kind=kind,
        done_at=done_at,
        recorded_by=by,
        recorded_at=now,
        note=note.strip(),
    )
    session.add(action)
    session.commit()
    return action


def actions_on(session: Session, check_ids: Sequence[int]) -> list[SafeguardingAction]:
    """Every action recorded on these checks' alerts, in the order they were done."""
    if not check_ids:
        return []
    query = (
        select(SafeguardingAction)
        .where(col(SafeguardingAction.check_id).in_(check_ids))
        .order_by(col(SafeguardingAction.done_at), col(SafeguardingAction.id))
    )
    return list(session.scalars(query))


def action_words(action: SafeguardingAction) -> str:
    """'Police informed at 10:40 (recorded by Dee Safeguard at 10:52); PC Smith, ref 123'."""
    head = f"{ACTIONS.get(action.kind, action.kind)} at {_clock(action.done_at)}"
    head += f" (recorded by {action.recorded_by} at {_clock(action.recorded_at)})"
    return head + (f"; {action.note}" if action.note else "")


def _clock(instant: datetime) -> str:
    return f"{instant.astimezone(SCHOOL_TIME_ZONE):%H:%M}"
