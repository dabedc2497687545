"""Where the engine's data lives: the database URL, engines, sessions and migrations."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

DEFAULT_URL = "sqlite:///attendance.db"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def database_url(url: str | None = None) -> str:
    """The URL to use: given, else ATTENDANCE_DATABASE_URL, else an SQLite file here."""
    chosen = url or os.environ.get("ATTENDANCE_DATABASE_URL") or DEFAULT_URL
    # psycopg 3 is the driver we ship; a bare postgresql:// URL would look for psycopg2.
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        chosen = "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL; SQLite gets foreign keys and a busy timeout for a second worker."""
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        engine = create_engine(resolved, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(resolved, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_for(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
