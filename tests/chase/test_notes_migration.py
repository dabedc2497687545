"""Revision 0008 keeps every note: the old note columns become rows and come back on downgrade."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

from chase.models import DslAlert, Note, StaffTask
from chase.notes import add_note
from chase.responses import acknowledge_alert, record_task_outcome
from chase.service import chase_tick
from school.clock import FixedClock
from school.database import _alembic_config
from tests.chase_helpers import MONDAY, channels, loaded, local, set_up_morning
from tests.conftest import fresh_migrated_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own: this test moves the schema down and up again."""
    yield from fresh_migrated_engine(request.param, tmp_path)


def _move(engine: Engine, how: str, to: str) -> None:
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, how)(config, to)


def test_notes_survive_a_downgrade_and_an_upgrade(  # with alerts the outbox points at
    own_engine: Engine, tmp_path: Path
) -> None:
    with Session(own_engine, expire_on_commit=False) as session:
        set_up_morning(session, "kts-academy", tmp_path / "register", {1: {"year": 10}})
    clock = FixedClock(local(MONDAY, "10:31"))
    asyncio.run(
        chase_tick(own_engine, loaded(own_engine, "kts-academy"), MONDAY, clock, channels())
    )
    with Session(own_engine, expire_on_commit=False) as session:
        task = session.scalars(select(StaffTask).where(col(StaffTask.kind) == "call")).first()
        alert = session.scalars(select(DslAlert)).one()
        assert task is not None and alert.policy_version
        record_task_outcome(session, task.id, "no_answer", "Jo, Office", clock, note="rang")  # type: ignore[arg-type]
        record_task_outcome(session, task.id, "wrong_number", "Ann, Office", clock, note="wrong")  # type: ignore[arg-type]
        acknowledge_alert(session, alert.id, "Sam, DSL", "police told", clock)  # type: ignore[arg-type]
        add_note(session, alert.check_id, "Sam, DSL", clock.now(), "later")  # a check's own note
        session.commit()

    _move(own_engine, "downgrade", "0007")
    with own_engine.connect() as conn:
        assert conn.execute(text(f"SELECT note FROM staff_task WHERE id = {task.id}")).scalar() == (
            "wrong"  # the latest of the history
        )
        assert conn.execute(text("SELECT note FROM dsl_alert")).scalar() == "police told"

    _move(own_engine, "upgrade", "head")
    with Session(own_engine) as session:
        notes = session.scalars(select(Note).order_by(col(Note.id))).all()
        about_task = [(n.recorded_by, n.outcome, n.text) for n in notes if n.task_id == task.id]
        assert about_task == [("Ann, Office", "wrong_number", "wrong")]
        acknowledged = [n for n in notes if n.alert_id == alert.id]
        assert [(n.recorded_by, n.outcome, n.text) for n in acknowledged] == [
            ("Sam, DSL", "acknowledged", "police told")
        ]
        assert session.scalars(select(DslAlert)).one().policy_version == alert.policy_version
