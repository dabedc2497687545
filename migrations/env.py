"""Alembic environment: runs migrations on the connection the engine hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import cases.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from cases.database import make_engine

target_metadata = SQLModel.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the alembic command line: use ATTENDANCE_DATABASE_URL
    with make_engine().begin() as own:
        _run(own)
