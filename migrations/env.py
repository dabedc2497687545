"""Alembic environment: runs migrations on the connection the engine hands over."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import school.accounts
import school.models  # noqa: F401
from school.database import make_engine
from school.db_types import UtcDateTime

target_metadata = SQLModel.metadata


def _render_item(kind: str, obj: Any, _context: Any) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy ones, so migrations need nothing of ours."""
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
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
