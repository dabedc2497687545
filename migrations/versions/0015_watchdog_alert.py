"""The watchdog's alerts: one row per problem found, raised once and resolved when it clears.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watchdog_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("problem_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("told", sa.String(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["check_id"], ["welfare_check.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["outbox_message.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "problem_key", name="uq_watchdog_problem"),
    )
    op.create_index("ix_watchdog_alert_school_id", "watchdog_alert", ["school_id"])


def downgrade() -> None:
    op.drop_index("ix_watchdog_alert_school_id", table_name="watchdog_alert")
    op.drop_table("watchdog_alert")
