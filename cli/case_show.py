"""`case show`: a pupil's case as counts, then tables that fit 80 columns, or as JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from cases.case_rows import case_rows
from cases.models import (
    AttendanceCase,
)
from cases.support_law import PLANNED, status_words
from cli.common import console
from cli.legal_output import legal_lines, legal_shown
from cli.output import Column, day_words, people_table, stored, when_words
from school.models import Pupil
from school.statistics import PupilStatistics

# Actions whose outcome is not yet recorded: a person still has to do or record them.
_OPEN = ("planned",)


def case_shown(
    session: Session,
    pupil: Pupil,
    case: AttendanceCase,
    figures: PupilStatistics | None,
    today: date,
) -> dict[str, Any]:
    """The case as data, read from the stored rows: the same for the tables and for --format
    json (docs/cli-json.md)."""
    rows = case_rows(session, case, pupil)
    events, actions, proposals = rows.events, rows.actions, rows.proposals
    legal, letters = rows.legal, rows.letters
    support = [a for a in actions if a.is_support]
    others = [a for a in actions if not a.is_support]
    return {
        "school": pupil.school_id,
        "pupil": {"upn": pupil.upn, "name": f"{pupil.given_name} {pupil.family_name}",
                  "year_group": pupil.year_group},
        "case": stored(case),
        "figures": None if figures is None else _figures(figures, today),
        **legal_shown(session, pupil, today),
        "counts": {
            "stage_moves": len(events),
            "actions": len(others),
            "actions_open": sum(a.status in _OPEN for a in others),
            "support": len(support),
            "support_planned_only": sum((a.support_status or PLANNED) == PLANNED for a in support),
            "proposals_to_decide": sum(p.status == "proposed" for p in proposals),
            "legal_actions": len(legal),
            "letters": len(letters),
        },
        "history": [stored(e) for e in events],
        "actions": [stored(a) for a in others],
        "support": [{**stored(a), "status_words": status_words(a)} for a in support],
        "proposals": [stored(p) for p in proposals],
        "legal_actions": [stored(la) for la in legal],
        "letters": [stored(letter, without={"html"}) for letter in letters],
    }  # fmt: skip


def _figures(f: PupilStatistics, today: date) -> dict[str, Any]:
    return {
        "as_of": today,
        "possible_sessions": f.possible_sessions,
        "sessions_missed": f.authorised_sessions + f.unauthorised_sessions,
        "attendance_pct": f.attendance_pct,
        "unauthorised_sessions_rolling_10_school_weeks": (
            f.unauthorised_sessions_rolling_10_school_weeks
        ),
    }


def print_case(shown: dict[str, Any], wide: bool) -> None:
    """Who and where first, the counts, then what needs a person, then the record."""
    pupil, case, counts = shown["pupil"], shown["case"], shown["counts"]
    console.print(
        f"{pupil['name']}, Y{pupil['year_group']} ({pupil['upn']}): case {case['id']} at "
        f"{case['stage']}, opened {when_words(case['opened_at'])}",
        style="bold",
        markup=False,
        highlight=False,
    )
    f = shown["figures"]
    if f is not None and f["possible_sessions"]:
        console.print(
            f"This year to {day_words(f['as_of'])}: {f['sessions_missed'] / 2:g} days missed of "
            f"{f['possible_sessions'] / 2:g} ({f['attendance_pct']:.1f}% attendance); "
            f"{f['unauthorised_sessions_rolling_10_school_weeks']} unauthorised sessions in the "
            "last 10 school weeks.",
            highlight=False,
        )
    console.print(
        f"{counts['proposals_to_decide']} proposals to decide, {counts['actions_open']} of "
        f"{counts['actions']} actions open, {counts['support_planned_only']} of "
        f"{counts['support']} support only planned; {counts['stage_moves']} stage moves, "
        f"{counts['legal_actions']} legal actions, {counts['letters']} letters.",
        highlight=False,
    )
    for line in legal_lines(shown):
        console.print(line, style="bold", markup=False, highlight=False)
    for title, columns, rows in _tables(shown):
        if rows:
            console.print(people_table(title, columns, rows, wide))


def _tables(shown: dict[str, Any]) -> list[tuple[str, list[Column], list[list[str]]]]:
    to_decide = [p for p in shown["proposals"] if p["status"] == "proposed"]
    decided = [p for p in shown["proposals"] if p["status"] != "proposed"]
    return [
        ("Proposals to decide (attendance case decide ID)",
         [Column("#", justify="right"), Column("Kind", essential=False), Column("Proposal"),
          Column("Made", essential=False)],
         [[str(p["id"]), p["kind"], p["summary"], when_words(p["created_at"])]
          for p in to_decide]),
        ("History",
         [Column("When"), Column("Move"), Column("Why"), Column("By", essential=False),
          Column("Trigger", essential=False)],
         [[when_words(e["at"]), f"{e['from_stage'] or '—'} → {e['to_stage']}", e["reason"],
           f"{e['actor_name']}, {e['actor_position']}", e["trigger"]]
          for e in shown["history"]]),
        ("Actions (attendance case action ID)",
         [Column("#", justify="right"), Column("Kind", essential=False), Column("Action"),
          Column("Status"), Column("Due")],
         [[str(a["id"]), a["kind"], a["title"], a["status"], day_words(a["due_on"])]
          for a in shown["actions"]]),
        ("Support (attendance case support-status ID)",
         [Column("#", justify="right"), Column("Kind", essential=False), Column("Support"),
          Column("Status"), Column("Due", essential=False)],
         [[str(a["id"]), a["kind"], a["title"], a["status_words"], day_words(a["due_on"])]
          for a in shown["support"]]),
        ("Proposals decided",
         [Column("#", justify="right"), Column("Status"), Column("Proposal"),
          Column("Decided by", essential=False)],
         [[str(p["id"]), p["status"], p["summary"], p["decided_by"] or ""] for p in decided]),
        ("Legal actions",
         [Column("#", justify="right"), Column("Kind"), Column("Named"), Column("State"),
          Column("Issued", essential=False)],
         [[str(la["id"]), la["kind"].replace("_", " "), la["parent_name"], la["state"],
           day_words(la["issued_on"])] for la in shown["legal_actions"]]),
        ("Letters, as decided (attendance letters render ACTION)",
         [Column("Action", justify="right"), Column("Letter"), Column("To"),
          Column("Figures as of"), Column("Delivery", essential=False)],
         [[str(lt["case_action_id"] or f"legal {lt['legal_action_id']}"), lt["subject"],
           lt["addressee"], day_words(lt["as_of"]), lt["delivery"].replace("_", " ")]
          for lt in shown["letters"]]),
    ]  # fmt: skip
