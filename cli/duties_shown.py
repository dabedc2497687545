"""Duties to the LA as people and scripts see them: one shape, a summary, an 80-column table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from cases.duties.rules import KIND_LABELS, OPEN, needs
from cases.models import LaDuty
from cli.common import console
from cli.output import Column, people_table
from school.models import Pupil


def shown(session: Session, duties: Sequence[LaDuty], today: date) -> list[dict[str, Any]]:
    """Each duty as data (docs/cli-json.md): the stored summary and details, never recomputed."""
    ids = sorted({d.pupil_id for d in duties})
    pupils = {
        p.id: p for p in session.scalars(select(Pupil).where(col(Pupil.id).in_(ids)))
    } if ids else {}  # fmt: skip
    result = []
    for duty in duties:
        pupil = pupils[duty.pupil_id]
        is_open = duty.status == OPEN
        result.append(
            {
                "id": duty.id,
                "due_on": duty.due_on,
                "kind": duty.kind,
                "summary": duty.summary,
                "pupil": {"upn": pupil.upn, "name": f"{pupil.given_name} {pupil.family_name}"},
                "label": KIND_LABELS.get(duty.kind, duty.kind),
                "status": duty.status,
                "overdue": is_open and duty.due_on < today,
                "needs": needs(duty) if is_open else None,
                "done_at": duty.done_at,
                "done_by": duty.done_by,
                "details": duty.details or {},
            }
        )
    return result


def counts(duties: Sequence[dict[str, Any]], today: date) -> dict[str, int]:
    """How many are open, overdue, due today and due later."""
    open_ = [d for d in duties if d["status"] == OPEN]
    return {
        "open": len(open_),
        "overdue": sum(d["overdue"] for d in open_),
        "due_today": sum(d["due_on"] == today for d in open_),
        "due_later": sum(d["due_on"] > today for d in open_),
    }


def summary_line(school_name: str, today: date, c: dict[str, int]) -> str:
    if not c["open"]:
        return f"{school_name}: no open duties to the LA on {today:%a %-d %b %Y}."
    return (
        f"{school_name}: {c['open']} open duties to the LA on {today:%a %-d %b %Y}: "
        f"{c['overdue']} overdue, {c['due_today']} due today, {c['due_later']} due later."
    )


def _due(duty: dict[str, Any], today: date) -> str:
    due: date = duty["due_on"]
    flag = " OVERDUE" if duty["overdue"] else " today" if due == today else ""
    return f"{due:%-d %b %Y}{flag}"


def print_duties(title: str, duties: Sequence[dict[str, Any]], today: date, wide: bool) -> None:
    """The duties a person must act on, soonest first; the full summary with --wide."""
    if not duties:
        return
    columns = [
        Column("#", justify="right"), Column("Due"), Column("UPN", essential=False),
        Column("Pupil"), Column("Duty"), Column("Needs"), Column("Summary", essential=False),
    ]  # fmt: skip
    rows = [
        [str(d["id"]), _due(d, today), d["pupil"]["upn"], d["pupil"]["name"], d["label"],
         d["needs"] or d["status"], d["summary"]]
        for d in duties
    ]  # fmt: skip
    console.print(people_table(title, columns, rows, wide))
