"""Shared fixtures: each database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, delete, text
from sqlmodel import Session, SQLModel

# Every table's model, so the fixture below empties them all whichever test file runs alone
# (a table missing from the metadata fails its foreign keys' lookup there).
import cases.models  # noqa: F401
import chase.models  # noqa: F401
import notifications.models  # noqa: F401
import school.accounts
import school.models
from school.clock import FixedClock
from school.database import make_engine, migrate
from school.policy_files import bundled_policy, load_policy
from school.schools import set_up_school

pytest_plugins = ["tests.fakes.fixtures"]  # twilio_fake, smtp_server

# CI runs the property tests on a fixed sequence of examples, so a landing is reproducible;
# local runs keep exploring new ones (and have found real bugs that way).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

POSTGRES_URL = os.environ.get(
    "ATTENDANCE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CALENDAR = (
    Path(__file__).resolve().parent.parent / "policies" / "calendars" / "england-2025-27.toml"
)
NOW = datetime(2026, 7, 22, 12, 0, tzinfo=UTC)


def _postgres_database() -> Iterator[str]:
    """A private database for this test run, so parallel runs and CI never share rows."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"attendance_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but PostgreSQL at {POSTGRES_URL} is not usable: {exc}")
        pytest.skip(
            f"PostgreSQL not reachable at {POSTGRES_URL} ({type(exc).__name__}); "
            "set CI=true to make this a failure"
        )
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_migrated_engine(kind: str, folder: Path) -> Iterator[Engine]:
    """A new database of the kind asked for (an SQLite file in `folder`), migrated to head."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{folder / 'test.db'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    databases = _postgres_database()
    url = next(databases)
    engine = make_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()
    next(databases, None)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    yield from fresh_migrated_engine(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    """A migrated database, emptied before each test."""
    with migrated_engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(delete(table))
    yield migrated_engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def school(session: Session, clock: FixedClock) -> str:
    """Emmanuel Middle on the bundled two-year calendar."""
    set_up_school(
        session,
        "emmanuel-middle",
        load_policy(bundled_policy("emmanuel-middle")),
        CALENDAR.read_text(),
        str(CALENDAR),
        clock,
    )
    session.commit()
    return "emmanuel-middle"
