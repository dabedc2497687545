"""Reading the three register CSV files into checked rows, each problem as `file:line: message`."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from school.contact_details import mobile_number
from school.pupil_flags import PUPIL_FLAGS
from school.upn import upn_problem

PUPIL_COLUMNS = (
    "upn",
    "given_name",
    "family_name",
    "date_of_birth",
    "year_group",
    "admission_date",
    "leaving_date",
    "flags",
)
CONTACT_COLUMNS = (
    "upn",
    "priority",
    "name",
    "relationship",
    "parental_responsibility",
    "mobile",
    "email",
)
# Optional: older files without them still import (the contact then has no postal address).
CONTACT_ADDRESS_COLUMNS = ("address_line1", "address_line2", "town", "postcode")
MARK_COLUMNS = ("upn", "date", "session", "code", "minutes_late")

# Progress is reported as (what is being read, rows done, rows in all).
ProgressCallback = Callable[[str, int, int], None]
_PROGRESS_EVERY = 20_000

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")
# A quoted value, a date, a UPN or a number inside a message: what differs between two rows with
# the same problem.
_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|\b[A-Z]?[0-9][0-9A-Z:-]*\b")
# Control characters (C0, DEL and C1): never in a name or an address; they can hide text, break
# a letter's layout or a terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}
_YEAR_NAMES = {"N1": -2, "N2": -1, "R": 0}


@dataclass(frozen=True, slots=True)
class PupilRow:
    line: int
    upn: str
    given_name: str
    family_name: str
    date_of_birth: date
    year_group: int
    admission_date: date
    leaving_date: date | None
    flags: frozenset[str]


@dataclass(frozen=True, slots=True)
class ContactRow:
    line: int
    upn: str
    priority: int
    name: str
    relationship: str
    parental_responsibility: bool
    mobile: str | None
    email: str | None
    address_line1: str | None = None
    address_line2: str | None = None
    town: str | None = None
    postcode: str | None = None


class MarkRow(NamedTuple):
    """One register mark; a tuple, because a year of a school's register is 400,000 of them."""

    line: int
    upn: str
    date: date
    session: str
    code: str
    minutes_late: int | None


@dataclass
class Problems:
    """Collects every problem in a file so the whole file is reported at once."""

    items: list[str] = field(default_factory=list)
    # How many of each kind of problem: the message with its values and numbers blanked, so a
    # file with a million bad rows can be summed up in a few lines.
    kinds: Counter[str] = field(default_factory=Counter)

    def add(self, source: str, line: int, message: str) -> None:
        self.items.append(f"{source}:{line}: {message}")
        self.kinds[f"{source}: {_VALUES.sub('…', message)}"] += 1


def open_csv(
    path: Path, columns: tuple[str, ...], problems: Problems, optional: tuple[str, ...] = ()
) -> tuple[Iterator[list[str]], list[str], int] | None:
    """A CSV reader past its checked header, the header, and about how many rows follow; or
    None when the file cannot be read or its header is wrong (the problem is recorded)."""
    source = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add(source, 0, f"cannot read the file: {exc.strerror}")
        return None
    try:
        text = raw.decode("utf-8-sig")  # tolerate the byte-order mark Excel writes
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add(source, line, f"not UTF-8 (byte {exc.start}); save the file as UTF-8")
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.add(source, 1, f"the header cannot be read as CSV: {exc}")
        return None
    if header is None:
        problems.add(source, 1, f"the file is empty; expected the header {','.join(columns)}")
        return None
    header = [h.strip() for h in header]
    missing = [c for c in columns if c not in header]
    extra = [h for h in header if h not in columns and h not in optional]
    if missing or extra or len(set(header)) != len(header):
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing)}")
        if extra:
            detail.append(f"unexpected {', '.join(extra)}")
        if len(set(header)) != len(header):
            detail.append("a column appears twice")
        allowed = ",".join(columns) + (f" (optional: {','.join(optional)})" if optional else "")
        problems.add(source, 1, f"header must be {allowed} ({'; '.join(detail)})")
        return None
    return reader, header, max(text.count("\n") - 1, 1)


