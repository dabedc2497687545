"""Pure decisions of the register-taken guard: is a register taken, and what its alert says."""

from __future__ import annotations

from school.roll import year_label


def year_words(year_group: int) -> str:
    """A year group as staff say it: "Year 7", "Reception", "N1"."""
    label = year_label(year_group)
    return f"Year {label[1:]}" if label.startswith("Y") else {"R": "Reception"}.get(label, label)


def register_taken(on_roll: int, marked: int, taken_pct: float) -> bool:
    """Taken once the policy's share of the pupils on roll have any mark for the session.

    A year group with nobody on roll has nobody to chase, so it never holds anything back.
    """
    return on_roll == 0 or marked * 100 >= taken_pct * on_roll


def not_taken_reason(session: str, year_group: int, on_roll: int, marked: int, closes: str) -> str:
    """The alert's words: "AM register not taken for Year 7: 28 pupils, 08:55"."""
    who = year_words(year_group)
    if marked == 0:
        return f"{session} register not taken for {who}: {on_roll} pupils, {closes}"
    return (
        f"{session} register incomplete for {who}: {on_roll - marked} of {on_roll} pupils "
        f"unmarked, {closes}"
    )


def taken_resolution(on_roll: int, marked: int) -> str:
    """What the alert says once the marks are in and the chase has picked the pupils up."""
    return f"register in: {marked} of {on_roll} pupils marked; the chase picks up the rest"
