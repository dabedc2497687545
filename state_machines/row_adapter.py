"""Letting a transitions machine drive a database row's state column through a plain object.

SQLModel rows cannot be transitions models (pydantic refuses the attributes transitions adds),
so each machine drives an adapter whose `state` is mirrored onto the row's column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


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
