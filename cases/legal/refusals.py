"""LegalActionRefused, and the checks on what staff enter (who acts, which parent, why, when)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from school.clock import Clock, school_today
from school.models import Pupil


class LegalActionRefused(Exception):
    """The law (or the school's policy) does not allow this legal action; `reason` says why.

    `alternatives` lists what to consider instead, when the law names it (a third notice).
    """

    def __init__(self, reason: str, alternatives: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.alternatives = tuple(alternatives)


def _name(pupil: Pupil) -> str:
    return f"{pupil.given_name} {pupil.family_name}"


def _who(by: str) -> str:
    if not by.strip():
        raise LegalActionRefused("say who is acting: a name and position, e.g. 'Jo Bloggs, Head'")
    return by.strip()


def _because(reason: str | None, what: str) -> str:
    if reason is None or not reason.strip():
        raise LegalActionRefused(f"give a reason for {what}")
    return reason.strip()


def _not_future(on: date, clock: Clock, what: str) -> None:
    today = school_today(clock)
    if on > today:
        raise LegalActionRefused(f"{what} ({on}) cannot be later than today ({today})")
