"""Legal action events keep what was decided with them: an NTI outcome's figures over the
improvement period, the education supervision order considered before prosecuting.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("legal_action_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("legal_action_event", schema=None) as batch_op:
        batch_op.drop_column("details")
