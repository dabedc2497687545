"""What the DSL did about an alert, as rows of its own (kind, done at, by, note).

Actions recorded before this revision stay as the notes they were written as, and are shown
as such.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safeguarding_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["dsl_alert.id"]),
        sa.ForeignKeyConstraint(["check_id"], ["welfare_check.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_safeguarding_action_alert_id", "safeguarding_action", ["alert_id"])
    op.create_index("ix_safeguarding_action_check_id", "safeguarding_action", ["check_id"])


def downgrade() -> None:
    op.drop_index("ix_safeguarding_action_check_id", table_name="safeguarding_action")
    op.drop_index("ix_safeguarding_action_alert_id", table_name="safeguarding_action")
    op.drop_table("safeguarding_action")