def read_rows(
    path: Path,
    columns: tuple[str, ...],
    problems: Problems,
    progress: ProgressCallback | None = None,
    optional: tuple[str, ...] = (),
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each data row, after checking the header.

    `optional` columns may be left out of the header; a row then holds "" for them.
    """
    opened = open_csv(path, columns, problems, optional)
    if opened is None:
        return
    reader, header, total = opened
    for line, values in records(reader, len(header), path.name, problems, progress, total):
        if not any(v.strip() for v in values):
            continue
        # Spaces and tabs only: str.strip() would also drop control characters, quietly
        # accepting a corrupt cell such as "0\x1f" as 0 (found by the property test).
        row = dict.fromkeys(optional, "")
        row.update((name, value.strip(" \t")) for name, value in zip(header, values, strict=True))
        yield line, row


def records(
    reader: Iterator[list[str]],
    width: int,
    source: str,
    problems: Problems,
    progress: ProgressCallback | None,
    total: int,
) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of each row with as many fields as the header; a row of another width is
    reported unless blank. A for loop, not next() in a try: this runs 400,000 times a year."""
    rows = 0
    before = reader.line_num  # type: ignore[attr-defined]
    try:
        for values in reader:
            line = before + 1  # a quoted field may span lines: report where the row starts
            before = reader.line_num  # type: ignore[attr-defined]
            rows += 1
            if progress and rows % _PROGRESS_EVERY == 0:
                progress(source, rows, total)
            if len(values) != width:
                if values and any(v.strip() for v in values):
                    problems.add(source, line, f"has {len(values)} fields; the header has {width}")
                continue
            yield line, values
    except csv.Error as exc:
        problems.add(source, before + 1, f"cannot be read as CSV: {exc}")
        return  # the reader cannot resynchronise after a broken row
    if progress:
        progress(source, total, total)


def refuse_control_characters(row: dict[str, str]) -> None:
    """Every text field of pupils.csv and contacts.csv: control characters are refused."""
    for column, value in row.items():
        if found := _CONTROL.search(value):
            raise ValueError(
                f"{column} holds a control character (U+{ord(found.group()):04X}); retype the value"
            )


def whole_number(value: str, column: str) -> int:
    """Digits only: int() would also take "+5", " 5" and "1_0"."""
    if not re.fullmatch(r"\d{1,6}", value):
        raise ValueError(f"{column} {value!r} is not a whole number")
    return int(value)


def parse_date(value: str, column: str) -> date:
    if not _ISO_DATE.match(value):
        raise ValueError(f"{column} {value!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column} {value!r} is not a real date") from None


def _year_group(value: str) -> int:
    if value.upper() in _YEAR_NAMES:
        return _YEAR_NAMES[value.upper()]
    digits = value.upper().removeprefix("Y")
    if not re.fullmatch(r"-?\d{1,2}", digits):  # N1 and N2 may also be written -2 and -1
        raise ValueError(f"year_group {value!r} is not a year group (R, 1 to 14, N1, N2)")
    year = int(digits)
    if not -2 <= year <= 14:
        raise ValueError(f"year_group {value!r} is outside N1 to 14")
    return year


def _flags(value: str) -> frozenset[str]:
    flags = frozenset(f.strip() for f in value.split(";") if f.strip())
    unknown = sorted(flags - set(PUPIL_FLAGS))
    if unknown:
        raise ValueError(
            f"unknown flag(s) {', '.join(unknown)}; flags are {', '.join(PUPIL_FLAGS)}"
        )
    return flags


def parse_pupils(
    path: Path, problems: Problems, progress: ProgressCallback | None = None
) -> list[PupilRow]:
    rows: list[PupilRow] = []
    seen: dict[str, int] = {}
    for line, row in read_rows(path, PUPIL_COLUMNS, problems, progress):
        try:
            refuse_control_characters(row)
            upn = row["upn"].upper()
            if bad := upn_problem(upn):
                raise ValueError(bad)
            if upn in seen:
                raise ValueError(f"duplicate row: UPN {upn} is also on line {seen[upn]}")
            seen[upn] = line
            for name in ("given_name", "family_name"):
                if not row[name]:
                    raise ValueError(f"{name} is empty")
            born = parse_date(row["date_of_birth"], "date_of_birth")
            admitted = parse_date(row["admission_date"], "admission_date")
            left = parse_date(row["leaving_date"], "leaving_date") if row["leaving_date"] else None
            if born >= admitted:
                raise ValueError(f"date_of_birth {born} is not before admission_date {admitted}")
            if left is not None and left < admitted:
                raise ValueError(f"leaving_date {left} is before admission_date {admitted}")
            rows.append(
                PupilRow(
                    line,
                    upn,
                    row["given_name"],
                    row["family_name"],
                    born,
                    _year_group(row["year_group"]),
                    admitted,
                    left,
                    _flags(row["flags"]),
                )
            )
        except ValueError as exc:
            problems.add(path.name, line, str(exc))
    return rows


def _mobile(value: str) -> str | None:
    """The contact's mobile in E.164, or None when blank (school/contact_details.py decides)."""
    if not value:
        return None
    try:
        return mobile_number(value)
    except ValueError as exc:
        why = str(exc).removeprefix(f"{value!r} is ")
        raise ValueError(
            f"mobile {value!r} is not a phone number a text can reach: {why} "
            "(e.g. 07700 900123 or +447700900123)"
        ) from None


def _boolean(value: str, column: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{column} {value!r} is not true or false")


def parse_contacts(
    path: Path, problems: Problems, progress: ProgressCallback | None = None
) -> list[ContactRow]:
    rows: list[ContactRow] = []
    seen: dict[tuple[str, int], int] = {}
    for line, row in read_rows(path, CONTACT_COLUMNS, problems, progress, CONTACT_ADDRESS_COLUMNS):
        try:
            refuse_control_characters(row)
            upn = row["upn"].upper()
            priority = whole_number(row["priority"], "priority")
            if priority < 1:
                raise ValueError(f"priority {priority} must be 1 or more (1 is called first)")
            if (upn, priority) in seen:
                raise ValueError(
                    f"duplicate row: {upn} already has a priority {priority} contact on line "
                    f"{seen[upn, priority]}"
                )
            seen[upn, priority] = line
            if not row["name"]:
                raise ValueError("name is empty")
            mobile = _mobile(row["mobile"])
            email = row["email"] or None
            if email is not None and not _EMAIL.match(email):
                raise ValueError(f"email {email!r} is not an email address")
            if mobile is None and email is None:
                raise ValueError("the contact has neither a mobile nor an email")
            rows.append(
                ContactRow(
                    line,
                    upn,
                    priority,
                    row["name"],
                    row["relationship"],
                    _boolean(row["parental_responsibility"], "parental_responsibility"),
                    mobile,
                    email,
                    *_postal_address(row),
                )
            )
        except ValueError as exc:
            problems.add(path.name, line, str(exc))
    return rows


def _postal_address(row: dict[str, str]) -> tuple[str | None, ...]:
    """The four address columns, or all None; a partial address cannot be posted to."""
    line1, line2, town, postcode = (row[c] or None for c in CONTACT_ADDRESS_COLUMNS)
    if not (line1 or line2 or town or postcode):
        return (None, None, None, None)
    if not line1 or not postcode:
        missing = " and ".join(
            n for n, v in (("address_line1", line1), ("postcode", postcode)) if not v
        )
        raise ValueError(f"an address needs {missing} as well")
    code = " ".join(postcode.upper().split())
    if not _POSTCODE.match(code):
        raise ValueError(f"postcode {postcode!r} is not a UK postcode (e.g. LS25 4AJ)")
    if " " not in code:  # the inward code is always the last three characters
        code = f"{code[:-3]} {code[-3:]}"
    return (line1, line2, town, code)
