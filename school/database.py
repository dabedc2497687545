"""Where the engine's data lives: the database URL, engines, sessions and migrations."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from school.private_files import private_file

if TYPE_CHECKING:  # alembic costs half a second to import: only commands that migrate pay it
    from alembic.config import Config

DEFAULT_URL = "sqlite:///attendance.db"
# The newest migration in migrations/versions (a test keeps the two in step).
SCHEMA_HEAD = "0015c"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def database_url(url: str | None = None) -> str:
    """The URL to use: given, else ATTENDANCE_DATABASE_URL, else an SQLite file here."""
    chosen = url or os.environ.get("ATTENDANCE_DATABASE_URL") or DEFAULT_URL
    # psycopg 3 is the driver we ship; a bare postgresql:// URL would look for psycopg2.
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        chosen = "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def _create_private(url: str) -> None:
    """Create a new SQLite file 0600 before SQLite does (SQLite would follow the umask; its
    -wal and -shm files copy the database's mode). An existing file keeps the mode it has."""
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if not path.exists() and path.parent.is_dir():
        private_file(path)


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL; SQLite gets foreign keys and a busy timeout for a second worker."""
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        _create_private(resolved)
        engine = create_engine(resolved, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    # The engine's statements are short set-based reads: PostgreSQL's JIT spends about 1 s
    # compiling each one (a 4.5x slowdown measured by bench/statistics_postgres) and saves
    # nothing, so it is off for our connections.
    return create_engine(resolved, pool_pre_ping=True, connect_args={"options": "-c jit=off"})


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest Alembic revision."""
    from alembic import command

    config = _alembic_config()
    try:
        engine.connect().close()
    except OperationalError as exc:  # named plainly (password hidden), not a traceback
        raise _cannot_open(engine, exc) from exc
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class SchemaNotReady(LookupError):
    """The database has not been created, or was made by an older version of the engine."""


def _cannot_open(engine: Engine, exc: OperationalError) -> SchemaNotReady:
    return SchemaNotReady(f"cannot open the database {engine.url.render_as_string()}: {exc.orig}")


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database whose schema is missing or behind the code.

    Reads alembic's version table with plain SQL, so everyday commands never import alembic.
    """
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                current = None
            else:
                current = connection.execute(
                    text("SELECT version_num FROM alembic_version")
                ).scalar()
    except OperationalError as exc:
        raise _cannot_open(engine, exc) from exc
    if current is None:
        raise SchemaNotReady(
            f"the database {engine.url.render_as_string()} has not been set up: run "
            "`attendance init --school ID --policy FILE --calendar FILE` first"
        )
    if current != SCHEMA_HEAD:
        raise SchemaNotReady(
            f"the database is at schema revision {current}, this engine needs {SCHEMA_HEAD}: "
            "run `attendance init` for the school to upgrade it"
        )


def session_for(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def insert_ignoring_duplicates(
    session: Session,
    table: Any,
    rows: list[dict[str, Any]],
    unique: list[str],
    returning: Any = None,
    chunk: int = 500,
) -> list[Any]:
    """Insert rows, silently skipping any that would break the given unique key.

    This is how a second run, or a second worker, can repeat an insert without doing it twice.
    Returns the `returning` column of the rows actually inserted.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    dialect_insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted: list[Any] = []
    for start in range(0, len(rows), chunk):
        statement = dialect_insert(table).values(rows[start : start + chunk])
        statement = statement.on_conflict_do_nothing(index_elements=unique)
        if returning is not None:
            inserted += [r[0] for r in session.execute(statement.returning(returning))]
        else:
            session.execute(statement)
    return inserted


def id_of(row: Any) -> int:
    """The primary key of a row that has been flushed (SQLModel types ids as optional)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush the session first")
    return int(row.id)
