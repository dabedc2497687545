"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

# Every table the engine has, so the test holds when run on its own, not just in the suite.
import cases.models  # noqa: F401
import chase.models  # noqa: F401
import notifications.models  # noqa: F401
import school.models  # noqa: F401


def test_migrated_schema_matches_the_models(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_migration_runs_again_without_change(migrated_engine: Engine) -> None:
    from school.database import migrate, require_current_schema

    migrate(migrated_engine)
    require_current_schema(migrated_engine)


def test_schema_head_constant_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from school.database import SCHEMA_HEAD, _alembic_config

    assert ScriptDirectory.from_config(_alembic_config()).get_current_head() == SCHEMA_HEAD
