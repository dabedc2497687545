"""What one review works on: the pupil, their case as read, the review itself, its steps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from cases.models import AttendanceCase, CaseAction, CaseProposal
from cases.review import rules
from cases.review.periods import Periods
from school.amendments import Amender
from school.database import id_of
from school.policy import Policy
from school.policy_files import LoadedPolicy
from school.schools import LoadedSchool
from school.statistics import PupilStatistics


@dataclass(frozen=True)
class Pupil:
    id: int
    upn: str
    name: str
    born: date


@dataclass
class Case:
    """One pupil's case as the review sees it: the rows read in bulk, in id order."""

    pupil: Pupil
    figures: PupilStatistics
    row: AttendanceCase | None
    on_roll: bool = True
    proposals: list[CaseProposal] = field(default_factory=list)
    actions: list[CaseAction] = field(default_factory=list)

    @property
    def stage(self) -> str:
        return self.row.stage if self.row is not None else "expect"

    def by_key(self) -> dict[str, CaseProposal]:
        """The proposals that stand, by trigger: a stale one may be proposed afresh."""
        return {p.trigger_key: p for p in self.proposals if p.status != rules.STALE}

    def happened(self, rung_ids: Iterable[str]) -> list[CaseProposal]:
        """Rungs applied by the engine or confirmed by staff, oldest first."""
        wanted = set(rung_ids)
        return sorted(
            (p for p in self.proposals if p.rung_id in wanted and p.status in rules.HAPPENED),
            key=lambda p: (rules.happened_on(p), id_of(p)),
        )

    def pending(self, rung_ids: Iterable[str]) -> bool:
        wanted = set(rung_ids)
        return any(p.rung_id in wanted and p.status == rules.PENDING for p in self.proposals)


@dataclass(frozen=True)
class Review:
    school: LoadedSchool
    on: date
    periods: Periods
    now: datetime
    actor: Amender
    by: str

    @property
    def school_id(self) -> str:
        return self.school.id

    @property
    def loaded(self) -> LoadedPolicy:
        return self.school.policy

    @property
    def policy(self) -> Policy:
        return self.loaded.policy

    @property
    def day(self) -> date:
        return self.periods.day.date

    @cached_property
    def ancestors(self) -> dict[str, set[str]]:
        return rules.ancestors(self.policy)

    @cached_property
    def entry_bands(self) -> dict[bool, set[str]]:
        """Entry bands for pupils of compulsory school age (True) and not (False)."""
        return {csa: rules.entry_bands(self.policy, csa) for csa in (True, False)}


@dataclass(frozen=True)
class Step:
    """One thing the review does for a case: apply a rung, or propose it (or a step down)."""

    key: str
    rung_id: str | None
    title: str
    stage: str | None  # the stage the step belongs to; None: it moves nothing
    actions: tuple[str, ...]
    letter: str | None
    automatic: bool
    summary: str
    evidence: dict[str, Any]
    to_stage: str | None = None  # a proposed move: set for step downs


@dataclass(frozen=True)
class Work:
    """What the review decided for one case, written by the Writer."""

    case: Case
    steps: list[Step]
    bands: set[str]
    threshold_met: bool
