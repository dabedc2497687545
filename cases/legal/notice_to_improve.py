"""Notices to Improve: issued to one parent, then reviewed at the end (or an early failure)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from cases.legal.effects import (
    _action_in_machine,
    _fire,
    _new_action,
    _transaction,
    new_notice,
)
from cases.legal.kept_refusals import refusal_kept
from cases.legal.law import (
    DUTY_TEXT,
    EARLY_GROUNDS,
    FIRM_CODES,
    NOTICE_TO_IMPROVE,
    NTI_ELEMENTS,
    PROVISIONAL_CODE,
    SUFFICIENT_IMPROVEMENT,
    _require_csa,
)
from cases.legal.proposals import settle_by_notice
from cases.legal.queries import (
    ThresholdEvidence,
    _open_case,
    _parents_actions,
    _require_support,
    _support,
    _threshold,
    _unauthorised_between,
    figures_words,
    improvement_figures,
)
from cases.legal.refusals import LegalActionRefused, _because, _name, _not_future, _who
from cases.letters.service import store_notice_letter
from cases.models import AttendanceCase, LegalAction
from cases.support_law import support_so_far
from school.clock import Clock
from school.law import NTI_WEEKS
from school.schools import policy_of
from state_machines.legal_action import NTI_START, ActionAdapter


def issue_notice_to_improve(
    session: Session,
    pupil_id: int,
    parent: str,
    by: str,
    on: date,
    weeks: int | None = None,
    *,
    clock: Clock,
    further_support: str | None = None,
    sufficient_improvement: str = SUFFICIENT_IMPROVEMENT,
    early_grounds: str = EARLY_GROUNDS,
) -> LegalAction:
    """Issue a Notice to Improve to one parent: CSA pupil, national threshold firmly met,
    support offered (or recorded as not appropriate).

    The improvement period is the policy's `notice_to_improve_weeks` (or `weeks`), 3 to 6
    calendar weeks from the day after issue. `offence_summary` holds the eight elements the
    letter needs, one numbered line each (read them back with `notice_elements`).
    """
    kept = refusal_kept(session, pupil_id, NOTICE_TO_IMPROVE, parent, by, on, clock)
    with kept, _transaction(session):
        notice = new_notice(session, pupil_id, by, parent, on, clock, "the issue date")
        actor, recipient, pupil, school = notice
        parent_name = recipient.name
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
            for r in _parents_actions(session, pupil_id, recipient, NOTICE_TO_IMPROVE)
            if r.state == NTI_START
        ]
        if running:
            raise LegalActionRefused(
                f"{parent_name} already has a Notice to Improve for {_name(pupil)} in its "
                f"improvement period until {running[-1].improvement_period_end}"
            )
        evidence = _threshold(session, school, pupil, on)
        case = _open_case(session, pupil_id)
        # An NTI is for support not engaged with or not working (spec §5 NTI): offered first.
        _require_support(session, pupil, case)
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
        row = notice.legal_action(
            case,
            clock.now(),
            kind=NOTICE_TO_IMPROVE,
            state=NTI_START,
            issued_on=on,
            improvement_period_end=end,
            threshold_first_met_on=evidence.met_on,
            offence_summary=elements,
        )
        _new_action(
            session,
            row,
            "issue_notice_to_improve",
            actor,
            f"{evidence.summary()}; improvement period of {chosen} weeks to {end}",
        )
        settle_by_notice(session, case, row, actor, clock.now())
        # The letter is decided with the notice: its words and figures are kept as issued.
        texts = notice_elements(row)
        store_notice_letter(
            session,
            row,
            clock,
            further_support=texts["further_support"],
            sufficient_improvement=texts["sufficient_improvement"],
            early_grounds=texts["early_grounds"],
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
    given, declined = support_so_far(_support(session, case) if case else [])
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
        row, adapter = _action_in_machine(session, action_id, clock, NOTICE_TO_IMPROVE)
        if row.state != NTI_START:
            _fire(adapter, "review_not_improved")  # refuses with the state it is in
        assert row.issued_on is not None and row.improvement_period_end is not None
        end = row.improvement_period_end
        if on < row.issued_on:
            raise LegalActionRefused(f"the review date {on} is before the notice ({row.issued_on})")
        figures = improvement_figures(session, row, on)
        absences = _unauthorised_between(session, row.pupil_id, row.issued_on, min(on, end))
        firm = [a for a in absences if a[2] in FIRM_CODES]
        pending = [a for a in absences if a[2] == PROVISIONAL_CODE]
        shown = ", ".join(f"{c} on {d} {s}" for d, s, c in absences) or "none"
        said = f"{figures_words(figures)}; unauthorised absence since the notice: {shown}"
        if on < end:
            if improved:
                raise LegalActionRefused(
                    f"the improvement period runs until {end}: it can be judged improved only "
                    "at its end"
                )
            details = {"outcome": "not_improved", "early": True, "figures": figures}
            _fail_early(adapter, actor, on, end, firm, parent_told_on, said, reason, details)
            return row
        if improved is None:
            if pending:
                raise LegalActionRefused(
                    f"{len(pending)} N sessions (reason not yet established) in the improvement "
                    "period: recode them first, or record a staff judgement with a reason"
                )
            outcome, why = not firm, said
        else:
            outcome = improved
            why = f"{said}; staff judgement: {_because(reason, 'a staff judgement')}"
        _fire(
            adapter,
            "review_improved" if outcome else "review_not_improved",
            actor=actor,
            reason=f"improvement period ended {end}; {why}",
            details={
                "outcome": "improved" if outcome else "not_improved",
                "early": False,
                "figures": figures,
            },
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
    details: dict[str, Any],
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
        details=details,
    )
