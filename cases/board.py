"""The cases board: open cases by stage, filtered, and the proposals waiting for a person."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from cases.models import AttendanceCase, CaseProposal
from cases.review.rules import bands
from school.models import Pupil
from school.policy import Policy
from school.schools import LoadedSchool
from school.statistics import PupilStatistics, statistics_for
from state_machines.attendance_case import STAGES

# The six stages in the words of the DfE's "Working together to improve school attendance".
STAGE_WORDS = {
    "expect": "Expect",
    "monitor": "Monitor",
    "listen": "Listen and understand",
    "facilitate": "Facilitate support",
    "formalise": "Formalise support",
    "enforce": "Enforce",
    "closed": "Closed",
}
assert list(STAGE_WORDS)[:-1] == STAGES, "a stage without words"

# The flags a board can be filtered by: the query parameter, the words, and the pupil's field.
FLAGS = {
    "send": ("SEND", ("ehcp", "send_support")),
    "fsm": ("Free school meals", ("fsm",)),
    "social_worker": ("Social worker", ("social_worker",)),
    "looked_after": ("Looked after", ("looked_after",)),
}


# A name is always "Name, Position", so this word can never be one.
NO_KEY_WORKER = "none"


@dataclass(frozen=True)
class BoardFilter:
    """What the person asked to see: every part optional, so a filtered board is a link."""

    year_group: int | None = None
    flags: frozenset[str] = frozenset()
    band: str | None = None
    key_worker: str | None = None  # a name, or NO_KEY_WORKER

    def keeps(self, case: AttendanceCase, pupil: Pupil, pupil_bands: set[str]) -> bool:
        if self.year_group is not None and pupil.year_group != self.year_group:
            return False
        if self.key_worker is not None and (case.key_worker or NO_KEY_WORKER) != self.key_worker:
            return False
        if self.band is not None and self.band not in pupil_bands:
            return False
        return all(any(getattr(pupil, f) for f in FLAGS[flag][1]) for flag in self.flags)

    @classmethod
    def asked(
        cls,
        policy: Policy,
        year: int | str | None = None,
        flags: Iterable[str] = (),
        band: str | None = None,
        key_worker: str | None = None,
    ) -> BoardFilter:
        """The filter a person asked for, checked: a wrong value is a ValueError saying so."""
        if isinstance(year, str):
            year = int(year) if year.strip().isdigit() else -1
        if year is not None and not 0 <= year <= 14:
            raise ValueError("the year group must be a number from 0 (Reception) to 14")
        wanted = frozenset(flags)
        if not wanted <= set(FLAGS):
            raise ValueError(f"filter by {', '.join(FLAGS)} only")
        band_ids = [b.id for b in policy.band]
        if band and band not in band_ids:
            raise ValueError(
                f"{band[:40]!r} is not one of the school's bands ({', '.join(band_ids)})"
            )
        return cls(year, wanted, band or None, key_worker or None)

    @property
    def active(self) -> bool:
        return any(
            (self.year_group is not None, self.flags, self.band, self.key_worker is not None)
        )


@dataclass
class CaseCard:
    case: AttendanceCase
    pupil: Pupil
    figures: PupilStatistics | None
    bands: list[str]
    flags: list[str]
    waiting: int  # proposals to decide


@dataclass
class Waiting:
    proposal: CaseProposal
    card: CaseCard


@dataclass
class Board:
    columns: list[tuple[str, str, list[CaseCard]]]  # stage, words, cards
    waiting: list[Waiting]
    shown: int
    total: int
    band_words: dict[str, str] = field(default_factory=dict)
    key_workers: list[str] = field(default_factory=list)  # on the school's open cases


def pupil_flags(pupil: Pupil) -> list[str]:
    return [words for words, fields in FLAGS.values() if any(getattr(pupil, f) for f in fields)]


def cases_board(session: Session, school: LoadedSchool, as_of: date, wanted: BoardFilter) -> Board:
    """Every open case of the school in three statements: cases with pupils, their figures
    (one statement, school/statistics.py) and the proposals waiting."""
    rows = session.execute(
        select(AttendanceCase, Pupil)
        .join(Pupil, col(Pupil.id) == AttendanceCase.pupil_id)
        .where(col(AttendanceCase.school_id) == school.id, col(AttendanceCase.closed_at).is_(None))
        .order_by(col(Pupil.family_name), col(Pupil.given_name), col(AttendanceCase.id))
    ).all()
    # Only the pupils with an open case are counted: the board shows nobody else.
    counted = [case.pupil_id for case, _ in rows]
    figures = {f.upn: f for f in statistics_for(session, school, as_of, counted)}
    policy = school.policy.policy
    proposals = session.scalars(
        select(CaseProposal)
        .join(AttendanceCase, col(AttendanceCase.id) == CaseProposal.case_id)
        .where(
            col(AttendanceCase.school_id) == school.id,
            col(AttendanceCase.closed_at).is_(None),
            col(CaseProposal.status) == "proposed",
        )
        .order_by(col(CaseProposal.created_at), col(CaseProposal.id))
    ).all()
    waiting_by_case: dict[int, int] = {}
    for p in proposals:
        waiting_by_case[p.case_id] = waiting_by_case.get(p.case_id, 0) + 1
    cards: dict[int, CaseCard] = {}
    for case, pupil in rows:
        f = figures.get(pupil.upn)
        in_bands = bands(policy, f) if f is not None else set()
        if not wanted.keeps(case, pupil, in_bands):
            continue
        ordered = [b.id for b in policy.band if b.id in in_bands]
        cards[case.id or 0] = CaseCard(
            case, pupil, f, ordered, pupil_flags(pupil), waiting_by_case.get(case.id or 0, 0)
        )
    columns = [
        (stage, STAGE_WORDS[stage], [c for c in cards.values() if c.case.stage == stage])
        for stage in STAGES
    ]
    return Board(
        columns=columns,
        waiting=[Waiting(p, cards[p.case_id]) for p in proposals if p.case_id in cards],
        shown=len(cards),
        total=len(rows),
        band_words={b.id: b.label for b in policy.band},
        key_workers=sorted({c.key_worker for c, _ in rows if c.key_worker}),
    )
