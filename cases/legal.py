"""Notices to Improve, penalty notices, payments and non-payment decisions, as the law allows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlmodel import Session, col
from transitions import EventData

from cases.models import AttendanceCase, CaseAction, LegalAction, LegalActionEvent
from school.clock import Clock, school_today
from school.codes import NATIONAL_THRESHOLD_CODES
from school.database import id_of
from school.law import NATIONAL_THRESHOLD_SESSIONS, NTI_WEEKS
from school.models import Pupil, School
from school.school_age import csa_end, csa_start, is_compulsory_school_age
from school.schools import calendar_of, get_school, policy_of
from school.statistics import attendance_statistics, period_for
from school.tables import MARKS
from state_machines.legal_action import (
    NTI_START,
    PN_START,
    SUSPENSION_PN_START,
    ActionAdapter,
    TransitionRefused,
    fire,
)

NOTICE_TO_IMPROVE = "notice_to_improve"
PENALTY_NOTICE = "penalty_notice"
SUSPENSION_PENALTY_NOTICE = "suspension_penalty_notice"

EARLY_PAYMENT_DAYS = 21  # spec §5 1st PN: calendar days from receipt (PNREG24 r4)
PAYMENT_DAYS = 28
LOOKBACK_YEARS = 3  # spec §5 3rd PN: "the previous three years ending with" the proposed date
PENALTY_NOTICE_LIMIT = 2
# (amount if paid within 21 days, amount within 28 days) in pounds; None: no early discount.
FIRST_PN_AMOUNTS: tuple[int | None, int] = (80, 160)
SECOND_PN_AMOUNTS: tuple[int | None, int] = (None, 160)
SUSPENSION_PN_AMOUNTS: tuple[int | None, int] = (60, 120)  # spec §5 EIA 2006 s103/105 row
SUSPENSION_DUTY_SCHOOL_DAYS = 5  # the first 5 school days of a suspension or exclusion
# N is provisional until recoded; only G, O and U make a firm threshold (spec §5, §10.2).
FIRM_CODES = frozenset(NATIONAL_THRESHOLD_CODES - {"N"})
PROVISIONAL_CODE = "N"
# A planned or declined offer is still support offered; only a cancelled one was never made.
SUPPORT_NOT_OFFERED = frozenset({"cancelled"})
ALTERNATIVE_ACTION = (
    "an education supervision order (Children Act 1989 s36), which the local authority must "
    "consider before prosecuting (Education Act 1996 s447)",
    "prosecution under Education Act 1996 s444(1) or s444(1A)",
    "further support or an attendance contract",
)

# The eight things a Notice to Improve must contain (spec §5 NTI content), in letter order.
NTI_ELEMENTS = (
    ("record", "Attendance record and offences"),
    ("duty", "Why attendance matters and the parent's legal duty"),
    ("support_so_far", "Support provided so far"),
    ("further_support", "Further support available, including support refused before"),
    ("warning", "Warning"),
    ("improvement_period", "Improvement period"),
    ("sufficient_improvement", "What sufficient improvement looks like"),
    ("early_grounds", "Grounds for a penalty notice before the period ends"),
)
DUTY_TEXT = (
    "Regular attendance is essential to your child's learning, wellbeing and future. As the "
    "parent of a child of compulsory school age you have a legal duty under section 7 of the "
    "Education Act 1996 to make sure they receive a suitable full-time education, and under "
    "section 444 to make sure they attend school regularly."
)
SUFFICIENT_IMPROVEMENT = "No further unauthorised absence during the improvement period."
EARLY_GROUNDS = (
    "Any unauthorised absence during the improvement period shows that improvement has clearly "
    "failed; you will be told before a penalty notice is issued early."
)

Decision = Literal["prosecute", "withdraw"]


class LegalActionRefused(Exception):
    """The law (or the school's policy) does not allow this legal action; `reason` says why.

    `alternatives` lists what to consider instead, when the law names it (a third notice).
    """

    def __init__(self, reason: str, alternatives: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.alternatives = tuple(alternatives)


# --- the rows each transition writes -----------------------------------------------------------


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
        )

    def settle(self, action: ActionAdapter, paid_on: date, amount: int) -> None:
        action.row.paid_on, action.row.amount_paid = paid_on, amount

    def withdrawn(self, action: ActionAdapter, on: date) -> None:
        action.row.withdrawn_on = on

    def _event(
        self, row: LegalAction, from_state: str, to_state: str, trigger: str, actor: str, why: str
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
            )
        )


# --- what the law checks -------------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdEvidence:
    """The unauthorised sessions behind a legal action, in the 10 school weeks to a date."""

    window_start: date
    on: date
    counts: dict[str, int]  # G, N, O, U sessions in the window
    firm: int  # G, O and U: the count N cannot inflate
    firm_after_last_notice: int  # the firm count not already used by an earlier notice
    met_on: date | None  # the date of the 10th firm session relied on

    def summary(self) -> str:
        codes = ", ".join(f"{c} {n}" for c, n in sorted(self.counts.items()) if n)
        total = sum(self.counts.values())
        text = (
            f"{total} sessions of unauthorised absence ({codes or 'none'}) in the 10 school "
            f"weeks from {self.window_start} to {self.on}"
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
            f"absence (G, N, O, U) in the 10 school weeks from {period.window_start}, and "
            f"{needed} are needed (spec §5)"
        )
    if evidence.firm < needed:
        raise LegalActionRefused(
            f"the national threshold is met on {on} only by counting {counts['N']} N sessions "
            f"(reason not yet established): {evidence.firm} G, O or U sessions in the 10 school "
            f"weeks from {period.window_start}, and {needed} are needed; recode the N sessions "
            "first (spec §5: do not act on N alone)"
        )
    if evidence.firm_after_last_notice < needed:
        raise LegalActionRefused(
            f"the sessions up to {after} were relied on by an earlier penalty notice to this "
            f"parent: only {evidence.firm_after_last_notice} G, O or U sessions since, in the 10 "
            f"school weeks from {period.window_start}, and {needed} are needed for a new one"
        )
    return evidence


def _require_csa(pupil: Pupil, on: date) -> None:
    """Spec §5 Scope, §7.1: NTI, PN and prosecution apply only to compulsory school age."""
    if is_compulsory_school_age(pupil.date_of_birth, on):
        return
    start, end = csa_start(pupil.date_of_birth), csa_end(pupil.date_of_birth)
    when = f"it starts on {start}" if on < start else f"it ended on {end}"
    raise LegalActionRefused(
        f"{_name(pupil)} is not of compulsory school age on {on} ({when}): no Notice to Improve "
        "or penalty notice; letters and support only (spec §5 Scope, §7.1)"
    )


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
    offered = [a for a in _support(session, case) if a.status not in SUPPORT_NOT_OFFERED]
    if not offered:
        raise LegalActionRefused(
            f"support has not been offered to {_name(pupil)}'s family: record the support "
            "offered in the case, or why support is not appropriate (e.g. an unauthorised "
            "term-time holiday) (spec §5)"
        )
    return "support offered: " + "; ".join(f"{a.title} ({a.status})" for a in offered)


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


def lookback_start(proposed: date) -> date:
    """The first day of the three years ending with `proposed` (spec §5 3rd PN, §10.5).

    Three calendar years back, then the next day; 29 February goes back to 28 February.
    """
    try:
        same_day = proposed.replace(year=proposed.year - LOOKBACK_YEARS)
    except ValueError:  # 29 February with no 29th three years earlier
        same_day = date(proposed.year - LOOKBACK_YEARS, 2, 28)
    return same_day + timedelta(days=1)


def _same_parent(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _parents_actions(
    session: Session, pupil_id: int, parent_name: str, kind: str
) -> list[LegalAction]:
    """This parent's actions of a kind for this pupil (siblings and the other parent apart)."""
    rows = session.scalars(
        select(LegalAction)
        .where(col(LegalAction.pupil_id) == pupil_id, col(LegalAction.kind) == kind)
        .order_by(col(LegalAction.id))
    )
    return [r for r in rows if _same_parent(r.parent_name, parent_name)]


def _counted_notices(
    session: Session, pupil_id: int, parent_name: str, exclude: int | None = None
) -> list[LegalAction]:
    """Penalty notices that count towards the limit: every kind but withdrawn (spec §5).

    Suspension notices are another kind and so never count (spec §5, scenario 11).
    """
    return [
        r
        for r in _parents_actions(session, pupil_id, parent_name, PENALTY_NOTICE)
        if r.state != "withdrawn" and r.id != exclude
    ]


def _sequence(
    session: Session, pupil_id: int, parent_name: str, proposed: date, exclude: int | None = None
) -> int:
    """1 or 2: which notice this would be; refuses a third within three years (spec §5)."""
    start = lookback_start(proposed)
    earlier = sorted(
        r.issued_on
        for r in _counted_notices(session, pupil_id, parent_name, exclude)
        if r.issued_on is not None and start <= r.issued_on <= proposed
    )
    if len(earlier) >= PENALTY_NOTICE_LIMIT:
        raise LegalActionRefused(
            f"a third penalty notice cannot be issued to {parent_name} for this pupil: "
            f"{len(earlier)} earlier penalty notices (issued {', '.join(map(str, earlier))}) in "
            f"the three years from {start} to {proposed}; take alternative action instead: "
            + "; ".join(ALTERNATIVE_ACTION),
            alternatives=ALTERNATIVE_ACTION,
        )
    return len(earlier) + 1


def _amounts_for(sequence: int) -> tuple[int | None, int]:
    return FIRST_PN_AMOUNTS if sequence == 1 else SECOND_PN_AMOUNTS


def amount_due(action: LegalAction, paid_on: date) -> int | None:
    """What is due on a date: the early amount within 21 days of receipt, the full amount
    within 28, nothing after (spec §5: calendar days, running from the day after receipt)."""
    if action.received_on is None or action.amount is None:
        return None
    days = (paid_on - action.received_on).days
    if action.amount_if_paid_early is not None and days <= EARLY_PAYMENT_DAYS:
        return action.amount_if_paid_early
    if days <= PAYMENT_DAYS:
        return action.amount
    return None


def payment_period_end(action: LegalAction) -> date:
    if action.received_on is None:
        raise LegalActionRefused(f"legal action {action.id} has not been received yet")
    return action.received_on + timedelta(days=PAYMENT_DAYS)


# --- small helpers -------------------------------------------------------------------------------


def _name(pupil: Pupil) -> str:
    return f"{pupil.given_name} {pupil.family_name}"


def _who(by: str) -> str:
    if not by.strip():
        raise LegalActionRefused("say who is acting: a name and position, e.g. 'Jo Bloggs, Head'")
    return by.strip()


def _parent(name: str) -> str:
    if not name.strip():
        raise LegalActionRefused("name the parent liable: the one who allowed the absence")
    return " ".join(name.split())


def _because(reason: str | None, what: str) -> str:
    if reason is None or not reason.strip():
        raise LegalActionRefused(f"give a reason for {what}")
    return reason.strip()


def _not_future(on: date, clock: Clock, what: str) -> None:
    today = school_today(clock)
    if on > today:
        raise LegalActionRefused(f"{what} ({on}) cannot be later than today ({today})")


def _pupil(session: Session, pupil_id: int) -> Pupil:
    # Lock the pupil on PostgreSQL so two requests for one family are counted one after the
    # other (the per-parent limit); SQLite serialises writers anyway.
    pupil = session.scalars(
        select(Pupil).where(col(Pupil.id) == pupil_id).with_for_update()
    ).first()
    if pupil is None:
        raise LegalActionRefused(f"no pupil with id {pupil_id}")
    return pupil


def _action(session: Session, action_id: int, *kinds: str) -> LegalAction:
    row = session.get(LegalAction, action_id)
    if row is None or row.kind not in kinds:
        raise LegalActionRefused(
            f"no {' or '.join(k.replace('_', ' ') for k in kinds)} {action_id}"
        )
    return row


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


# --- Notices to Improve --------------------------------------------------------------------------


def issue_notice_to_improve(
    session: Session,
    pupil_id: int,
    parent_name: str,
    by: str,
    on: date,
    weeks: int | None = None,
    *,
    clock: Clock,
    further_support: str | None = None,
    sufficient_improvement: str = SUFFICIENT_IMPROVEMENT,
    early_grounds: str = EARLY_GROUNDS,
) -> LegalAction:
    """Issue a Notice to Improve to one parent: CSA pupil, national threshold firmly met.

    The improvement period is the policy's `notice_to_improve_weeks` (or `weeks`), 3 to 6
    calendar weeks from the day after issue. `offence_summary` holds the eight elements the
    letter needs, one numbered line each (read them back with `notice_elements`).
    """
    with _transaction(session):
        actor = _who(by)
        parent_name = _parent(parent_name)
        _not_future(on, clock, "the issue date")
        pupil = _pupil(session, pupil_id)
        school = get_school(session, pupil.school_id)
        chosen = (
            weeks if weeks is not None else policy_of(school).policy.legal.notice_to_improve_weeks
        )
        low, high = NTI_WEEKS
        if not low <= chosen <= high:
            raise LegalActionRefused(
                f"an improvement period of {chosen} weeks is not allowed: it must be {low} to "
                f"{high} weeks (spec §5 NTI content (6))"
            )
        _require_csa(pupil, on)
        running = [
            r
            for r in _parents_actions(session, pupil_id, parent_name, NOTICE_TO_IMPROVE)
            if r.state == NTI_START
        ]
        if running:
            raise LegalActionRefused(
                f"{parent_name} already has a Notice to Improve for {_name(pupil)} in its "
                f"improvement period until {running[-1].improvement_period_end}"
            )
        evidence = _threshold(session, school, pupil, on)
        case = _open_case(session, pupil_id)
        end = on + timedelta(weeks=chosen)
        elements = _nti_elements(
            session,
            case,
            evidence,
            on,
            end,
            chosen,
            further_support,
            sufficient_improvement,
            early_grounds,
        )
        row = LegalAction(
            school_id=school.id,
            case_id=case.id if case else None,
            pupil_id=pupil_id,
            parent_name=parent_name,
            kind=NOTICE_TO_IMPROVE,
            state=NTI_START,
            issued_on=on,
            improvement_period_end=end,
            threshold_first_met_on=evidence.met_on,
            offence_summary=elements,
            created_at=clock.now(),
            created_by=actor,
        )
        _new_action(
            session,
            row,
            "issue_notice_to_improve",
            actor,
            f"{evidence.summary()}; improvement period of {chosen} weeks to {end}",
        )
    return row


def _nti_elements(
    session: Session,
    case: AttendanceCase | None,
    evidence: ThresholdEvidence,
    on: date,
    end: date,
    weeks: int,
    further_support: str | None,
    sufficient_improvement: str,
    early_grounds: str,
) -> str:
    support = _support(session, case) if case else []
    given = [a.title for a in support if a.status not in SUPPORT_NOT_OFFERED | {"declined"}]
    declined = [a.title for a in support if a.status == "declined"]
    further = further_support or "The school will meet you to agree further support."
    if declined:
        further += " Support offered before and refused, still available: " + "; ".join(declined)
    texts = {
        "record": evidence.summary() + ".",
        "duty": DUTY_TEXT,
        "support_so_far": "; ".join(given) if given else "None recorded.",
        "further_support": further,
        "warning": (
            f"If attendance does not improve sufficiently by {end}, you may be issued with a "
            "penalty notice or prosecuted under section 444 of the Education Act 1996."
        ),
        "improvement_period": f"{weeks} weeks, from {on + timedelta(days=1)} to {end}.",
        "sufficient_improvement": sufficient_improvement,
        "early_grounds": early_grounds,
    }
    return "\n".join(
        f"{i}. {label}: {' '.join(texts[key].split())}"
        for i, (key, label) in enumerate(NTI_ELEMENTS, start=1)
    )


def notice_elements(action: LegalAction) -> dict[str, str]:
    """The eight NTI elements stored in `offence_summary`, by key (see NTI_ELEMENTS)."""
    lines = (action.offence_summary or "").splitlines()
    found: dict[str, str] = {}
    for (key, label), line in zip(NTI_ELEMENTS, lines, strict=False):
        found[key] = line.split(f"{label}: ", 1)[1] if f"{label}: " in line else line
    return found


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


def review_notice_to_improve(
    session: Session,
    action_id: int,
    by: str,
    on: date,
    *,
    clock: Clock,
    improved: bool | None = None,
    reason: str | None = None,
    parent_told_on: date | None = None,
) -> LegalAction:
    """Judge a Notice to Improve: improved or not at the end of its period, or failed early.

    At the end: any G, O or U in the period means not improved, none means improved; staff
    may judge otherwise with a reason (`improved` and `reason`), and must when N codes in the
    period are still unresolved. Before the end: only "not improved", only when improvement
    has clearly failed (a G, O or U in the period) and only once the parent has been told
    (`parent_told_on`, recorded in the event's reason) (spec §5 "Early PN").
    """
    with _transaction(session):
        actor = _who(by)
        _not_future(on, clock, "the review date")
        row = _action(session, action_id, NOTICE_TO_IMPROVE)
        adapter = ActionAdapter(row, LegalActionEffects(session, clock.now()))
        if row.state != NTI_START:
            _fire(adapter, "review_not_improved")  # refuses with the state it is in
        assert row.issued_on is not None and row.improvement_period_end is not None
        end = row.improvement_period_end
        if on < row.issued_on:
            raise LegalActionRefused(f"the review date {on} is before the notice ({row.issued_on})")
        absences = _unauthorised_between(session, row.pupil_id, row.issued_on, min(on, end))
        firm = [a for a in absences if a[2] in FIRM_CODES]
        pending = [a for a in absences if a[2] == PROVISIONAL_CODE]
        shown = ", ".join(f"{c} on {d} {s}" for d, s, c in absences) or "none"
        figures = f"unauthorised absence since the notice: {shown}"
        if on < end:
            if improved:
                raise LegalActionRefused(
                    f"the improvement period runs until {end}: it can be judged improved only "
                    "at its end"
                )
            _fail_early(adapter, actor, on, end, firm, parent_told_on, figures, reason)
            return row
        if improved is None:
            if pending:
                raise LegalActionRefused(
                    f"{len(pending)} N sessions (reason not yet established) in the improvement "
                    "period: recode them first, or record a staff judgement with a reason"
                )
            outcome, why = not firm, figures
        else:
            outcome = improved
            why = f"{figures}; staff judgement: {_because(reason, 'a staff judgement')}"
        _fire(
            adapter,
            "review_improved" if outcome else "review_not_improved",
            actor=actor,
            reason=f"improvement period ended {end}; {why}",
        )
    return row


def _fail_early(
    adapter: ActionAdapter,
    actor: str,
    on: date,
    end: date,
    firm: list[tuple[date, str, str]],
    parent_told_on: date | None,
    figures: str,
    reason: str | None,
) -> None:
    if not firm:
        raise LegalActionRefused(
            f"the improvement period runs until {end} and improvement has not clearly failed "
            f"({figures}, no G, O or U): judge it at the end of the period (spec §5 Early PN)"
        )
    if parent_told_on is None:
        raise LegalActionRefused(
            "the parent must be told before a penalty notice is issued before the improvement "
            f"period ends ({end}): record when they were told (parent_told_on) (spec §5 Early PN)"
        )
    first = firm[0][0]
    if not first <= parent_told_on <= on:
        raise LegalActionRefused(
            f"the parent was told on {parent_told_on}: that must be after improvement failed "
            f"({first}) and not after this review ({on})"
        )
    told = f"parent told on {parent_told_on} that a penalty notice may be issued early"
    extra = f"; {reason.strip()}" if reason and reason.strip() else ""
    _fire(
        adapter,
        "fail_early",
        actor=actor,
        reason=f"improvement clearly failed before {end}: {figures}; {told}{extra}",
    )


# --- penalty notices -----------------------------------------------------------------------------


def request_penalty_notice(
    session: Session,
    pupil_id: int,
    parent_name: str,
    by: str,
    on: date,
    *,
    clock: Clock,
    parent_contact_id: int | None = None,
) -> LegalAction:
    """Ask the LA for a penalty notice to one parent, if the law allows one on `on` (spec §5).

    Refused unless: the pupil is of compulsory school age; the national threshold is met in
    the 10 school weeks to `on` by G, O and U alone (N is provisional), with sessions not
    already relied on by an earlier notice to this parent; support was offered or is recorded
    as not appropriate; SEND barriers were considered where the policy says so; no Notice to
    Improve to this parent is still in its improvement period; and this parent has fewer than
    two counted penalty notices for this pupil in the three years ending with `on`.
    """
    with _transaction(session):
        actor = _who(by)
        parent_name = _parent(parent_name)
        _not_future(on, clock, "the request date")
        pupil = _pupil(session, pupil_id)
        school = get_school(session, pupil.school_id)
        _require_csa(pupil, on)
        earlier = _counted_notices(session, pupil_id, parent_name)
        pending = [r for r in earlier if r.state == PN_START]
        if pending:
            raise LegalActionRefused(
                f"a penalty notice to {parent_name} for {_name(pupil)} is already requested "
                f"(legal action {pending[0].id}): issue or withdraw it first"
            )
        notices = _parents_actions(session, pupil_id, parent_name, NOTICE_TO_IMPROVE)
        running = [n for n in notices if n.state == NTI_START]
        if running:
            raise LegalActionRefused(
                f"{parent_name}'s Notice to Improve is in its improvement period until "
                f"{running[-1].improvement_period_end}: review it first; a penalty notice "
                "before then needs improvement to have clearly failed and the parent told "
                "(spec §5 Early PN)"
            )
        last_issued = max((r.issued_on for r in earlier if r.issued_on), default=None)
        evidence = _threshold(session, school, pupil, on, after=last_issued)
        case = _open_case(session, pupil_id)
        support = _require_support(session, pupil, case)
        _require_send_barriers(school, pupil, case, "a penalty notice")
        sequence = _sequence(session, pupil_id, parent_name, on)
        early, full = _amounts_for(sequence)
        row = LegalAction(
            school_id=school.id,
            case_id=id_of(case) if case else None,
            pupil_id=pupil_id,
            parent_name=parent_name,
            parent_contact_id=parent_contact_id,
            kind=PENALTY_NOTICE,
            state=PN_START,
            sequence=sequence,
            amount_if_paid_early=early,
            amount=full,
            threshold_first_met_on=evidence.met_on,
            offence_summary=evidence.summary(),
            created_at=clock.now(),
            created_by=actor,
        )
        _new_action(
            session,
            row,
            "request",
            actor,
            f"requested on {on}: {evidence.summary()}; {support}; "
            f"{_ordinal(sequence)} penalty notice in three years ({_terms(early, full)})",
        )
        not_improved = [n for n in notices if n.state == "not_improved"]
        if not_improved:
            _fire(
                ActionAdapter(not_improved[-1], LegalActionEffects(session, clock.now())),
                "request_penalty_notice",
                actor=actor,
                reason=f"penalty notice requested (legal action {row.id})",
            )
    return row


def _ordinal(sequence: int) -> str:
    return {1: "first", 2: "second"}.get(sequence, f"number {sequence}")


def _terms(early: int | None, full: int) -> str:
    if early is None:
        return f"£{full} within {PAYMENT_DAYS} days of receipt, no reduction"
    return (
        f"£{early} if paid within {EARLY_PAYMENT_DAYS} days of receipt, "
        f"£{full} within {PAYMENT_DAYS}"
    )


def issue_penalty_notice(
    session: Session,
    action_id: int,
    by: str,
    issued_on: date,
    received_on: date,
    *,
    clock: Clock,
) -> LegalAction:
    """Record that a requested penalty notice was issued, and when the parent received it.

    The limit is counted again on the issue date (the regs count back from the date it is
    proposed to issue), so the amounts are the ones due for that date.
    """
    with _transaction(session):
        actor = _who(by)
        _not_future(issued_on, clock, "the issue date")
        row = _action(session, action_id, PENALTY_NOTICE)
        adapter = ActionAdapter(row, LegalActionEffects(session, clock.now()))
        if row.state != PN_START:
            _fire(adapter, "issue")  # refuses with the state it is in
        if row.threshold_first_met_on and issued_on < row.threshold_first_met_on:
            raise LegalActionRefused(
                f"the issue date {issued_on} is before the threshold was met "
                f"({row.threshold_first_met_on})"
            )
        if received_on < issued_on:
            raise LegalActionRefused(
                f"the notice cannot be received ({received_on}) before it is issued ({issued_on})"
            )
        sequence = _sequence(session, row.pupil_id, row.parent_name, issued_on, id_of(row))
        row.sequence = sequence
        row.amount_if_paid_early, row.amount = _amounts_for(sequence)
        row.issued_on, row.received_on = issued_on, received_on
        _fire(
            adapter,
            "issue",
            actor=actor,
            reason=f"issued on {issued_on}, received on {received_on}: {_ordinal(sequence)} "
            f"penalty notice in three years, {_terms(row.amount_if_paid_early, row.amount)}",
        )
    return row


def issue_suspension_penalty_notice(
    session: Session,
    pupil_id: int,
    parent_name: str,
    by: str,
    *,
    suspension_starts_on: date,
    suspension_school_days: int,
    notice_given_on: date | None,
    seen_on: date,
    place: str,
    issued_on: date,
    received_on: date,
    clock: Clock,
) -> LegalAction:
    """A penalty notice for a suspended pupil seen in a public place in school hours during the
    first 5 school days of the suspension (EIA 2006 s103/s105): £60 within 21 days of receipt,
    £120 within 28. No support test, and it never counts towards the two-notice limit.
    """
    with _transaction(session):
        actor = _who(by)
        parent_name = _parent(parent_name)
        _not_future(issued_on, clock, "the issue date")
        pupil = _pupil(session, pupil_id)
        school = get_school(session, pupil.school_id)
        _require_csa(pupil, seen_on)
        if notice_given_on is None or notice_given_on > seen_on:
            raise LegalActionRefused(
                "the duty to keep the pupil out of public places applies only once the s104 "
                "notice has been given to the parent (EIA 2006 s104): record when it was given"
            )
        calendar = calendar_of(school)
        start_day = calendar.day(suspension_starts_on)
        if start_day is None:
            raise LegalActionRefused(
                f"the suspension cannot start on {suspension_starts_on}: not a school day"
            )
        first = start_day.day_index
        covered = min(suspension_school_days, SUSPENSION_DUTY_SCHOOL_DAYS)
        duty_days = [d.date for d in calendar.days[first : first + covered]]
        if seen_on not in duty_days:
            raise LegalActionRefused(
                f"{seen_on} is not one of the first {covered} school days of the suspension "
                f"({', '.join(map(str, duty_days))}): the public-place duty covers only those "
                "(EIA 2006 s103)"
            )
        if issued_on < seen_on or received_on < issued_on:
            raise LegalActionRefused(
                f"the dates are out of order: seen {seen_on}, issued {issued_on}, received "
                f"{received_on}"
            )
        # One notice per parent per offence: the seen date is the offence (kept in the summary).
        offence = _suspension_offence(seen_on)
        same = [
            r
            for r in _parents_actions(session, pupil_id, parent_name, SUSPENSION_PENALTY_NOTICE)
            if r.state != "withdrawn" and offence in (r.offence_summary or "")
        ]
        if same:
            raise LegalActionRefused(
                f"{parent_name} already has a penalty notice for {seen_on} (legal action "
                f"{same[0].id}): one notice per offence"
            )
        case = _open_case(session, pupil_id)
        _require_send_barriers(school, pupil, case, "a penalty notice")
        early, full = SUSPENSION_PN_AMOUNTS
        day = duty_days.index(seen_on) + 1
        summary = (
            f"{_suspension_offence(seen_on)} ({place}), school day {day} of a suspension from "
            f"{suspension_starts_on}; s104 notice given on {notice_given_on} (EIA 2006 s103)"
        )
        row = LegalAction(
            school_id=school.id,
            case_id=id_of(case) if case else None,
            pupil_id=pupil_id,
            parent_name=parent_name,
            kind=SUSPENSION_PENALTY_NOTICE,
            state=SUSPENSION_PN_START,
            issued_on=issued_on,
            received_on=received_on,
            amount_if_paid_early=early,
            amount=full,
            offence_summary=summary,
            created_at=clock.now(),
            created_by=actor,
        )
        _new_action(
            session,
            row,
            "issue",
            actor,
            f"{summary}; issued on {issued_on}, received on {received_on}: "
            f"{_terms(early, full)}; not counted towards the penalty notice limit",
        )
    return row


def _suspension_offence(seen_on: date) -> str:
    return f"seen in a public place in school hours on {seen_on}"


def record_payment(
    session: Session, action_id: int, paid_on: date, amount: int, by: str, *, clock: Clock
) -> LegalAction:
    """Record a payment: exactly the amount due on that date, and none after 28 days."""
    with _transaction(session):
        actor = _who(by)
        _not_future(paid_on, clock, "the payment date")
        row = _action(session, action_id, PENALTY_NOTICE, SUSPENSION_PENALTY_NOTICE)
        adapter = ActionAdapter(row, LegalActionEffects(session, clock.now()))
        if row.state != "issued":
            _fire(adapter, "pay")  # refuses with the state it is in
        assert row.issued_on is not None and row.received_on is not None
        if paid_on < row.issued_on:
            raise LegalActionRefused(f"the payment date {paid_on} is before the notice was issued")
        due = amount_due(row, paid_on)
        day = (paid_on - row.received_on).days
        if due is None:
            raise LegalActionRefused(
                f"no payment can be accepted on {paid_on}: the {PAYMENT_DAYS} days for payment "
                f"ended on {payment_period_end(row)}; the notice is unpaid and the local "
                "authority must decide to prosecute or withdraw it (spec §5 Non-payment)"
            )
        if amount != due:
            raise LegalActionRefused(
                f"£{amount} does not match the £{due} due on {paid_on} (day {day} after receipt "
                f"on {row.received_on}; {_terms(row.amount_if_paid_early, row.amount or 0)})"
            )
        early = row.amount_if_paid_early is not None and due == row.amount_if_paid_early
        _fire(
            adapter,
            "pay_early" if early else "pay",
            actor=actor,
            reason=f"£{amount} paid on {paid_on}, day {day} after receipt",
            paid_on=paid_on,
            amount=amount,
        )
    return row


def review_unpaid(
    session: Session, action_id: int, on: date, *, clock: Clock, by: str = "engine"
) -> LegalAction:
    """After 28 days without payment the notice is unpaid and a decision is due."""
    with _transaction(session):
        _not_future(on, clock, "the review date")
        row = _action(session, action_id, PENALTY_NOTICE, SUSPENSION_PENALTY_NOTICE)
        adapter = ActionAdapter(row, LegalActionEffects(session, clock.now()))
        _mark_unpaid(adapter, on, _who(by))
    return row


def _mark_unpaid(adapter: ActionAdapter, on: date, actor: str) -> None:
    row: LegalAction = adapter.row
    if row.state != "issued":
        _fire(adapter, "mark_unpaid")  # refuses with the state it is in
    end = payment_period_end(row)
    if on <= end:
        raise LegalActionRefused(
            f"the {PAYMENT_DAYS} days for payment run until {end}: no decision on non-payment "
            f"before then (spec §5 Non-payment)"
        )
    _fire(
        adapter,
        "mark_unpaid",
        actor=actor,
        reason=f"not paid within {PAYMENT_DAYS} days of receipt (by {end}): the local authority "
        "must now decide to prosecute or withdraw",
    )


def decide_unpaid(
    session: Session,
    action_id: int,
    decision: Decision,
    by: str,
    reason: str,
    *,
    clock: Clock,
    on: date | None = None,
) -> LegalAction:
    """The LA's decision on an unpaid notice: prosecute for the original offence, or withdraw.

    Refused before the 28 days for payment have passed; an issued notice past them is first
    recorded as unpaid.
    """
    with _transaction(session):
        actor = _who(by)
        why = _because(reason, f"the decision to {decision}")
        when = on or school_today(clock)
        _not_future(when, clock, "the decision date")
        if decision not in ("prosecute", "withdraw"):
            raise LegalActionRefused(
                f"the decision must be prosecute or withdraw, not {decision!r}"
            )
        row = _action(session, action_id, PENALTY_NOTICE, SUSPENSION_PENALTY_NOTICE)
        adapter = ActionAdapter(row, LegalActionEffects(session, clock.now()))
        if row.state == "issued":
            _mark_unpaid(adapter, when, actor)
        if decision == "prosecute":
            _fire(adapter, "prosecute", actor=actor, reason=f"decided on {when}: {why}")
        else:
            _fire(adapter, "withdraw", actor=actor, reason=f"decided on {when}: {why}", on=when)
    return row


def withdraw(
    session: Session,
    action_id: int,
    by: str,
    reason: str,
    *,
    clock: Clock,
    on: date | None = None,
) -> LegalAction:
    """Withdraw a Notice to Improve or a penalty notice; a withdrawn notice never counts."""
    with _transaction(session):
        actor = _who(by)
        why = _because(reason, "withdrawing it")
        when = on or school_today(clock)
        _not_future(when, clock, "the withdrawal date")
        row = _action(
            session, action_id, NOTICE_TO_IMPROVE, PENALTY_NOTICE, SUSPENSION_PENALTY_NOTICE
        )
        adapter = ActionAdapter(row, LegalActionEffects(session, clock.now()))
        _fire(adapter, "withdraw", actor=actor, reason=f"withdrawn on {when}: {why}", on=when)
    return row


def events_of(session: Session, action_id: int) -> list[LegalActionEvent]:
    """An action's events, oldest first."""
    return list(
        session.scalars(
            select(LegalActionEvent)
            .where(col(LegalActionEvent.legal_action_id) == action_id)
            .order_by(col(LegalActionEvent.id))
        )
    )
