"""The legal-action machine: a Notice to Improve or a penalty notice, from issue to its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, cast

from transitions import EventData, Machine

from state_machines.row_adapter import (
    RowAdapter,
    TransitionRefused,
    allowed,
    shared_machine,
)
from state_machines.row_adapter import trigger as run_trigger

__all__ = ["TransitionRefused"]  # services catch it from here

# A Notice to Improve: the improvement period starts when the notice is issued (spec §5 NTI
# content (6)), so the row is created in `improvement_period`; the review judges the outcome.
NTI_STATES = ["improvement_period", "improved", "not_improved", "penalty_requested", "withdrawn"]
# A penalty notice: requested of the LA (a school must check with the LA first, spec §5 "Who can
# issue"), issued, then paid (early or in full), or unpaid and then prosecuted or withdrawn.
PN_STATES = ["requested", "issued", "paid_early", "paid", "unpaid", "prosecution", "withdrawn"]
STATES = list(dict.fromkeys([*NTI_STATES, *PN_STATES]))

# Where each kind of action starts, and the trigger its opening event records.
NTI_START = "improvement_period"
PN_START = "requested"
SUSPENSION_PN_START = "issued"  # EIA 2006 s105 notices are issued at once: no LA request step

# States in which nothing more happens to the action.
FINISHED = frozenset(
    {"improved", "penalty_requested", "paid_early", "paid", "prosecution", "withdrawn"}
)

TRANSITIONS: list[dict[str, Any]] = [
    # Notice to Improve (spec §5 "Notice to Improve", "Early PN").
    {"trigger": "review_improved", "source": "improvement_period", "dest": "improved"},
    {"trigger": "review_not_improved", "source": "improvement_period", "dest": "not_improved"},
    # Improvement clearly failed before the period ended, and the parent has been told.
    {"trigger": "fail_early", "source": "improvement_period", "dest": "not_improved"},
    {"trigger": "request_penalty_notice", "source": "not_improved", "dest": "penalty_requested"},
    # Penalty notices (spec §5 "1st PN", "2nd PN", "Non-payment").
    {"trigger": "issue", "source": "requested", "dest": "issued"},
    {"trigger": "pay_early", "source": "issued", "dest": "paid_early", "after": "_on_paid"},
    {"trigger": "pay", "source": "issued", "dest": "paid", "after": "_on_paid"},
    {"trigger": "mark_unpaid", "source": "issued", "dest": "unpaid"},
    {"trigger": "prosecute", "source": "unpaid", "dest": "prosecution"},
    {
        "trigger": "withdraw",
        "source": ["improvement_period", "requested", "issued", "unpaid"],
        "dest": "withdrawn",
        "after": "_on_withdrawn",
    },
]


class LegalEffects(Protocol):
    """What the machine's callbacks may ask for; the service writes the rows."""

    def record_transition(self, action: ActionAdapter, event: EventData) -> None: ...

    def settle(self, action: ActionAdapter, paid_on: date, amount: int) -> None: ...

    def withdrawn(self, action: ActionAdapter, on: date) -> None: ...


@dataclass(eq=False)
class ActionAdapter(RowAdapter):
    """The bridge between a LegalAction row and the machine (SQLModel rows cannot be models)."""

    effects: LegalEffects


def _on_paid(event: EventData) -> None:
    action = cast(ActionAdapter, event.model)
    action.effects.settle(action, event.kwargs["paid_on"], event.kwargs["amount"])


def _on_withdrawn(event: EventData) -> None:
    action = cast(ActionAdapter, event.model)
    action.effects.withdrawn(action, event.kwargs["on"])


def _after_any(event: EventData) -> None:
    action = cast(ActionAdapter, event.model)
    action.effects.record_transition(action, event)


_CALLBACKS = {"_on_paid": _on_paid, "_on_withdrawn": _on_withdrawn}


def _build_machine() -> Machine:
    transitions = [
        {**t, "after": _CALLBACKS[t["after"]]} if "after" in t else dict(t) for t in TRANSITIONS
    ]
    return shared_machine(STATES, transitions, NTI_START, _after_any)


MACHINE = _build_machine()


def fire(action: ActionAdapter, trigger: str, **kwargs: Any) -> None:
    """Run one trigger on an action; kwargs (actor, reason, paid_on, ...) reach the callbacks."""
    run_trigger(MACHINE, action, trigger, **kwargs)


def can_fire(state: str, trigger: str) -> bool:
    """Whether a trigger is allowed from a state (for services that choose what to fire)."""
    return allowed(MACHINE, state, trigger)
