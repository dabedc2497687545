"""Retention: register entries, message bodies and sign-in records past the policy's periods
deleted or blanked, safeguarding records kept, and each run that changed something recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlmodel import Session, col

from cases.models import RetentionRun
from chase.models import ParentReply, WelfareCheck
from notifications.models import OutboxMessage
from school.accounts import ACCESS_ACTIONS, AuditEntry
from school.clock import SCHOOL_TIME_ZONE
from school.models import AttendanceMark, Contact, MarkAmendment, Pupil
from school.policy_retention import Retention
from school.schools import LoadedSchool

# Messages still on their way keep their bodies: the dispatcher needs them.
_IN_FLIGHT = ("pending", "sending")


@dataclass(frozen=True)
class Cutoffs:
    """What is older than these goes: register sessions before `register_before` (and not
    amended since), message bodies written before `messages_before`."""

    register_before: date
    messages_before: datetime
    access_before: datetime


def cutoffs(policy: Retention, now: datetime) -> Cutoffs:
    """The cut-offs on `now`: whole years back for registers (29 Feb → 28 Feb), days for
    message bodies. A session on the cut-off date itself is kept."""
    today = now.date()
    year = today.year - policy.register_years
    day = today.replace(year=year, day=28) if (today.month, today.day) == (2, 29) else today
    return Cutoffs(
        day.replace(year=year),
        now - timedelta(days=policy.message_body_days),
        now - timedelta(days=policy.access_log_days),
    )


@dataclass(frozen=True)
class RetentionResult:
    school_id: str
    dry_run: bool
    cutoffs: Cutoffs
    counts: dict[str, int]
    run: RetentionRun | None  # the audit record; None on a dry run or when nothing went


def apply_retention(
    session: Session, school: LoadedSchool, now: datetime, *, dry_run: bool
) -> RetentionResult:
    """Delete or blank what the school's policy no longer keeps, in one transaction; a dry run
    counts the same rows and changes nothing."""
    cut = cutoffs(school.policy.policy.retention, now)
    marks = _old_marks(school.id, cut)
    outbox = _old_outbox(school.id, cut)
    replies = _old_replies(session, school.id, cut)
    access = _old_access_log(school.id, cut)
    counts = {
        "marks_deleted": _count(session, marks),
        "amendments_deleted": _count(
            session, select(col(MarkAmendment.id)).where(col(MarkAmendment.mark_id).in_(marks))
        ),
        "message_bodies_blanked": _count(session, outbox),
        "reply_bodies_blanked": len(replies),
        "access_log_entries_deleted": _count(session, access),
        "safeguarding_records_deleted": 0,  # policy: "never" by this command (KCSIE)
    }
    if dry_run or not any(counts.values()):
        return RetentionResult(school.id, dry_run, cut, counts, None)
    session.execute(delete(MarkAmendment).where(col(MarkAmendment.mark_id).in_(marks)))
    session.execute(delete(AttendanceMark).where(col(AttendanceMark.id).in_(marks)))
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(outbox))
        .values(text="", subject=None, html=None, to="")
    )
    if replies:
        session.execute(
            update(ParentReply)
            .where(col(ParentReply.id).in_(replies))
            .values(body="", from_number="")
        )
    session.execute(delete(AuditEntry).where(col(AuditEntry.id).in_(access)))
    run = RetentionRun(
        school_id=school.id,
        ran_at=now,
        policy_version=school.policy.version,
        cutoffs=cutoffs_json(cut),
        counts=counts,
    )
    session.add(run)
    session.commit()
    return RetentionResult(school.id, dry_run, cut, counts, run)


def cutoffs_json(cut: Cutoffs) -> dict[str, Any]:
    return {
        "register_before": cut.register_before.isoformat(),
        "messages_before": cut.messages_before.isoformat(),
        "access_log_before": cut.access_before.isoformat(),
    }


def _count(session: Session, ids: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(ids.subquery())) or 0)


def _old_marks(school_id: str, cut: Cutoffs) -> Any:
    """The school's register entries for sessions before the cut-off, amended (if ever) only
    before it too: an amendment restarts the six years."""
    amended_since = exists().where(
        col(MarkAmendment.mark_id) == AttendanceMark.id,
        col(MarkAmendment.amended_at)
        >= datetime.combine(cut.register_before, time(), SCHOOL_TIME_ZONE),
    )
    return (
        select(col(AttendanceMark.id))
        .join(Pupil, col(Pupil.id) == AttendanceMark.pupil_id)
        .where(col(Pupil.school_id) == school_id, col(AttendanceMark.date) < cut.register_before)
        .where(~amended_since)
    )


def _old_outbox(school_id: str, cut: Cutoffs) -> Any:
    return select(col(OutboxMessage.id)).where(
        col(OutboxMessage.school_id) == school_id,
        col(OutboxMessage.created_at) < cut.messages_before,
        col(OutboxMessage.status).not_in(_IN_FLIGHT),
        or_(col(OutboxMessage.text) != "", col(OutboxMessage.to) != ""),
    )


def _old_access_log(school_id: str, cut: Cutoffs) -> Any:
    """Sign-in records before the cut-off: this school's, and those tied to no school (a login
    is the account's, not a school's; any school's run may clear the old ones)."""
    return select(col(AuditEntry.id)).where(
        col(AuditEntry.action).in_(ACCESS_ACTIONS),
        col(AuditEntry.at) < cut.access_before,
        or_(col(AuditEntry.school_id) == school_id, col(AuditEntry.school_id).is_(None)),
    )


def _old_replies(session: Session, school_id: str, cut: Cutoffs) -> list[int]:
    """Replies received before the cut-off, still with a body, from this school's families
    (matched to its contacts or checks) or matched to nobody (kept no longer than any)."""
    candidates = session.execute(
        select(col(ParentReply.id), col(ParentReply.contact_ids), col(ParentReply.check_ids)).where(
            col(ParentReply.received_at) < cut.messages_before,
            or_(col(ParentReply.body) != "", col(ParentReply.from_number) != ""),
        )
    ).all()
    if not candidates:
        return []
    contacts = set(
        session.scalars(
            select(col(Contact.id))
            .join(Pupil, col(Pupil.id) == Contact.pupil_id)
            .where(col(Pupil.school_id) == school_id)
        )
    )
    checks = set(
        session.scalars(
            select(col(WelfareCheck.id)).where(col(WelfareCheck.school_id) == school_id)
        )
    )
    return [
        reply_id
        for reply_id, contact_ids, check_ids in candidates
        if (not contact_ids and not check_ids)
        or set(contact_ids or ()) & contacts
        or set(check_ids or ()) & checks
    ]
