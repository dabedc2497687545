"""Many case letters decided at once: each kind of row read in one statement, the school's
figures read once (or handed over by the review), every letter stored in one flush."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from cases.letters.context import context_from_figures, figures_on, letter_of
from cases.letters.stored import DecidedLetters, letters_for
from cases.models import AttendanceCase, CaseAction, StoredLetter
from school.clock import Clock, school_today
from school.database import id_of
from school.models import Contact, Pupil
from school.schools import LoadedSchool
from school.statistics import PupilStatistics, statistics_for


@dataclass(frozen=True)
class DecidedBatch:
    """The stored letters of each action (by action id) and the parents they were written to."""

    letters: dict[int, DecidedLetters]
    parents: dict[int, list[Contact]]  # by action id, in calling order


def decide_case_letters(
    session: Session,
    school: LoadedSchool,
    actions: Sequence[CaseAction],
    as_of: date,
    clock: Clock,
    figures: Mapping[str, PupilStatistics] | None = None,
) -> DecidedBatch:
    """Each action's stored letters; those with none yet are decided and stored now, with the
    figures as of `as_of` (`figures`: the school's as of that day, by UPN, if already read).

    Writes in the caller's transaction. An action whose pupil was not on roll on the day
    its figures stand for is a LookupError, as for a single letter.
    """
    ids = [id_of(a) for a in actions]
    stored: dict[int, list[StoredLetter]] = {}
    for row in session.scalars(
        select(StoredLetter)
        .where(col(StoredLetter.case_action_id).in_(ids))
        .order_by(col(StoredLetter.id))
    ):
        stored.setdefault(row.case_action_id or 0, []).append(row)
    pupil_of_case: dict[int, int] = {
        case_id: pupil_id
        for case_id, pupil_id in session.execute(
            select(col(AttendanceCase.id), col(AttendanceCase.pupil_id)).where(
                col(AttendanceCase.id).in_({a.case_id for a in actions})
            )
        )
    }
    pupil_ids = set(pupil_of_case.values())
    pupils = {
        id_of(p): p for p in session.scalars(select(Pupil).where(col(Pupil.id).in_(pupil_ids)))
    }
    parents: dict[int, list[Contact]] = {pupil_id: [] for pupil_id in pupil_ids}
    for contact in session.scalars(
        select(Contact)
        .where(col(Contact.pupil_id).in_(pupil_ids), col(Contact.parental_responsibility))
        .order_by(col(Contact.pupil_id), col(Contact.priority))
    ):
        parents[contact.pupil_id].append(contact)
    wanted = [a for a in actions if id_of(a) not in stored]
    by_day = _figures_by_day(
        session, school, {figures_on(pupils[pupil_of_case[a.case_id]], as_of) for a in wanted},
        as_of, figures,
    )  # fmt: skip
    decided: dict[int, DecidedLetters] = {}
    letter_date, now = school_today(clock), clock.now()
    for action in actions:
        if id_of(action) in stored:
            unaddressed = list((action.details or {}).get("unaddressed", []))
            decided[id_of(action)] = DecidedLetters(stored[id_of(action)], unaddressed)
            continue
        pupil = pupils[pupil_of_case[action.case_id]]
        on = figures_on(pupil, as_of)
        found = by_day[on].get(pupil.upn)
        if found is None:
            raise LookupError(f"pupil {pupil.id} was not on roll on {on}")
        details = action.details or {}
        context, kept = context_from_figures(
            school,
            pupil,
            letter_of(action),
            found,
            as_of,
            letter_date,
            meeting=details.get("meeting"),
            next_steps=details.get("next_steps"),
        )
        decided[id_of(action)] = letters_for(
            pupil,
            letter_of(action),
            context,
            kept,
            parents[pupil.id or 0],
            decided_at=now,
            decided_by=action.created_by,
            case_action_id=id_of(action),
        )
    session.add_all(
        letter for a in wanted for letter in decided[id_of(a)].letters
    )  # one flush: the letters go in together
    session.flush()
    return DecidedBatch(decided, {id_of(a): parents[pupil_of_case[a.case_id]] for a in actions})


def _figures_by_day(
    session: Session,
    school: LoadedSchool,
    days: set[date],
    as_of: date,
    given: Mapping[str, PupilStatistics] | None,
) -> dict[date, Mapping[str, PupilStatistics]]:
    """The school's figures for each day asked (one statement a day), by UPN: as of `as_of`
    for pupils on roll, as of their leaving day for those who have left."""
    found: dict[date, Mapping[str, PupilStatistics]] = {}
    for day in days:
        if given is not None and day == as_of:
            found[day] = given
        else:
            found[day] = {f.upn: f for f in statistics_for(session, school, day)}
    return found
