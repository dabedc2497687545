"""Letting a transitions machine drive a database row's state column through a plain object.

SQLModel rows cannot be transitions models (pydantic refuses the attributes transitions adds),
so each machine drives an adapter whose `state` is mirrored onto the row's column. One machine
serves every row of a kind (stack notes: a machine per model costs 3x the time, 4x memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from transitions import Machine, MachineError


@dataclass(eq=False)
class RowAdapter:
    """An adapter over `row`; `effects` writes the rows the machine's callbacks ask for."""

    row: Any
    effects: Any
    state: str = field(init=False)
    STATE_COLUMN: ClassVar[str] = "state"

    def __post_init__(self) -> None:
        self.state = getattr(self.row, self.STATE_COLUMN)

    # transitions sets `state`; keep the row's column in step with it.
    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "state" and hasattr(self, "row"):
            setattr(self.row, self.STATE_COLUMN, value)


class TransitionRefused(Exception):
    """The machine does not allow that move from the row's current state."""


def shared_machine(
    states: list[str], transitions: list[dict[str, Any]], initial: str, after_state_change: Any
) -> Machine:
    """The one machine for every row of a kind; callbacks get the event (`send_event`)."""
    return Machine(
        model=None,
        states=states,
        transitions=transitions,
        initial=initial,
        send_event=True,
        auto_transitions=False,
        after_state_change=after_state_change,
        model_attribute="state",
    )


def trigger(machine: Machine, adapter: RowAdapter, name: str, **kwargs: Any) -> bool:
    """Run one trigger for an adapter; whether it moved (a guard may say no).

    The event is triggered for the adapter directly instead of adding it to the machine's
    model list: nothing accumulates, and `add_model`'s O(n^2) list is never built.
    """
    try:
        return bool(machine.events[name].trigger(adapter, **kwargs))
    except MachineError as exc:
        raise TransitionRefused(f"{name} is not allowed from {adapter.state}: {exc.value}") from exc


def allowed(machine: Machine, state: str, name: str) -> bool:
    """Whether the machine has a transition for a trigger from a state (guards aside)."""
    return name in machine.events and bool(machine.events[name].transitions.get(state))
