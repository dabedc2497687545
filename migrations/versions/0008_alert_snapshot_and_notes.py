"""DSL alerts keep their policy version; notes on tasks and alerts become rows, never overwritten.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each task outcome and each alert acknowledgement already recorded becomes the first row of
# its history, with the person and the time it was recorded (the check's closing time for the
# engine's "not needed" notes on tasks it closed).
_TASK_NOTES = """
INSERT INTO note (check_id, task_id, alert_id, recorded_at, recorded_by, outcome, text)
SELECT t.check_id, t.id, NULL,
       COALESCE(t.recorded_at, w.closed_at, t.created_at),
       COALESCE(t.recorded_by, 'engine'), t.outcome, COALESCE(t.note, '')
FROM staff_task t JOIN welfare_check w ON w.id = t.check_id
WHERE t.note IS NOT NULL OR t.outcome IS NOT NULL
ORDER BY t.id
"""
_ALERT_NOTES = """
INSERT INTO note (check_id, task_id, alert_id, recorded_at, recorded_by, outcome, text)
SELECT a.check_id, NULL, a.id, COALESCE(a.acknowledged_at, a.raised_at),
       COALESCE(a.acknowledged_by, 'staff'),
       CASE WHEN a.acknowledged_at IS NULL THEN NULL ELSE 'acknowledged' END,
       COALESCE(a.note, '')
FROM dsl_alert a
WHERE a.note IS NOT NULL OR a.acknowledged_at IS NOT NULL
ORDER BY a.id
"""


def upgrade() -> None:
    op.create_table(
        "note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["dsl_alert.id"]),
        sa.ForeignKeyConstraint(["check_id"], ["welfare_check.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["staff_task.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_note_alert_id"), "note", ["alert_id"], unique=False)
    op.create_index(op.f("ix_note_check_id"), "note", ["check_id"], unique=False)
    op.create_index(op.f("ix_note_task_id"), "note", ["task_id"], unique=False)
    op.execute(_TASK_NOTES)
    op.execute(_ALERT_NOTES)

    # Plain ALTERs, no batch: SQLite would rebuild dsl_alert, whose rows the outbox and the
    # notes point at, and its foreign keys refuse that. An alert raised before this revision
    # was raised under its check's policy.
    op.add_column(
        "dsl_alert",
        sa.Column("policy_version", sa.String(length=64), nullable=False, server_default=""),
    )
    op.execute(
        "UPDATE dsl_alert SET policy_version = "
        "(SELECT w.policy_version FROM welfare_check w WHERE w.id = dsl_alert.check_id)"
    )
    if op.get_bind().dialect.name != "sqlite":  # SQLite cannot drop a default in place
        op.alter_column("dsl_alert", "policy_version", server_default=None)
    op.drop_column("dsl_alert", "note")
    op.drop_column("staff_task", "note")


def downgrade() -> None:
    # The old columns held one note each: they get back the latest of each history.
    op.add_column("staff_task", sa.Column("note", sa.String(), nullable=True))
    op.add_column("dsl_alert", sa.Column("note", sa.String(), nullable=True))
    for table, key in (("staff_task", "task_id"), ("dsl_alert", "alert_id")):
        op.execute(
            f"UPDATE {table} SET note = (SELECT n.text FROM note n WHERE n.{key} = {table}.id "
            f"AND n.text <> '' ORDER BY n.id DESC LIMIT 1)"
        )
    op.drop_index(op.f("ix_note_task_id"), table_name="note")
    op.drop_index(op.f("ix_note_check_id"), table_name="note")
    op.drop_index(op.f("ix_note_alert_id"), table_name="note")
    op.drop_table("note")
    op.drop_column("dsl_alert", "policy_version")
