"""Legal actions and the legal decisions due, for people (80 columns) and for scripts (JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session

from cases.legal.agenda import LegalDue
from cases.legal.register import LegalEntry
from cases.models import LegalAction, LegalActionEvent, LegalRefusal
from cli.common import console
from cli.output import Column, people_table
from school.database import id_of
from school.models import Pupil


def due_json(items: Sequence[LegalDue]) -> list[dict[str, Any]]:
    return [d.as_json() for d in items]


def print_due(items: Sequence[dict[str, Any]], wide: bool) -> None:
    """The legal decisions waiting for a person: since when, whose, what, who decides."""
    if not items:
        return
    columns = [
        Column("Since"), Column("UPN", essential=False), Column("Pupil"),
        Column("Decision due"), Column("Decides", essential=False),
    ]  # fmt: skip
    rows = [[f"{d['since']:%-d %b}", d["upn"], d["pupil"], d["what"], d["decides"]] for d in items]
    console.print(people_table(f"Legal decisions due: {len(items)}", columns, rows, wide))


def print_provisional(notes: Sequence[dict[str, Any]]) -> None:
    for note in notes:
        console.print(f"  {note['pupil']} ({note['upn']}): {note['text']}", markup=False)


def action_json(row: LegalAction, events: Sequence[LegalActionEvent] = ()) -> dict[str, Any]:
    """One legal action as scripts see it (docs/cli-json.md)."""
    return {
        "id": row.id,
        "kind": row.kind,
        "state": row.state,
        "pupil_id": row.pupil_id,
        "parent": {
            "name": row.parent_name,
            "contact_id": row.parent_contact_id,
            "carer_id": row.parent_carer_id,
        },
        "sequence": row.sequence,
        "issued_on": row.issued_on,
        "received_on": row.received_on,
        "improvement_period_end": row.improvement_period_end,
        "amount_if_paid_early": row.amount_if_paid_early,
        "amount": row.amount,
        "paid_on": row.paid_on,
        "amount_paid": row.amount_paid,
        "withdrawn_on": row.withdrawn_on,
        "threshold_first_met_on": row.threshold_first_met_on,
        "offence_summary": row.offence_summary,
        "events": [
            {
                "at": e.at,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "trigger": e.trigger,
                "actor": e.actor,
                "reason": e.reason,
                "details": e.details,
            }
            for e in events
        ],
    }


def print_action(headline: str, row: LegalAction, events: Sequence[LegalActionEvent]) -> None:
    """The summary line first, then the action's key facts and its latest event."""
    console.print(headline, markup=False)
    facts = [f"{row.kind.replace('_', ' ')} #{row.id} to {row.parent_name}: {row.state}"]
    if row.issued_on:
        facts.append(f"issued {row.issued_on}")
    if row.received_on:
        facts.append(f"received {row.received_on}")
    if row.improvement_period_end:
        facts.append(f"improvement period to {row.improvement_period_end}")
    console.print("  " + "; ".join(facts), markup=False)
    if events:
        console.print(f"  {events[-1].trigger}: {events[-1].reason}", markup=False)


def legal_shown(session: Session, pupil: Pupil, on: date) -> dict[str, list[Any]]:
    """A pupil's legal decisions due and provisional threshold, for `case show` (table and JSON)."""
    from cases.legal.agenda import legal_decisions_due
    from cases.legal.threshold import threshold_periods
    from school.schools import load_school

    school = load_school(session, pupil.school_id)
    due = legal_decisions_due(session, school, on, id_of(pupil))
    period = threshold_periods(session, school, [id_of(pupil)], on).get(id_of(pupil))
    note = period.provisional() if period is not None else None
    return {
        "legal_decisions_due": [d.as_json() for d in due],
        "provisional": [note] if note else [],
    }


def legal_lines(shown: dict[str, Any]) -> list[str]:
    """The lines `case show` prints for what `legal_shown` found."""
    return [
        f"LEGAL DECISION DUE since {d['since']} (for {d['decides']}): {d['what']}"
        for d in shown["legal_decisions_due"]
    ] + list(shown["provisional"])


def entry_json(entry: LegalEntry) -> dict[str, Any]:
    """A legal action as `legal list` gives it: the action, whose, and its next date."""
    return {
        **action_json(entry.action, entry.events),
        "upn": entry.pupil.upn,
        "pupil": f"{entry.pupil.given_name} {entry.pupil.family_name}",
        "next_step": entry.next_step or None,
        "next_on": entry.next_on,
    }


def refusal_json(row: LegalRefusal, pupil: Pupil) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "upn": pupil.upn,
        "pupil": f"{pupil.given_name} {pupil.family_name}",
        "parent": row.parent,
        "asked_by": row.asked_by,
        "asked_for": row.asked_for,
        "refused_at": row.refused_at,
        "reason": row.reason,
        "alternatives": row.alternatives,
    }


def print_register(
    actions: Sequence[dict[str, Any]], refusals: Sequence[dict[str, Any]], wide: bool
) -> None:
    """The actions (whose, what, state, next date), then each refusal with its rule."""
    if actions:
        columns = [
            Column("#", justify="right"), Column("UPN", essential=False), Column("Pupil"),
            Column("Notice"), Column("Parent", essential=False), Column("State"), Column("Next"),
        ]  # fmt: skip
        rows = [
            [str(a["id"]), a["upn"], a["pupil"], a["kind"].replace("_", " "), a["parent"]["name"],
             a["state"].replace("_", " "),
             f"{a['next_step']} {a['next_on'] or ''}".strip() if a["next_step"] else "finished"]
            for a in actions
        ]  # fmt: skip
        console.print(people_table(f"Legal actions: {len(actions)}", columns, rows, wide))
    for r in refusals:
        console.print(
            f"Refused {r['kind'].replace('_', ' ')} to {r['parent']} for {r['pupil']} "
            f"({r['asked_for']}, asked by {r['asked_by']}): {r['reason']}",
            markup=False,
            highlight=False,
        )
