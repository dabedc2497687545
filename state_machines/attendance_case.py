"""The attendance-case machine: one pupil's case through the six stages (spec §7.7), and closed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Protocol, cast

from transitions import EventData, Machine

from state_machines.row_adapter import (
    RowAdapter,
    TransitionRefused,
    allowed,
    shared_machine,
)
from state_machines.row_adapter import trigger as run_trigger

# The graduated stages in order (spec §7.7); a case escalates up and steps down this list.
STAGES = ["expect", "monitor", "listen", "facilitate", "formalise", "enforce"]
CLOSED = "closed"
STATES = [*STAGES, CLOSED]
# Support must have been tried, or be recorded as not appropriate, before these (spec §5).
SUPPORT_FIRST = frozenset({"formalise", "enforce"})
# A school whose policy says so must have considered SEND-related barriers first (seed 004 §5.2).
SEND_FIRST = frozenset({"formalise", "enforce"})
NATIONAL_THRESHOLD_SESSIONS = 10  # spec §5: 10 unauthorised sessions in 10 school weeks


class CaseRefused(Exception):
    """The engine will not do what was asked with a case; `reasons` says why, each in full."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


class MoveRefused(CaseRefused):
    """A stage move the rules forbid, with every reason."""


def escalate_trigger(stage: str) -> str:
    return f"escalate_to_{stage}"


def step_down_trigger(stage: str) -> str:
    return f"step_down_to_{stage}"


CLOSE = "close"


def trigger_for(current: str, to_stage: str) -> str:
    """The trigger that moves a case from its stage to another (up, down, or closed)."""
    if to_stage == CLOSED:
        return CLOSE
    if to_stage not in STAGES:
        raise MoveRefused([f"{to_stage!r} is not a stage: use one of {', '.join(STATES)}"])
    if current == CLOSED:
        raise MoveRefused(["the case is closed: open a new case for the pupil instead"])
    if to_stage == current:
        raise MoveRefused([f"the case is already at {to_stage}"])
    if STAGES.index(to_stage) > STAGES.index(current):
        return escalate_trigger(to_stage)
    return step_down_trigger(to_stage)


@dataclass(frozen=True)
class CaseFacts:
    """What the guards need to know about the pupil and the case, read by the service."""

    as_of: date
    support_offered: bool  # a support action recorded and not cancelled (declined counts)
    support_not_appropriate: str | None
    compulsory_school_age: bool
    csa_starts: date
    csa_ends: date
    unauthorised_sessions: int  # this school year, every unauthorised code
    rolling_unauthorised_sessions: int  # G, N, O, U in the last 10 school weeks
    national_threshold_met: bool  # met now, or first met earlier this school year
    send_barriers_required: bool  # the policy's legal.send_barriers_considered_before_sanction
    send_barriers_considered: bool


def refusals(to_stage: str, facts: CaseFacts) -> list[str]:
    """Every reason the law or the school's policy forbids escalating into a stage (none: allowed).

    People decide the consequential steps; the engine refuses only what is not allowed
    (design principle 7). Each reason says what would make the move possible.
    """
    reasons: list[str] = []
    if to_stage in SUPPORT_FIRST and not (facts.support_offered or facts.support_not_appropriate):
        reasons.append(
            f"no support has been offered: record when and by whom support was offered (a "
            f"declined offer counts, planned support does not) "
            f"or why support is not appropriate (e.g. an unauthorised term-time holiday) "
            f"before moving to {to_stage} (spec §5)"
        )
    if to_stage == "enforce":
        if not facts.compulsory_school_age:
            if facts.as_of < facts.csa_starts:
                when = f"it starts on {facts.csa_starts.isoformat()}"
            else:
                when = f"it ended on {facts.csa_ends.isoformat()}, the school-leaving date"
            reasons.append(
                f"the pupil is not of compulsory school age on {facts.as_of.isoformat()} "
                f"({when}): Enforce applies only to pupils of compulsory school age "
                "(spec §5, §7.1)"
            )
        if facts.unauthorised_sessions == 0:
            reasons.append(
                "the pupil has no unauthorised absence this school year: authorised absence, "
                "such as a part-time timetable (C2) or illness (I), never leads to Enforce "
                "(spec §7.3, §8.15)"
            )
        if not facts.national_threshold_met:
            reasons.append(
                f"the national threshold is not met: {facts.rolling_unauthorised_sessions} "
                f"unauthorised sessions (G, N, O, U) in the last 10 school weeks, "
                f"{NATIONAL_THRESHOLD_SESSIONS} needed (spec §5)"
            )
    if (
        to_stage in SEND_FIRST
        and facts.send_barriers_required
        and not facts.send_barriers_considered
    ):
        reasons.append(
            f"the school's policy requires SEND-related barriers to be recorded as considered "
            f"before moving to {to_stage}: record that they were considered first"
        )
    return reasons


