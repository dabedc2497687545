"""What legal actions read: threshold evidence, support, a parent's earlier actions, events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from cases.legal.law import FIRM_CODES, PENALTY_NOTICE
from cases.legal.parents import Recipient
from cases.legal.refusals import LegalActionRefused, _name
from cases.models import AttendanceCase, CaseAction, LegalAction, LegalActionEvent
from cases.support_law import offered, status_words
from school.codes import ATTENDANCE_CODES, NATIONAL_THRESHOLD_CODES, POSSIBLE_CODES
from school.law import NATIONAL_THRESHOLD_SESSIONS, NATIONAL_THRESHOLD_WEEKS
from school.models import Pupil, School
from school.schools import calendar_of, policy_of
from school.statistics import attendance_statistics, period_for
from school.tables import MARKS


@dataclass(frozen=True)
class ThresholdEvidence:
    """The unauthorised sessions behind a legal action, in the threshold's window to a date."""

    window_start: date
    on: date
    counts: dict[str, int]  # G, N, O, U sessions in the window
    firm: int  # G, O and U: the count N cannot inflate
    firm_after_last_notice: int  # the firm count not already used by an earlier notice
    met_on: date | None  # the date of the firm session that met the threshold

    def summary(self) -> str:
        codes = ", ".join(f"{c} {n}" for c, n in sorted(self.counts.items()) if n)
        total = sum(self.counts.values())
        text = (
            f"{total} sessions of unauthorised absence ({codes or 'none'}) in the "
            f"{NATIONAL_THRESHOLD_WEEKS} school weeks from {self.window_start} to {self.on}"
        )
        return text + (f"; the national threshold was met on {self.met_on}" if self.met_on else "")


def _threshold(
    session: Session, school: School, pupil: Pupil, on: date, after: date | None = None
) -> ThresholdEvidence:
    """The national threshold as of `on` (spec §5), refusing when it is not firmly met.

    `after`: sessions on or before this date were relied on by an earlier penalty notice to this
    parent and cannot found another one (scenario 9: the threshold must be "met again").
    """
    figures = {f.upn: f for f in attendance_statistics(session, school.id, on)}.get(pupil.upn)
    if figures is None:
        raise LegalActionRefused(f"{_name(pupil)} is not on the school's roll on {on}")
    period = period_for(calendar_of(school), on)
    # One small query for this pupil's G, N, O and U sessions in the window.
    marks = session.execute(
        select(MARKS.c.date, MARKS.c.session, MARKS.c.code)
        .where(
            MARKS.c.pupil_id == pupil.id,
            MARKS.c.date.between(period.window_start, on),
            MARKS.c.code.in_(sorted(NATIONAL_THRESHOLD_CODES)),
        )
        .order_by(MARKS.c.date, MARKS.c.session)
    ).all()
    counts = {code: sum(1 for m in marks if m.code == code) for code in NATIONAL_THRESHOLD_CODES}
    firm = [m for m in marks if m.code in FIRM_CODES]
    unused = [m for m in firm if after is None or m.date > after]
    met_on = (
        unused[NATIONAL_THRESHOLD_SESSIONS - 1].date
        if len(unused) >= NATIONAL_THRESHOLD_SESSIONS
        else None
    )
    evidence = ThresholdEvidence(period.window_start, on, counts, len(firm), len(unused), met_on)
    needed = NATIONAL_THRESHOLD_SESSIONS
    if not figures.national_threshold_met:
        raise LegalActionRefused(
            f"the national threshold is not met on {on}: "
            f"{figures.unauthorised_sessions_rolling_10_school_weeks} sessions of unauthorised "
            f"absence (G, N, O, U) in the {NATIONAL_THRESHOLD_WEEKS} school weeks from "
            f"{period.window_start}, and {needed} are needed (spec §5)"
        )
    if evidence.firm < needed:
        raise LegalActionRefused(
            f"the national threshold is met on {on} only by counting {counts['N']} N sessions "
            f"(reason not yet established): {evidence.firm} G, O or U sessions in the "
            f"{NATIONAL_THRESHOLD_WEEKS} school weeks from {period.window_start}, and {needed} "
            "are needed; recode the N sessions first (spec §5: do not act on N alone)"
        )
    if evidence.firm_after_last_notice < needed:
        raise LegalActionRefused(
            f"the sessions up to {after} were relied on by an earlier penalty notice to this "
            f"parent: only {evidence.firm_after_last_notice} G, O or U sessions since, in the "
            f"{NATIONAL_THRESHOLD_WEEKS} school weeks from {period.window_start}, and {needed} "
            "are needed for a new one"
        )
    return evidence


def _open_case(session: Session, pupil_id: int) -> AttendanceCase | None:
    return session.scalars(
        select(AttendanceCase).where(
            col(AttendanceCase.pupil_id) == pupil_id, col(AttendanceCase.closed_at).is_(None)
        )
    ).first()


def _support(session: Session, case: AttendanceCase) -> list[CaseAction]:
    return list(
        session.scalars(
            select(CaseAction)
            .where(col(CaseAction.case_id) == case.id, col(CaseAction.is_support).is_(True))
            .order_by(col(CaseAction.created_at), col(CaseAction.id))
        )
    )


