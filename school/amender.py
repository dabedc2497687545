"""Who amends the register and why: the two things the law asks of every amendment (REG24 r6).

Light on purpose: the command line checks `--by` and `--reason` before opening anything.
"""

from __future__ import annotations

from dataclasses import dataclass

# Words that fill the box without saying why: the audit must let a reader years later see why
# an entry changed, so these are refused like a blank.
_NOT_REASONS = frozenset(
    {"n/a", "na", "none", "nil", "null", "tbc", "tbd", "reason", "no reason", "amend",
     "amended", "amendment", "change", "changed", "update", "updated", "test", "x", "xx"}
)  # fmt: skip


def amendment_reason(text: str | None) -> str:
    """The reason an amendment is stored with (REG24 r6); blank or placeholder text is refused."""
    reason = " ".join((text or "").split())
    if not reason:
        raise ValueError(
            'the reason is blank: say why the entry changes, e.g. "signed in at 08:51" or '
            '"Mum rang: ill"'
        )
    if not any(ch.isalpha() for ch in reason) or reason.lower().strip(".!") in _NOT_REASONS:
        raise ValueError(
            f"{reason[:40]!r} does not say why the entry changes: give the reason, e.g. "
            '"signed in at 08:51" or "Mum rang: ill"'
        )
    return reason


@dataclass(frozen=True)
class Amender:
    """The name and position of the person amending the register (REG24 r6)."""

    name: str
    position: str

    def __post_init__(self) -> None:
        # The service refuses too, not only the command line: the law needs both, always.
        if not self.name.strip() or not self.position.strip():
            raise ValueError(
                f"{self.name!r}, {self.position!r}: whoever amends the register must give a "
                'name and a position, "Name, Position"'
            )
        object.__setattr__(self, "name", " ".join(self.name.split()))
        object.__setattr__(self, "position", " ".join(self.position.split()))

    @classmethod
    def parse(cls, text: str) -> Amender:
        name, _, position = text.partition(",")
        if not name.strip() or not position.strip():
            raise ValueError(
                f'--by {text!r} must be "Name, Position", e.g. "Jo Bloggs, Attendance Officer"'
            )
        return cls(name.strip(), position.strip())

    def __str__(self) -> str:
        return f"{self.name}, {self.position}"
