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


# Plain ALTER TABLE, not a batch rebuild: SQLite (3.35+) adds and drops a column in place, and
# rebuilding attendance_case would drop a table other tables' rows refer to.
def upgrade() -> None:
    op.add_column("attendance_case", sa.Column("key_worker", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("attendance_case", "key_worker")
