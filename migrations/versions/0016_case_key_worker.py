"""A case's key worker: the member of staff who holds it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attendance_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_worker", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attendance_case", schema=None) as batch_op:
        batch_op.drop_column("key_worker")
