"""The welfare-check machine: one unexplained absence, from the first message to safe or the DSL.

Pure transition logic. The machine drives a plain adapter (`CheckAdapter`) that reads and
writes the check row's state; its callbacks ask the adapter's `effects` to add event, task and
outbox rows to the session. Nothing here sends or queries anything.
"""

from __future__ import annotations

from dataclasses import dataclass
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

# The steps a policy can name, and the state each one puts the check in.
STEP_STATE = {
    "message_parents": "parent_messaged",
    "call_primary": "calling_primary",
    "call_others": "calling_others",
    "reasonable_steps": "reasonable_steps",
    "alert_dsl": "dsl_alerted",
}
CHASING = [
    "unexplained",
    "parent_messaged",
    "calling_primary",
    "calling_others",
    "reasonable_steps",
]
STATES = [*CHASING, "dsl_alerted", "explained", "confirmed_safe"]
FINISHED = frozenset({"explained", "confirmed_safe"})  # the chase is over: the child is known safe
OPEN = frozenset(CHASING)


class CheckEffects(Protocol):
    """What the machine's callbacks may ask for; the service writes the rows."""

    def record_transition(self, check: CheckAdapter, event: EventData) -> None: ...

    def run_step(self, check: CheckAdapter, step: dict[str, Any]) -> None: ...

    def close(self, check: CheckAdapter, outcome: str, suggested_code: str | None) -> None: ...


@dataclass(eq=False)
class CheckAdapter(RowAdapter):
    """The bridge between a WelfareCheck row and the machine (SQLModel rows cannot be models)."""

    effects: CheckEffects


def _later_steps(target: str) -> list[str]:
    """Step triggers may skip steps a policy leaves out, but never go back."""
    order = [
        STEP_STATE[a]
        for a in ("message_parents", "call_primary", "call_others", "reasonable_steps")
    ]
    if target == "dsl_alerted":
        return list(CHASING)
    return ["unexplained", *order[: order.index(target)]]


def _on_step(event: EventData) -> None:
    check = cast(CheckAdapter, event.model)
    check.effects.run_step(check, event.kwargs["step"])


def _on_close(event: EventData) -> None:
    check = cast(CheckAdapter, event.model)
    check.effects.close(check, event.kwargs.get("reason", ""), event.kwargs.get("suggested_code"))


def _after_any(event: EventData) -> None:
    check = cast(CheckAdapter, event.model)
    check.effects.record_transition(check, event)


def _build_machine() -> Machine:
    transitions: list[dict[str, Any]] = [
        {"trigger": action, "source": _later_steps(state), "dest": state, "after": _on_step}
        for action, state in STEP_STATE.items()
    ]
    # An explanation or a confirmed-safe can arrive at any point, even after the DSL was alerted.
    transitions += [
        {
            "trigger": "explain",
            "source": [*CHASING, "dsl_alerted", "confirmed_safe"],
            "dest": "explained",
            "after": _on_close,
        },
        {
            "trigger": "confirm_safe",
            "source": [*CHASING, "dsl_alerted"],
            "dest": "confirmed_safe",
            "after": _on_close,
        },
    ]
    return shared_machine(STATES, transitions, "unexplained", _after_any)


MACHINE = _build_machine()


def fire(check: CheckAdapter, trigger: str, **kwargs: Any) -> None:
    """Run one trigger on a check; kwargs (step, actor, reason, ...) reach the callbacks."""
    run_trigger(MACHINE, check, trigger, **kwargs)


def can_fire(state: str, trigger: str) -> bool:
    """Whether a trigger is allowed from a state (for services that choose what to fire)."""
    return allowed(MACHINE, state, trigger)
