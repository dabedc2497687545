"""Importing register CSVs in one transaction, with every change to a mark audited."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlmodel import Session, col

from school.amendments import (
    Amender,
    amendment_reason,
    amendment_refusal,
    apply_mark_amendments,
    apply_pupil_changes,
    mark_changes,
    pupil_differences,
    pupil_values,
)
from school.clock import Clock
from school.errors import InputError
from school.models import AttendanceMark, Contact, Pupil, RegisterImport
from school.register_checks import (
    KnownPupil,
    check_contacts,
    check_marks,
    check_stored_marks_stay_on_roll,
    source_name,
)
from school.register_csv import (
    ContactRow,
    MarkRow,
    Problems,
    ProgressCallback,
    PupilRow,
    parse_contacts,
    parse_marks,
    parse_pupils,
)
from school.register_followup import FollowUp, follow_ups
from school.schools import calendar_of, get_school, policy_of
from school.tables import CONTACTS, PUPILS


@dataclass(frozen=True)
class RegisterFiles:
    pupils: Path | None = None
    contacts: Path | None = None
    marks: Path | None = None

    @classmethod
    def in_folder(cls, folder: Path) -> RegisterFiles:
        """The standard file names in a folder; a file that is not there is left out."""

        def found(name: str) -> Path | None:
            return folder / name if (folder / name).exists() else None

        return cls(found("pupils.csv"), found("contacts.csv"), found("marks.csv"))

    def names(self) -> str:
        return ", ".join(str(p) for p in (self.pupils, self.contacts, self.marks) if p)


@dataclass(frozen=True)
class ImportResult:
    pupils_added: int = 0
    pupils_changed: int = 0
    contacts_changed: int = 0
    marks_added: int = 0
    marks_amended: int = 0
    marks_unchanged: int = 0
    # What the import leaves for a person; not part of what it changed.
    follow_ups: tuple[FollowUp, ...] = field(default=(), compare=False)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.pupils_added,
                self.pupils_changed,
                self.contacts_changed,
                self.marks_added,
                self.marks_amended,
            )
        )


class RegisterImportError(InputError):
    """The import was refused; nothing was written. `problems` lists `file:line: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("register import", problems)

    def lines(self) -> list[str]:
        return self.problems


def import_register(
    session: Session,
    school_id: str,
    files: RegisterFiles,
    clock: Clock,
    *,
    by: Amender | None = None,
    reason: str | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Check every row of the given files, then write all of it or nothing.

    Re-importing the same files changes nothing. A mark that differs from the stored one is an
    amendment and needs `by` and `reason`; otherwise the import is refused.
    """
    if files.pupils is None and files.contacts is None and files.marks is None:
        raise RegisterImportError(
            ["no files to import: give pupils.csv, contacts.csv or marks.csv"]
        )
    school = get_school(session, school_id)
    calendar = calendar_of(school)
    problems = Problems()
    pupil_rows = parse_pupils(files.pupils, problems, progress) if files.pupils else []
    contact_rows = parse_contacts(files.contacts, problems, progress) if files.contacts else []
    mark_rows = parse_marks(files.marks, problems, progress) if files.marks else []

    stored = {
        p.upn: p for p in session.scalars(select(Pupil).where(col(Pupil.school_id) == school_id))
    }
    known = {
        upn: KnownPupil(p.id, p.date_of_birth, p.admission_date, p.leaving_date, p.year_group)
        for upn, p in stored.items()
    }
    known.update(
        {
            r.upn: KnownPupil(None, r.date_of_birth, r.admission_date, r.leaving_date, r.year_group)
            for r in pupil_rows
        }
    )
    check_contacts(contact_rows, known, files.contacts, problems)
    check_marks(mark_rows, known, calendar, policy_of(school).policy, files.marks, problems)
    check_stored_marks_stay_on_roll(session, stored, pupil_rows, mark_rows, files.pupils, problems)
    if problems.items:
        raise RegisterImportError(problems.items)

    try:
        result = _write(
            session,
            school_id,
            stored,
            pupil_rows,
            contact_rows,
            mark_rows,
            files,
            clock,
            by,
            reason,
        )
        policy = policy_of(school).policy
        found = follow_ups(session, school_id, calendar, policy, pupil_rows, mark_rows)
        result = replace(result, follow_ups=tuple(found))
    except BaseException:
        session.rollback()
        raise
    session.commit()
    if result.marks_added >= ANALYZE_AFTER_MARKS:
        _refresh_planner_statistics(session)
    return result


# After a large import the query planner's row counts are stale: measured on PostgreSQL, the
# statistics statement took 7-9 s straight after a 1,000-pupil import and 0.2 s after ANALYZE.
ANALYZE_AFTER_MARKS = 10_000


def _refresh_planner_statistics(session: Session) -> None:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("ANALYZE attendance_mark"))
        session.execute(text("ANALYZE pupil"))
    else:
        session.execute(text("ANALYZE"))
    session.commit()


def _write(
    session: Session,
    school_id: str,
    stored: dict[str, Pupil],
    pupil_rows: list[PupilRow],
    contact_rows: list[ContactRow],
    mark_rows: list[MarkRow],
    files: RegisterFiles,
    clock: Clock,
    by: Amender | None,
    reason: str | None,
) -> ImportResult:
    new_pupils = [r for r in pupil_rows if r.upn not in stored]
    pupil_changes = [
        (stored[r.upn], r.line, field, old, new)
        for r in pupil_rows
        if r.upn in stored
        for field, old, new in pupil_differences(stored[r.upn], r)
    ]
    if new_pupils:
        session.execute(insert(Pupil), [pupil_values(school_id, r) for r in new_pupils])
    ids: dict[str, int] = {
        upn: pid
        for upn, pid in session.execute(
            select(PUPILS.c.upn, PUPILS.c.id).where(PUPILS.c.school_id == school_id)
        )
    }

    new_marks, amended_marks, unchanged = mark_changes(session, school_id, ids, mark_rows)
    contact_replacements = _contact_changes(session, school_id, ids, contact_rows)
    amendments_needed = len(amended_marks) + len(pupil_changes)
    if amendments_needed:
        reason, reason_problem = _checked_reason(reason)
        if by is None or reason is None:
            raise RegisterImportError(
                amendment_refusal(
                    amended_marks,
                    pupil_changes,
                    source_name(files.marks),
                    source_name(files.pupils),
                    reason_problem,
                )
            )

    result = ImportResult(
        pupils_added=len(new_pupils),
        pupils_changed=len({p.id for p, *_ in pupil_changes}),
        contacts_changed=len(contact_replacements),
        marks_added=len(new_marks),
        marks_amended=len(amended_marks),
        marks_unchanged=unchanged,
    )
    if not result.changed:
        return result
    now = clock.now()
    run = RegisterImport(
        school_id=school_id,
        imported_at=now,
        by_name=by.name if by else None,
        by_position=by.position if by else None,
        reason=reason,
        files=files.names(),
        pupils_added=result.pupils_added,
        pupils_changed=result.pupils_changed,
        contacts_changed=result.contacts_changed,
        marks_added=result.marks_added,
        marks_amended=result.marks_amended,
    )
    session.add(run)
    session.flush()
    audit = {
        "reason": reason,
        "amended_at": now,
        "import_id": run.id,
        "amended_by_name": by.name if by else "",
        "amended_by_position": by.position if by else "",
    }
    apply_pupil_changes(session, pupil_changes, audit)
    _replace_contacts(session, contact_replacements)
    if new_marks:
        session.execute(insert(AttendanceMark), new_marks)
    apply_mark_amendments(session, amended_marks, audit)
    return result


def _checked_reason(reason: str | None) -> tuple[str | None, str | None]:
    """The reason as stored (None when none was given or it says nothing), and what is wrong."""
    if reason is None:
        return None, None
    try:
        return amendment_reason(reason), None
    except ValueError as exc:
        return None, f"--reason: {exc}"


def _contact_changes(
    session: Session, school_id: str, ids: dict[str, int], rows: list[ContactRow]
) -> dict[int, list[ContactRow]]:
    """Pupils whose contact list in the file differs from the stored one, with the new list."""
    if not rows:
        return {}
    by_pupil: dict[int, list[ContactRow]] = {}
    for row in rows:
        by_pupil.setdefault(ids[row.upn], []).append(row)
    stored: dict[int, set[tuple[object, ...]]] = {}
    school_contacts = (
        select(CONTACTS)
        .join(PUPILS, PUPILS.c.id == CONTACTS.c.pupil_id)
        .where(PUPILS.c.school_id == school_id)
    )
    for contact in session.execute(school_contacts):
        stored.setdefault(contact.pupil_id, set()).add(_contact_key(contact))
    return {
        pid: contacts
        for pid, contacts in by_pupil.items()
        if stored.get(pid, set()) != {_contact_key(c) for c in contacts}
    }


def _contact_key(c: Any) -> tuple[object, ...]:
    """What makes two contacts the same, for a stored row or a file row alike."""
    return (
        c.priority,
        c.name,
        c.relationship,
        c.parental_responsibility,
        c.mobile,
        c.email,
        c.address_line1,
        c.address_line2,
        c.town,
        c.postcode,
    )


def _replace_contacts(session: Session, replacements: dict[int, list[ContactRow]]) -> None:
    """A pupil in contacts.csv gets exactly the contacts listed there, in that order."""
    if not replacements:
        return
    pupils = list(replacements)
    # Chunked: SQLite and PostgreSQL both cap the number of bound parameters per statement.
    for start in range(0, len(pupils), 5000):
        chunk = pupils[start : start + 5000]
        session.execute(delete(CONTACTS).where(CONTACTS.c.pupil_id.in_(chunk)))
    session.execute(
        insert(Contact),
        [
            {
                "pupil_id": pid,
                "priority": c.priority,
                "name": c.name,
                "relationship": c.relationship,
                "parental_responsibility": c.parental_responsibility,
                "mobile": c.mobile,
                "email": c.email,
                "address_line1": c.address_line1,
                "address_line2": c.address_line2,
                "town": c.town,
                "postcode": c.postcode,
            }
            for pid, contacts in replacements.items()
            for c in contacts
        ],
    )
