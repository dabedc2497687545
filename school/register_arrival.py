"""Recording a pupil's arrival from the signing-in book: the mark it earns, written or amended."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from school.amendments import Amender, amend_mark, amendment_reason
from school.arrival import register_mark_for_arrival, session_of_arrival
from school.calendar import RegisterSession
from school.clock import SCHOOL_TIME_ZONE, Clock
from school.codes import CODES
from school.database import id_of
from school.models import Arrival, AttendanceMark, MarkAmendment, Pupil
from school.roll import year_label
from school.schools import LoadedSchool

# The marks an arrival may replace: an absence nobody has explained (N, O, G: the pupil is here
# after all) and an earlier late mark (the time was corrected). Anything else (present, an
# authorised absence, off-site) is a record the office's book cannot overrule on its own.
REPLACEABLE = ("N", "O", "G", "L", "U")


class ArrivalRefused(ValueError):
    """The arrival cannot be recorded as asked; nothing was written. The message says why."""


@dataclass(frozen=True)
class ArrivalResult:
    """What recording an arrival did, as the command reports it."""

    pupil_id: int
    upn: str
    name: str
    year_group: int
    date: date
    session: RegisterSession
    arrived_at: time
    register_opens: time
    register_closes: time
    code: str
    minutes_late: int | None
    outcome: str  # "recorded" (no mark before), "amended" (replaced a mark), "unchanged"
    replaced: tuple[str, int | None] | None = None
    amendment_id: int | None = None
    by: str | None = None
    reason: str | None = None


def record_arrival(
    session: Session,
    school: LoadedSchool,
    upn: str,
    on: date,
    arrived: time,
    clock: Clock,
    *,
    register_session: RegisterSession | None = None,
    by: Amender | None = None,
    reason: str | None = None,
) -> ArrivalResult:
    """Mark the pupil's session as the arrival time earns (present, L or U) and commit.

    Over an existing unexplained absence or late mark this is an amendment (reg 6): it needs
    who (`by`) and keeps why (`reason`, else the signing-in time itself).
    """
    sess = register_session or session_of_arrival(arrived)
    pupil = _pupil_on_roll(session, school, upn, on, sess)
    if datetime.combine(on, arrived, SCHOOL_TIME_ZONE) > clock.now():
        raise ArrivalRefused(
            f"{on} {arrived:%H:%M} is later than now: an arrival is recorded once it happens"
        )
    why = amendment_reason(reason) if reason is not None else f"signed in at {arrived:%H:%M}"
    try:
        window = school.policy.policy.register_window(pupil.year_group, sess)
    except KeyError:
        raise ArrivalRefused(
            f"the policy has no {sess} register window for {year_label(pupil.year_group)}"
        ) from None
    code, minutes = register_mark_for_arrival(school.policy.policy, pupil.year_group, sess, arrived)
    mark = session.scalars(
        select(AttendanceMark).where(
            col(AttendanceMark.pupil_id) == id_of(pupil),
            col(AttendanceMark.date) == on,
            col(AttendanceMark.session) == sess,
        )
    ).first()
    # What the book entry and the command's report both say, decided once.
    decided: dict[str, Any] = {
        "pupil_id": id_of(pupil),
        "date": on,
        "session": sess,
        "arrived_at": arrived,
        "register_opens": window.opens,
        "register_closes": window.closes,
        "code": code,
        "minutes_late": minutes,
    }
    result = ArrivalResult(
        upn=pupil.upn,
        name=f"{pupil.given_name} {pupil.family_name}",
        year_group=pupil.year_group,
        outcome="recorded",
        by=str(by) if by else None,
        **decided,
    )
    now = clock.now()
    amendment: MarkAmendment | None = None
    if mark is None:
        session.add(
            AttendanceMark(
                pupil_id=id_of(pupil), date=on, session=sess, code=code, minutes_late=minutes
            )
        )
    elif (mark.code, mark.minutes_late) == (code, minutes):
        return replace(result, outcome="unchanged")
    else:
        amendment = _amend(session, mark, code, minutes, by, why, now, result)
    session.add(
        Arrival(
            school_id=school.id,
            **decided,
            replaced_code=amendment.original_code if amendment else None,
            mark_amendment_id=amendment.id if amendment else None,
            recorded_at=now,
            recorded_by_name=by.name if by else None,
            recorded_by_position=by.position if by else None,
        )
    )
    session.commit()
    if amendment is None:
        return result
    return replace(
        result,
        outcome="amended",
        replaced=(amendment.original_code, amendment.original_minutes_late),
        amendment_id=amendment.id,
        reason=why,
    )


def _pupil_on_roll(
    session: Session, school: LoadedSchool, upn: str, on: date, sess: RegisterSession
) -> Pupil:
    """The pupil, on roll at a school session that day; otherwise the reason it cannot be."""
    if not school.calendar.is_school_day(on):
        raise ArrivalRefused(
            f"{on} is not a school day at {school.name} (weekend, holiday or closure): "
            "there is no register to mark"
        )
    if sess not in school.calendar.sessions_on(on):
        raise ArrivalRefused(f"{school.name} holds no {sess} session on {on}")
    pupil = session.scalars(
        select(Pupil).where(col(Pupil.school_id) == school.id, col(Pupil.upn) == upn)
    ).first()
    if pupil is None:
        raise LookupError(f"no pupil {upn} at {school.name}")
    if on < pupil.admission_date or (pupil.leaving_date and on > pupil.leaving_date):
        raise ArrivalRefused(
            f"{upn} is not on roll on {on} (on roll {pupil.admission_date} to "
            f"{pupil.leaving_date or 'now'}): there is no register entry to make"
        )
    return pupil


def _amend(
    session: Session,
    mark: AttendanceMark,
    code: str,
    minutes: int | None,
    by: Amender | None,
    why: str,
    now: datetime,
    result: ArrivalResult,
) -> MarkAmendment:
    """Replace the stored mark with the arrival's, keeping the audit reg 6 asks for."""
    if mark.code not in REPLACEABLE:
        raise ArrivalRefused(
            f"{result.upn} is already marked {mark.code} ({CODES[mark.code].meaning}) for "
            f"{result.date} {result.session}; an arrival replaces only "
            f"{', '.join(REPLACEABLE)}. If that mark is wrong, amend it with "
            '`attendance import --marks FILE --by "Name, Position" --reason "..."`'
        )
    if by is None:
        raise ArrivalRefused(
            f"{result.upn} is already marked {mark.code} for {result.date} {result.session}: "
            f"recording the arrival amends it to {code}, and an amendment needs who makes it "
            '(--by "Name, Position", reg 6)'
        )
    return amend_mark(session, mark, code, minutes, by, why, now)
