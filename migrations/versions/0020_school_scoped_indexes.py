"""Indexes for a school's own outbox rows and its checks of one session.

Each school's tick asks for its ready, sending and lost outbox rows and its open checks of the
session; with only authority-wide indexes, each of those read every school's rows (and the
dead entries a morning's updates leave behind), so a 200-school morning spent seconds there.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_school", "outbox_message", ["school_id", "status", "next_attempt_at"]
    )
    op.create_index("ix_check_school_session", "welfare_check", ["school_id", "date", "session"])


def downgrade() -> None:
    op.drop_index("ix_check_school_session", table_name="welfare_check")
    op.drop_index("ix_outbox_school", table_name="outbox_message")
