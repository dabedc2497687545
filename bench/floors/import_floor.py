"""The import floor: one process reads marks.csv with the csv module, checks each code against
the code list and each date and session, and inserts the marks in one transaction with
executemany. It keeps none of the import's guarantees beyond those checks (no calendar, time on
roll, amendments, audit or follow-ups): it is what the work cannot go below."""

import csv
import sqlite3
import sys
from datetime import date

from school.codes import CODES

database, marks, school = sys.argv[1], sys.argv[2], sys.argv[3]
connection = sqlite3.connect(database)
connection.execute("PRAGMA foreign_keys=ON")
connection.execute("PRAGMA journal_mode=WAL")
pupils = dict(connection.execute("SELECT upn, id FROM pupil WHERE school_id = ?", (school,)))
dates: dict[str, str] = {}
rows = []
with open(marks, newline="", encoding="utf-8") as f:
    reader = csv.reader(f)
    next(reader)
    for upn, day, session, code, minutes in reader:
        if day not in dates:
            dates[day] = date.fromisoformat(day).isoformat()
        if code not in CODES or session not in ("AM", "PM"):
            raise SystemExit(f"bad row {upn} {day} {session} {code}")
        rows.append((pupils[upn], dates[day], session, code, int(minutes) if minutes else None))
with connection:
    connection.executemany(
        "INSERT INTO attendance_mark (pupil_id, date, session, code, minutes_late) "
        "VALUES (?, ?, ?, ?, ?)",
        rows,
    )
