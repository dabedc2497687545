"""The signing-in book: each arrival, the window it was judged by and the mark it earned.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "arrival",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=2), nullable=False),
        sa.Column("arrived_at", sa.Time(), nullable=False),
        sa.Column("register_opens", sa.Time(), nullable=False),
        sa.Column("register_closes", sa.Time(), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("minutes_late", sa.Integer(), nullable=True),
        sa.Column("replaced_code", sa.String(length=2), nullable=True),
        sa.Column("mark_amendment_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_name", sa.String(), nullable=True),
        sa.Column("recorded_by_position", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["mark_amendment_id"], ["mark_amendment.id"]),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("arrival", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_arrival_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_arrival_school_id"), ["school_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("arrival", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrival_school_id"))
        batch_op.drop_index(batch_op.f("ix_arrival_pupil_id"))
    op.drop_table("arrival")
