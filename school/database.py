"""Where the engine's data lives: the database URL, engines, sessions and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

# Both kept importable from here too: they live apart so the quick statistics path reads them
# without loading SQLAlchemy.
from school.database_url import database_url as database_url
from school.private_files import private_file
from school.schema_head import SCHEMA_HEAD as SCHEMA_HEAD

if TYPE_CHECKING:  # alembic costs half a second to import: only commands that migrate pay it
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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
    # nothing, so it is off for our connections. Every plan is made for its own parameters:
    # one table holds every school of an LA, and after psycopg prepares a statement (its
    # fifth run) PostgreSQL may switch to a generic plan blind to which school is asked;
    # the chase's "who is unexplained" read went from 6 ms to 360 ms a school that way
    # (bench.chase_morning). Planning them costs about a millisecond.
    options = "-c jit=off -c plan_cache_mode=force_custom_plan"
    return create_engine(resolved, pool_pre_ping=True, connect_args={"options": options})


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
    session: Session, table: Any, rows: list[dict[str, Any]], unique: list[str]
) -> int:
    """Insert rows, silently skipping any that would break the given unique key; returns how
    many were new.

    This is how a second run, or a second worker, can repeat an insert without doing it twice.
    The rows go as one executemany of a one-row statement: psycopg pipelines it, prepared
    once, where a multi-row INSERT is a new statement for psycopg to parse at every size
    (1,000 outbox rows: 25 ms against 60-85 ms of CPU, and a quarter of the wall time).
    """
    if not rows:
        return 0
    statement = _skipping_duplicates(session, table, unique)
    # The count is read before SQLAlchemy closes the cursor, which forgets it.
    inserted = session.execute(statement.execution_options(preserve_rowcount=True), rows)
    return int(inserted.rowcount)  # type: ignore[attr-defined]


def insert_ignoring_duplicates_returning(
    session: Session, table: Any, rows: list[dict[str, Any]], unique: list[str], returning: Any
) -> list[Any]:
    """As insert_ignoring_duplicates, returning the `returning` column of the rows actually
    inserted (in no particular order). These go as multi-row INSERTs of a statement compiled
    once and cached (SQLAlchemy's insertmanyvalues): building one VALUES clause per call cost
    25 ms of compiling."""
    if not rows:
        return []
    statement = _skipping_duplicates(session, table, unique)
    return [r[0] for r in session.execute(statement.returning(returning), rows)]


def _skipping_duplicates(session: Session, table: Any, unique: list[str]) -> Any:
    dialect = session.get_bind().dialect.name
    dialect_insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=unique)


def id_of(row: Any) -> int:
    """The primary key of a row that has been flushed (SQLModel types ids as optional)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush the session first")
    return int(row.id)
