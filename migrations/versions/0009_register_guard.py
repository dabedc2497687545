"""The register-taken guard: an alert per year group whose register was not taken.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "register_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=2), nullable=False),
        sa.Column("year_group", sa.Integer(), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        sa.Column("pupils_on_roll", sa.Integer(), nullable=False),
        sa.Column("pupils_marked", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "school_id", "date", "session", "year_group", name="uq_register_alert_session"
        ),
    )
    with op.batch_alter_table("register_alert", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_register_alert_school_id"), ["school_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("register_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_register_alert_school_id"))
    op.drop_table("register_alert")
