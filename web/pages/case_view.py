"""What the case page shows, read from the stored rows: timeline, plan, support, letters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from cases.case_rows import case_rows
from cases.models import (
    AttendanceCase,
    CaseAction,
    CaseEvent,
    CaseProposal,
    LegalAction,
    StoredLetter,
)
from cases.review.rules import ACTION_WORDS, PLAN_ACTIONS
from cases.support import ACTION_STATUSES
from cases.support_law import NEXT, PLANNED, status_words
from school.models import Pupil
from school.statistics import PupilStatistics
from state_machines.attendance_case import STAGES

MEETINGS = frozenset({"meeting", "multi_agency_meeting"})


@dataclass
class Item:
    """One action or support item, with what a person may record on it next."""

    action: CaseAction
    kind_words: str
    support_words: str  # "" for an action that is not support
    next_support: list[str]  # the support statuses it may move to
    open: bool  # its outcome is still to record


@dataclass
class CasePage:
    case: AttendanceCase
    pupil: Pupil
    figures: PupilStatistics | None
    history: list[CaseEvent]
    plan: list[Item]
    meetings: list[Item]
    support: list[Item]
    actions: list[Item]
    waiting: list[CaseProposal]
    decided: list[CaseProposal]
    letters: list[StoredLetter]
    legal: list[LegalAction]
    moves: list[str]  # the stages it may be asked to move to (the guards still decide)


def _item(action: CaseAction) -> Item:
    support = action.support_status or PLANNED
    return Item(
        action,
        ACTION_WORDS.get(action.kind, action.kind.replace("_", " ")),
        status_words(action) if action.is_support else "",
        sorted(NEXT[support], key=list(NEXT).index) if action.is_support else [],
        action.status == "planned",
    )


def case_page(
    session: Session, case: AttendanceCase, pupil: Pupil, figures: PupilStatistics | None
) -> CasePage:
    """The case as stored, one statement per table: what was decided is shown as decided."""
    rows = case_rows(session, case, pupil)
    actions = [_item(a) for a in rows.actions]
    proposals = rows.proposals
    return CasePage(
        case=case,
        pupil=pupil,
        figures=figures,
        history=sorted(rows.events, key=lambda e: (e.at, e.id)),
        plan=[i for i in actions if i.action.kind in PLAN_ACTIONS],
        meetings=[i for i in actions if i.action.kind in MEETINGS],
        support=[
            i
            for i in actions
            if i.action.is_support and i.action.kind not in PLAN_ACTIONS | MEETINGS
        ],
        actions=[
            i
            for i in actions
            if not i.action.is_support and i.action.kind not in PLAN_ACTIONS | MEETINGS
        ],
        waiting=[p for p in proposals if p.status == "proposed"],
        decided=[p for p in proposals if p.status != "proposed"],
        letters=rows.letters,
        legal=rows.legal,
        moves=[] if case.closed_at else [s for s in [*STAGES, "closed"] if s != case.stage],
    )


# What happened to an action, for the outcome buttons (not "planned": that is where it starts).
OUTCOMES = [s for s in ACTION_STATUSES if s != "planned"]
