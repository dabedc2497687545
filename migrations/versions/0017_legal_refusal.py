"""Legal refusals: each notice the engine refused, with the rule that refused it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("parent", sa.String(), nullable=False),
        sa.Column("asked_by", sa.String(), nullable=False),
        sa.Column("asked_for", sa.Date(), nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("alternatives", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_refusal_school_id", "legal_refusal", ["school_id"])
    op.create_index("ix_legal_refusal_pupil_id", "legal_refusal", ["pupil_id"])


def downgrade() -> None:
    op.drop_index("ix_legal_refusal_pupil_id", table_name="legal_refusal")
    op.drop_index("ix_legal_refusal_school_id", table_name="legal_refusal")
    op.drop_table("legal_refusal")
