"""Stored letters (one row per addressee group, with their words and figures) and contacts'
postal addresses.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDRESS_COLUMNS = ("address_line1", "address_line2", "town")


def upgrade() -> None:
    # Existing contacts keep every value; they simply have no postal address yet.
    with op.batch_alter_table("contact", schema=None) as batch_op:
        for name in ADDRESS_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(), nullable=True))
        batch_op.add_column(sa.Column("postcode", sa.String(length=10), nullable=True))
    op.create_table(
        "letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("case_action_id", sa.Integer(), nullable=True),
        sa.Column("legal_action_id", sa.Integer(), nullable=True),
        sa.Column("letter", sa.String(length=120), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("letter_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("attendance_pct", sa.Float(), nullable=True),
        sa.Column("sessions_missed", sa.Integer(), nullable=False),
        sa.Column("unauthorised_sessions", sa.Integer(), nullable=False),
        sa.Column("addressee", sa.String(), nullable=False),
        sa.Column("contact_ids", sa.JSON(), nullable=True),
        sa.Column("postal_address", sa.JSON(), nullable=True),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("html", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["case_action_id"], ["case_action.id"]),
        sa.ForeignKeyConstraint(["legal_action_id"], ["legal_action.id"]),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("letter", schema=None) as batch_op:
        for column in ("school_id", "pupil_id", "case_action_id", "legal_action_id"):
            batch_op.create_index(f"ix_letter_{column}", [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("letter", schema=None) as batch_op:
        for column in ("school_id", "pupil_id", "case_action_id", "legal_action_id"):
            batch_op.drop_index(f"ix_letter_{column}")
    op.drop_table("letter")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        for name in (*ADDRESS_COLUMNS, "postcode"):
            batch_op.drop_column(name)
