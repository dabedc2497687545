"""`attendance chase-all`: one tick of every school, each school's fault its own."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

import chase.every_school as every_school
from chase.every_school import chase_every_school
from chase.models import WelfareCheck
from cli.main import app
from notifications.channels import channels_from_settings
from notifications.models import OutboxMessage
from school.clock import FixedClock
from tests.chase_helpers import MONDAY, loaded, local, set_up_morning

runner = CliRunner()
SCHOOLS = {"emmanuel-middle": 7, "kts-academy": 10}  # a chased year group of each


def _db(engine) -> list[str]:  # type: ignore[no-untyped-def]
    return ["--database", engine.url.render_as_string(hide_password=False)]


def _two_schools(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Pupils numbered apart so their UPNs differ between the schools: one absent, one present.
    for offset, (school_id, year) in enumerate(SCHOOLS.items()):
        pupils = {10 * offset + 1: {"year": year}, 10 * offset + 2: {"year": year, "present": True}}
        set_up_morning(session, school_id, tmp_path / school_id, pupils)


def test_every_school_ticked_once_and_again_idempotently(
    session: Session, engine, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    _two_schools(session, tmp_path)
    command = [*_db(engine), "chase-all", "--date", str(MONDAY), "--format", "json"]
    first = runner.invoke(app, command)
    assert first.exit_code == 0, first.output
    shown = json.loads(first.stdout)
    assert [row["school"] for row in shown["schools"]] == sorted(SCHOOLS)
    assert [row["opened"] for row in shown["schools"]] == [1, 1]
    # A past morning ticked now: its checks open with the chase starting from now.
    checks = session.scalars(select(WelfareCheck)).all()
    assert Counter(c.school_id for c in checks) == Counter(list(SCHOOLS))
    sent = session.scalars(select(OutboxMessage)).all()

    again = runner.invoke(app, command)
    assert again.exit_code == 0, again.output
    assert [row["opened"] for row in json.loads(again.stdout)["schools"]] == [0, 0]
    assert len(session.scalars(select(OutboxMessage)).all()) == len(sent)

    person = runner.invoke(app, [*_db(engine), "chase-all", "kts-academy", "--date", str(MONDAY)])
    assert person.exit_code == 0, person.output
    assert "1 school(s) ticked; opened 0" in person.stdout


def test_a_wrong_school_is_refused_and_nothing_ticked(
    session: Session, engine, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    _two_schools(session, tmp_path)
    refused = runner.invoke(
        app, [*_db(engine), "chase-all", "kts-academy", "kts-acadamy", "--date", str(MONDAY)]
    )
    assert refused.exit_code == 2  # as every command takes a wrong id
    assert "kts-acadamy" in refused.output and "Traceback" not in refused.output
    assert session.scalars(select(WelfareCheck)).all() == []


def test_a_non_school_day_is_named_and_nobody_ticked(session: Session, engine, tmp_path) -> None:
    _two_schools(session, tmp_path)
    saturday = runner.invoke(app, [*_db(engine), "chase-all", "--date", "2026-11-21"])
    assert saturday.exit_code == 0, saturday.output
    assert "0 school(s) ticked" in saturday.stdout
    assert "Not a school day for: emmanuel-middle, kts-academy" in saturday.stdout


@pytest.mark.parametrize("ahead", [0, 2])
def test_one_schools_fault_stops_no_other(
    session: Session, engine, tmp_path, monkeypatch, ahead: int
) -> None:
    """The first school's database stages fail; the second is still opened and sent, and
    the failure is reported as that school's, not raised."""
    _two_schools(session, tmp_path)
    real = every_school.advance_school

    def failing(engine, school, on, clock):  # type: ignore[no-untyped-def]
        if school.id == "emmanuel-middle":
            raise RuntimeError("the database went away")
        return real(engine, school, on, clock)

    monkeypatch.setattr(every_school, "advance_school", failing)
    schools = [loaded(engine, school_id) for school_id in SCHOOLS]
    clock = FixedClock(local(MONDAY, "10:00"))
    channels = channels_from_settings({}, tmp_path / "outbox")
    ticks = asyncio.run(chase_every_school(engine, schools, MONDAY, clock, channels, ahead=ahead))
    assert [t.school_id for t in ticks] == list(SCHOOLS)
    assert ticks[0].result is None and "the database went away" in (ticks[0].error or "")
    assert ticks[1].error is None and ticks[1].result is not None
    assert ticks[1].result.opened == 1
    checks = session.scalars(select(WelfareCheck)).all()
    assert [c.school_id for c in checks] == ["kts-academy"]