class CaseEffects(Protocol):
    """What the machine's callbacks may ask for; the service writes the rows."""

    def record_move(self, case: CaseAdapter, event: EventData) -> None: ...

    def close(self, case: CaseAdapter, event: EventData) -> None: ...


@dataclass(eq=False)
class CaseAdapter(RowAdapter):
    """The bridge between an AttendanceCase row and the machine (SQLModel rows cannot be models)."""

    effects: CaseEffects
    refused: list[str] = field(default_factory=list)  # set by the guard
    STATE_COLUMN: ClassVar[str] = "stage"


def _guard(event: EventData) -> bool:
    """The transitions condition: keeps the reasons on the adapter so `fire` can report them."""
    case = cast(CaseAdapter, event.model)
    dest = event.transition.dest if event.transition else ""
    case.refused = refusals(str(dest), event.kwargs["facts"])
    return not case.refused


def _on_close(event: EventData) -> None:
    case = cast(CaseAdapter, event.model)
    case.effects.close(case, event)


def _after_any(event: EventData) -> None:
    case = cast(CaseAdapter, event.model)
    case.effects.record_move(case, event)


def _build_machine() -> Machine:
    transitions: list[dict[str, Any]] = []
    for i, stage in enumerate(STAGES):
        # Escalation may skip stages (an unauthorised holiday can go straight to Enforce,
        # spec §8.1), and stepping down may go to any lower stage when attendance recovers.
        if i > 0:
            transitions.append(
                {
                    "trigger": escalate_trigger(stage),
                    "source": STAGES[:i],
                    "dest": stage,
                    "conditions": _guard,
                }
            )
        if i < len(STAGES) - 1:
            transitions.append(
                {"trigger": step_down_trigger(stage), "source": STAGES[i + 1 :], "dest": stage}
            )
    transitions.append({"trigger": CLOSE, "source": STAGES, "dest": CLOSED, "after": _on_close})
    return shared_machine(STATES, transitions, "expect", _after_any)


MACHINE = _build_machine()


def fire(case: CaseAdapter, trigger: str, facts: CaseFacts, **kwargs: Any) -> None:
    """Run one trigger on a case, or raise MoveRefused with every reason it is not allowed.

    kwargs (by, reason, ...) reach the effects.
    """
    if trigger not in MACHINE.events:
        raise MoveRefused([f"{trigger!r} is not a case move"])
    case.refused = []
    try:
        moved = run_trigger(MACHINE, case, trigger, facts=facts, **kwargs)
    except TransitionRefused as exc:
        raise MoveRefused([f"{trigger} is not allowed from {case.state}"]) from exc
    if not moved:
        raise MoveRefused(case.refused or [f"{trigger} was refused from {case.state}"])


def can_fire(state: str, trigger: str) -> bool:
    """Whether the machine has a transition for a trigger from a state (guards aside)."""
    return allowed(MACHINE, state, trigger)
