"""Carers on file for legal notices, the person a notice names, and support's own status.

Existing rows:
- legal_action: `parent_contact_id` is filled where the stored parent name is, word for word
  (case and spacing aside), the name of one of the pupil's contacts with parental
  responsibility; other rows keep their name alone, which the limits still match.
- case_action (support only): `support_status` is read from the old `status`. Planned or
  cancelled support was never offered, so it stays "planned" (it no longer satisfies the
  law's checks: the point of the change). A declined offer stays "declined"; a meeting not
  attended was offered ("offered"); one attended was taken up ("accepted"); support done is
  "in_place". `offered_on` and `offered_by` are the day and person that recorded it: the best
  record there is of when it was offered.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FROM_STATUS = {
    "planned": "planned",
    "cancelled": "planned",
    "declined": "declined",
    "not_attended": "offered",
    "attended": "accepted",
    "done": "in_place",
}


def upgrade() -> None:
    op.create_table(
        "pupil_carer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pupil_carer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pupil_carer_pupil_id"), ["pupil_id"], unique=False)
    with op.batch_alter_table("legal_action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_carer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_legal_action_parent_carer_id", "pupil_carer", ["parent_carer_id"], ["id"]
        )
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("support_status", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("offered_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("offered_by", sa.String(), nullable=True))
    _migrate_rows()


def _migrate_rows() -> None:
    conn = op.get_bind()
    actions = sa.table(
        "case_action",
        sa.column("id", sa.Integer),
        sa.column("is_support", sa.Boolean),
        sa.column("status", sa.String),
        sa.column("support_status", sa.String),
        sa.column("offered_on", sa.Date),
        sa.column("offered_by", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("created_by", sa.String),
    )
    rows = conn.execute(
        sa.select(actions.c.id, actions.c.status, actions.c.created_at, actions.c.created_by).where(
            actions.c.is_support.is_(True)
        )
    ).all()
    for row in rows:
        status = _FROM_STATUS.get(row.status, "planned")
        offered = status != "planned"
        conn.execute(
            sa.update(actions)
            .where(actions.c.id == row.id)
            .values(
                support_status=status,
                offered_on=_school_day(row.created_at) if offered else None,
                offered_by=row.created_by if offered else None,
            )
        )
    legal = sa.table(
        "legal_action",
        sa.column("id", sa.Integer),
        sa.column("pupil_id", sa.Integer),
        sa.column("parent_name", sa.String),
        sa.column("parent_contact_id", sa.Integer),
    )
    contacts = sa.table(
        "contact",
        sa.column("id", sa.Integer),
        sa.column("pupil_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("parental_responsibility", sa.Boolean),
    )
    for row in conn.execute(
        sa.select(legal.c.id, legal.c.pupil_id, legal.c.parent_name).where(
            legal.c.parent_contact_id.is_(None)
        )
    ).all():
        found = [
            c.id
            for c in conn.execute(
                sa.select(contacts.c.id, contacts.c.name).where(
                    contacts.c.pupil_id == row.pupil_id,
                    contacts.c.parental_responsibility.is_(True),
                )
            )
            if _same(c.name, row.parent_name)
        ]
        if len(found) == 1:
            conn.execute(
                sa.update(legal).where(legal.c.id == row.id).values(parent_contact_id=found[0])
            )


def _school_day(at: datetime | None) -> date | None:
    # Stored in UTC (SQLite drops the zone); the day it was recorded is the school's day.
    if at is None:
        return None
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return aware.astimezone(ZoneInfo("Europe/London")).date()


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def downgrade() -> None:
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.drop_column("offered_by")
        batch_op.drop_column("offered_on")
        batch_op.drop_column("support_status")
    with op.batch_alter_table("legal_action", schema=None) as batch_op:
        batch_op.drop_constraint("fk_legal_action_parent_carer_id", type_="foreignkey")
        batch_op.drop_column("parent_carer_id")
    with op.batch_alter_table("pupil_carer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pupil_carer_pupil_id"))
    op.drop_table("pupil_carer")
