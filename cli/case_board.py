"""`case board`: the school's open cases by stage and the proposals waiting, or as JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from cases.board import Board
from cli.common import console
from cli.output import Column, people_table


def board_shown(school_id: str, board: Board, as_of: date) -> dict[str, Any]:
    """The board as data: the same for the tables and for --format json (docs/cli-json.md)."""
    cards = [card for _, _, column in board.columns for card in column]
    return {
        "school": school_id,
        "as_of": as_of,
        "counts": {stage: len(column) for stage, _, column in board.columns},
        "shown": board.shown,
        "total": board.total,
        "proposals": [
            {"id": w.proposal.id, "case_id": w.proposal.case_id, "upn": w.card.pupil.upn,
             "pupil": f"{w.card.pupil.given_name} {w.card.pupil.family_name}",
             "kind": w.proposal.kind, "to_stage": w.proposal.to_stage,
             "summary": w.proposal.summary}
            for w in board.waiting
        ],
        "cases": [
            {"id": c.case.id, "upn": c.pupil.upn,
             "pupil": f"{c.pupil.given_name} {c.pupil.family_name}",
             "year_group": c.pupil.year_group, "stage": c.case.stage,
             "attendance_pct": c.figures.attendance_pct if c.figures else None,
             "bands": c.bands, "flags": c.flags, "key_worker": c.case.key_worker,
             "proposals_to_decide": c.waiting}
            for c in cards
        ],
    }  # fmt: skip


def print_board(shown: dict[str, Any], stage_words: dict[str, str], wide: bool) -> None:
    """The counts by stage first, then what waits for a person, then every case."""
    counts = ", ".join(f"{stage_words[s]} {n}" for s, n in shown["counts"].items())
    of = f" of {shown['total']}" if shown["shown"] != shown["total"] else ""
    console.print(
        f"{shown['shown']}{of} open cases at {shown['school']}: {counts}.",
        markup=False,
        highlight=False,
    )
    waiting = [[str(p["id"]), p["pupil"], p["summary"]] for p in shown["proposals"]]
    if waiting:
        console.print(people_table(
            "Proposals to decide (attendance case decide ID)",
            [Column("#", justify="right"), Column("Pupil"), Column("Proposal")], waiting, wide,
        ))  # fmt: skip
    rows = [
        [str(c["id"]), c["pupil"], f"Y{c['year_group']}", stage_words[c["stage"]],
         "" if c["attendance_pct"] is None else f"{c['attendance_pct']:.1f}%",
         ", ".join(c["flags"]), (c["key_worker"] or "").split(",")[0]]
        for c in shown["cases"]
    ]  # fmt: skip
    if rows:
        console.print(people_table(
            "Open cases",
            [Column("Case", justify="right"), Column("Pupil"), Column("Year", essential=False),
             Column("Stage"), Column("Attendance", justify="right"),
             Column("Flags", essential=False), Column("Key worker", essential=False)],
            rows, wide,
        ))  # fmt: skip
