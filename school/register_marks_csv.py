"""Reading marks.csv: a year of a school's register, checked row by row at the speed of a dict."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from school.codes import CODES, UnknownCodeError, lookup
from school.register_csv import (
    MARK_COLUMNS,
    MarkRow,
    Problems,
    ProgressCallback,
    open_csv,
    parse_date,
    records,
    whole_number,
)
from school.upn import upn_problem

MAX_MINUTES_LATE = 240  # longer than any session: a typo, not a late arrival

# Every way a valid code may be written in a file, to the code itself (letters in either case).
_CODE_SPELLINGS = {c: c for c in CODES} | {c.lower(): c for c in CODES if c.isalpha()}


def parse_marks(
    path: Path, problems: Problems, progress: ProgressCallback | None = None
) -> list[MarkRow]:
    """Every row of marks.csv, checked. Most rows are read on a fast path of dictionary lookups
    (a few hundred dates, a thousand UPNs); a row it cannot take is read again by `_mark`, which
    says exactly what is wrong."""
    opened = open_csv(path, MARK_COLUMNS, problems)
    if opened is None:
        return []
    reader, header, total = opened
    order = [header.index(c) for c in MARK_COLUMNS]
    in_order = order == list(range(len(MARK_COLUMNS)))
    source = path.name
    rows: list[MarkRow] = []
    seen: dict[tuple[str, date, str], int] = {}
    upns: dict[str, str] = {}
    dates: dict[str, date] = {}
    sessions = {"AM": "AM", "PM": "PM"}
    for line, values in records(reader, len(header), source, problems, progress, total):
        upn_text, day, session, code, minutes = values if in_order else [values[i] for i in order]
        upn = upns.get(upn_text)
        on = dates.get(day)
        if (
            upn is not None
            and on is not None
            and (session := sessions.get(session, "")) != ""
            and (code := _CODE_SPELLINGS.get(code, "")) != ""
            and not minutes
            and (upn, on, session) not in seen
        ):
            seen[upn, on, session] = line
            rows.append(MarkRow(line, upn, on, session, code, None))
            continue
        try:
            row = _mark(line, dict(zip(MARK_COLUMNS, [values[i] for i in order], strict=True)))
        except ValueError as exc:
            problems.add(source, line, str(exc))
            continue
        if row is None:
            continue  # a blank row
        if (first := seen.get((row.upn, row.date, row.session))) is not None:
            problems.add(
                source,
                line,
                f"duplicate row: {row.upn} {row.date} {row.session} is also on line {first}",
            )
            continue
        seen[row.upn, row.date, row.session] = line
        upns[upn_text] = row.upn
        dates[day] = row.date
        rows.append(row)
    return rows


def _mark(line: int, raw: dict[str, str]) -> MarkRow | None:
    """One row of marks.csv read slowly and exactly: the mark, None for a blank row, or
    ValueError naming the first thing wrong."""
    if not any(v.strip() for v in raw.values()):
        return None
    # Spaces and tabs only: str.strip() would also drop control characters.
    row = {name: value.strip(" \t") for name, value in raw.items()}
    upn = row["upn"].upper()
    if bad := upn_problem(upn):
        raise ValueError(bad)
    session = row["session"].upper()
    if session not in ("AM", "PM"):
        raise ValueError(f"session {row['session']!r} must be AM or PM")
    on = parse_date(row["date"], "date")
    code = row["code"] if row["code"] in ("/", "\\", "#") else row["code"].upper()
    try:
        lookup(code)
    except UnknownCodeError as exc:
        raise ValueError(str(exc)) from None
    return MarkRow(line, upn, on, session, code, _minutes_late(row["minutes_late"], code))


def _minutes_late(value: str, code: str) -> int | None:
    if not value:
        return None
    if code not in ("L", "U"):
        raise ValueError(f"minutes_late is given for code {code}; only L and U marks are late")
    minutes = whole_number(value, "minutes_late")
    if not 0 <= minutes <= MAX_MINUTES_LATE:
        raise ValueError(f"minutes_late {minutes} is outside 0 to {MAX_MINUTES_LATE}")
    return minutes
