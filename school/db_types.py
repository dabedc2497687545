"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: stored in UTC, always read back timezone-aware.

    SQLite keeps no time zone and hands back naive datetimes, which cannot be compared with the
    aware ones the clock gives; this makes both databases return the same thing.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every instant must carry its time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_field(nullable: bool = False, index: bool = False) -> Any:
    """A SQLModel field holding an instant (required unless `nullable`)."""
    from sqlalchemy import Column
    from sqlmodel import Field

    return Field(
        default=None if nullable else ...,
        sa_column=Column(UtcDateTime(), nullable=nullable, index=index),
    )


def json_field() -> Any:
    """A SQLModel field holding JSON (lists of ids, snapshots of plans and figures)."""
    from sqlalchemy import JSON, Column
    from sqlmodel import Field

    return Field(default=None, sa_column=Column(JSON, nullable=True))
