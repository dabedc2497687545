"""The legal-action machine: a Notice to Improve or a penalty notice, from issue to its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, cast

from transitions import EventData, Machine, MachineError

from state_machines.row_adapter import RowAdapter

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
    return Machine(
        model=None,
        states=STATES,
        transitions=transitions,
        initial=NTI_START,
        send_event=True,
        auto_transitions=False,
        after_state_change=_after_any,
        model_attribute="state",
    )


# One machine for every legal action (stack notes: a machine per model costs 3x the time).
MACHINE = _build_machine()


class TransitionRefused(Exception):
    """The machine does not allow that move from the action's current state."""


def fire(action: ActionAdapter, trigger: str, **kwargs: Any) -> None:
    """Run one trigger on an action; kwargs (actor, reason, paid_on, ...) reach the callbacks."""
    try:
        MACHINE.events[trigger].trigger(action, **kwargs)
    except MachineError as exc:
        raise TransitionRefused(
            f"{trigger} is not allowed from {action.state}: {exc.value}"
        ) from exc


def can_fire(state: str, trigger: str) -> bool:
    """Whether a trigger is allowed from a state (for services that choose what to fire)."""
    return bool(MACHINE.events[trigger].transitions.get(state))
