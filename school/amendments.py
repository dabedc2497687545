"""Amending the register: who amends it, and each change to a mark or an admission detail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session

from school.amender import Amender as Amender
from school.amender import amendment_reason as amendment_reason
from school.database import id_of
from school.models import AdmissionAmendment, AttendanceMark, MarkAmendment, Pupil
from school.pupil_flags import PUPIL_FLAGS
from school.register_bulk import NewMark
from school.register_csv import PUPIL_COLUMNS, MarkRow, PupilRow
from school.tables import MARKS, PUPILS

# The admission-register details a pupils.csv row sets (flags are stored one column each).
_PUPIL_FIELDS = tuple(c for c in PUPIL_COLUMNS if c not in ("upn", "flags"))
_SHOW_AMENDMENTS = 20


def pupil_values(school_id: str, row: PupilRow) -> dict[str, Any]:
    """The pupil columns a pupils.csv row sets: a new pupil's values, or what to compare."""
    values: dict[str, Any] = {"school_id": school_id, "upn": row.upn}
    values.update({f: getattr(row, f) for f in _PUPIL_FIELDS})
    values.update({flag: flag in row.flags for flag in PUPIL_FLAGS})
    return values


def pupil_differences(pupil: Pupil, row: PupilRow) -> list[tuple[str, object, object]]:
    wanted = pupil_values(pupil.school_id, row)
    return [
        (field, getattr(pupil, field), wanted[field])
        for field in (*_PUPIL_FIELDS, *PUPIL_FLAGS)
        if getattr(pupil, field) != wanted[field]
    ]


PupilChange = tuple[Pupil, int, str, object, object]  # pupil, line, field, stored, imported


def apply_pupil_changes(
    session: Session, changes: list[PupilChange], audit: dict[str, Any]
) -> None:
    for pupil, _line, field, old, new in changes:
        setattr(pupil, field, new)
        session.add(pupil)
        session.add(
            AdmissionAmendment(
                pupil_id=id_of(pupil),
                field=field,
                original=None if old is None else str(old),
                amended=None if new is None else str(new),
                **audit,
            )
        )
    session.flush()


def mark_changes(
    session: Session, school_id: str, ids: dict[str, int], rows: list[MarkRow]
) -> tuple[list[NewMark], list[tuple[MarkRow, int, str, int | None]], int]:
    """Split the file's marks into new ones, amendments (with the stored entry) and unchanged.

    The stored marks are read once, for the file's dates, and matched in memory; when none are
    stored for those dates (a new year's register) nothing is read at all.
    """
    if not rows:
        return [], [], 0
    low, high = min(r.date for r in rows), max(r.date for r in rows)
    in_range = (
        select(MARKS.c.id)
        .join(PUPILS, PUPILS.c.id == MARKS.c.pupil_id)
        .where(PUPILS.c.school_id == school_id, MARKS.c.date.between(low, high))
    )
    if session.execute(in_range.limit(1)).first() is None:
        return [(ids[r.upn], r.date, r.session, r.code, r.minutes_late) for r in rows], [], 0
    existing = {
        (pid, on, sess): (mark_id, code, minutes)
        for mark_id, pid, on, sess, code, minutes in session.execute(
            in_range.add_columns(
                MARKS.c.pupil_id,
                MARKS.c.date,
                MARKS.c.session,
                MARKS.c.code,
                MARKS.c.minutes_late,
            )
        )
    }
    new: list[NewMark] = []
    amended: list[tuple[MarkRow, int, str, int | None]] = []
    unchanged = 0
    for row in rows:
        pid = ids[row.upn]
        found = existing.get((pid, row.date, row.session))
        if found is None:
            new.append((pid, row.date, row.session, row.code, row.minutes_late))
        elif (found[1], found[2]) == (row.code, row.minutes_late):
            unchanged += 1
        else:
            amended.append((row, found[0], found[1], found[2]))
    return new, amended, unchanged


def apply_mark_amendments(
    session: Session, amended: list[tuple[MarkRow, int, str, int | None]], audit: dict[str, Any]
) -> None:
    if not amended:
        return
    session.execute(
        update(MARKS)
        .where(MARKS.c.id == bindparam("mark_id"))
        .values(code=bindparam("new_code"), minutes_late=bindparam("new_minutes")),
        [
            {"mark_id": mid, "new_code": r.code, "new_minutes": r.minutes_late}
            for r, mid, _, _ in amended
        ],
    )
    session.execute(
        insert(MarkAmendment),
        [
            {
                "mark_id": mid,
                "original_code": code,
                "original_minutes_late": minutes,
                "amended_code": r.code,
                "amended_minutes_late": r.minutes_late,
                **audit,
            }
            for r, mid, code, minutes in amended
        ],
    )


def amend_mark(
    session: Session,
    mark: AttendanceMark,
    code: str,
    minutes: int | None,
    by: Amender,
    why: str,
    now: datetime,
) -> MarkAmendment:
    """Change one stored mark, keeping what it was, who changed it, when and why (reg 6)."""
    amendment = MarkAmendment(
        mark_id=id_of(mark),
        original_code=mark.code,
        original_minutes_late=mark.minutes_late,
        amended_code=code,
        amended_minutes_late=minutes,
        reason=why,
        amended_at=now,
        amended_by_name=by.name,
        amended_by_position=by.position,
    )
    mark.code, mark.minutes_late = code, minutes
    session.add(mark)
    session.add(amendment)
    session.flush()
    return amendment


def _entry(code: str, minutes: int | None) -> str:
    return code if minutes is None else f"{code} ({minutes} min late)"


def amendment_refusal(
    amended: list[tuple[MarkRow, int, str, int | None]],
    pupil_changes: list[PupilChange],
    marks_file: str,
    pupils_file: str,
    reason_problem: str | None = None,
) -> list[str]:
    """Why an import that would amend entries without `by` and `reason` is refused, by file:line."""
    lines = [
        f"{marks_file}:{row.line}: would amend {row.upn} {row.date} {row.session} "
        f"from {_entry(code, minutes)} to {_entry(row.code, row.minutes_late)}"
        for row, _, code, minutes in amended[:_SHOW_AMENDMENTS]
    ]
    lines += [
        f"{pupils_file}:{line}: would amend {pupil.upn} {field} from {old} to {new}"
        for pupil, line, field, old, new in pupil_changes[: max(0, _SHOW_AMENDMENTS - len(lines))]
    ]
    total = len(amended) + len(pupil_changes)
    if total > len(lines):
        lines.append(f"... and {total - len(lines)} more amendments")
    lines.append(
        f"{total} register entries would be amended"
        + (f" ({reason_problem})" if reason_problem else "")
        + ': say who and why with --by "Name, Position" --reason "..." (the law requires both '
        "for every amendment); nothing was written"
    )
    return lines