def _require_support(session: Session, pupil: Pupil, case: AttendanceCase | None) -> str:
    """Support offered, or recorded as not appropriate (spec §5 Holidays, §7.7 Enforce gate)."""
    if case is None:
        raise LegalActionRefused(
            f"{_name(pupil)} has no open attendance case: support must be offered first, or the "
            "case must record why support is not appropriate (spec §5)"
        )
    if case.support_not_appropriate:
        return f"support not appropriate: {case.support_not_appropriate}"
    made = offered(_support(session, case))
    if not made:
        raise LegalActionRefused(
            f"support has not been offered to {_name(pupil)}'s family (planned support does "
            "not count): record when and by whom support was offered (attendance case "
            "support-status), or why support is not appropriate (e.g. an unauthorised "
            "term-time holiday) (spec §5)"
        )
    return "support offered: " + "; ".join(f"{a.title} ({status_words(a)})" for a in made)


def _require_send_barriers(
    school: School, pupil: Pupil, case: AttendanceCase | None, what: str
) -> None:
    """A policy may require SEND barriers to be considered before any sanction (seed 004 §5.2)."""
    if not policy_of(school).policy.legal.send_barriers_considered_before_sanction:
        return
    if case is None or case.send_barriers_considered_at is None:
        raise LegalActionRefused(
            f"{school.name}'s policy requires SEND-related barriers to be considered before any "
            f"sanction: record on {_name(pupil)}'s attendance case that they were considered, "
            f"and by whom, before {what}"
        )


def _parents_actions(
    session: Session, pupil_id: int, parent: Recipient, kind: str
) -> list[LegalAction]:
    """This parent's actions of a kind for this pupil (siblings and the other parent apart)."""
    rows = session.scalars(
        select(LegalAction)
        .where(col(LegalAction.pupil_id) == pupil_id, col(LegalAction.kind) == kind)
        .order_by(col(LegalAction.id))
    )
    return [r for r in rows if parent.is_named_by(r)]


def _counted_notices(
    session: Session, pupil_id: int, parent: Recipient, exclude: int | None = None
) -> list[LegalAction]:
    """Penalty notices that count towards the limit: every kind but withdrawn (spec §5).

    Suspension notices are another kind and so never count (spec §5, scenario 11).
    """
    return [
        r
        for r in _parents_actions(session, pupil_id, parent, PENALTY_NOTICE)
        if r.state != "withdrawn" and r.id != exclude
    ]


def _unauthorised_between(
    session: Session, pupil_id: int, after: date, until: date
) -> list[tuple[date, str, str]]:
    rows = session.execute(
        select(MARKS.c.date, MARKS.c.session, MARKS.c.code)
        .where(
            MARKS.c.pupil_id == pupil_id,
            MARKS.c.date > after,
            MARKS.c.date <= until,
            MARKS.c.code.in_(sorted(NATIONAL_THRESHOLD_CODES)),
        )
        .order_by(MARKS.c.date, MARKS.c.session)
    ).all()
    return [(r.date, r.session, r.code) for r in rows]


def events_of(session: Session, action_id: int) -> list[LegalActionEvent]:
    """An action's events, oldest first."""
    return list(
        session.scalars(
            select(LegalActionEvent)
            .where(col(LegalActionEvent.legal_action_id) == action_id)
            .order_by(col(LegalActionEvent.id))
        )
    )


def improvement_figures(session: Session, action: LegalAction, on: date) -> dict[str, Any]:
    """A Notice to Improve's figures over its improvement period to `on` (at most its end):
    what the person judging the outcome sees, and what is stored with their decision."""
    assert action.issued_on is not None and action.improvement_period_end is not None
    start = action.issued_on + timedelta(days=1)
    end = min(on, action.improvement_period_end)
    codes = [
        code
        for (code,) in session.execute(
            select(MARKS.c.code).where(
                MARKS.c.pupil_id == action.pupil_id, MARKS.c.date.between(start, end)
            )
        )
    ]
    possible = sum(1 for c in codes if c in POSSIBLE_CODES)
    attended = sum(1 for c in codes if c in ATTENDANCE_CODES)
    unauthorised = {c: codes.count(c) for c in sorted(NATIONAL_THRESHOLD_CODES) if c in codes}
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "possible_sessions": possible,
        "attended_sessions": attended,
        "attendance_pct": round(100.0 * attended / possible, 1) if possible else None,
        "unauthorised": unauthorised,
        "unauthorised_sessions": sum(unauthorised.values()),
    }


def figures_words(figures: dict[str, Any]) -> str:
    """The improvement period's figures in a sentence."""
    pct = figures["attendance_pct"]
    codes = ", ".join(f"{c} {n}" for c, n in figures["unauthorised"].items())
    return (
        f"from {figures['from']} to {figures['to']}: "
        + (
            f"attendance {pct:.1f}% ({figures['attended_sessions']} of "
            f"{figures['possible_sessions']} sessions)"
            if pct is not None
            else "no possible sessions"
        )
        + f", {figures['unauthorised_sessions']} unauthorised"
        + (f" ({codes})" if codes else "")
    )
