"""Migration 0007 keeps existing support and legal actions, read the new way."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from school.database import _alembic_config, make_engine

NOW = "2025-10-01 08:30:00"


def _run(engine, target: str, up: bool = True) -> None:
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.upgrade if up else command.downgrade)(config, target)


def test_existing_rows_survive_and_map_sensibly(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    _run(engine, "0005")
    flags = ", ".join(["0"] * 10)
    with engine.begin() as c:
        c.execute(
            text("INSERT INTO school VALUES ('s', 'S', '', 'v', '', :now, :now)").bindparams(
                now=NOW
            )
        )
        c.execute(
            text(
                "INSERT INTO pupil VALUES (1, 's', 'A123', 'Ann', 'Test', '2013-01-01', 8, "
                f"'2025-09-03', NULL, {flags})"
            )
        )
        c.execute(
            text(
                "INSERT INTO contact (id, pupil_id, priority, name, relationship, "
                "parental_responsibility, email) VALUES (7, 1, 1, 'Mary Smith', 'Mother', 1, "
                "'m@example.org'), (8, 1, 2, 'Gran Smith', 'Gran', 0, 'g@example.org')"
            )
        )
        c.execute(
            text(
                "INSERT INTO attendance_case (id, school_id, pupil_id, stage, opened_at, "
                "policy_version, version) VALUES (1, 's', 1, 'facilitate', :now, 'v', 0)"
            ).bindparams(now=NOW)
        )
        for i, status in enumerate(
            ["planned", "cancelled", "declined", "not_attended", "attended", "done"], start=1
        ):
            c.execute(
                text(
                    "INSERT INTO case_action (id, case_id, kind, title, is_support, status, "
                    "created_at, created_by, details) VALUES (:i, 1, 'meeting', 'M', 1, "
                    ":status, :now, 'Jo Bloggs, Officer', '{}')"
                ).bindparams(i=i, status=status, now=NOW)
            )
        for i, name in ((1, " mary  SMITH "), (2, "Someone Else"), (3, "Gran Smith")):
            c.execute(
                text(
                    "INSERT INTO legal_action (id, school_id, pupil_id, parent_name, kind, "
                    "state, created_at, created_by, version) VALUES (:i, 's', 1, :name, "
                    "'penalty_notice', 'penalty_requested', :now, 'Head', 0)"
                ).bindparams(i=i, name=name, now=NOW)
            )
    _run(engine, "head")
    with engine.connect() as c:
        support = c.execute(
            text("SELECT status, support_status, offered_on, offered_by FROM case_action")
        ).all()
        legal = c.execute(text("SELECT id, parent_contact_id FROM legal_action")).all()
    assert [(r[0], r[1]) for r in support] == [
        ("planned", "planned"),
        ("cancelled", "planned"),
        ("declined", "declined"),
        ("not_attended", "offered"),
        ("attended", "accepted"),
        ("done", "in_place"),
    ]
    assert [r[2] is None for r in support] == [True, True, False, False, False, False]
    assert {r[3] for r in support[2:]} == {"Jo Bloggs, Officer"}
    # Matched to the contact with parental responsibility only.
    assert [tuple(r) for r in legal] == [(1, 7), (2, None), (3, None)]
    _run(engine, "0005", up=False)
    _run(engine, "head")
    engine.dispose()
