"""Retention (issue 13 item 7; spec §3 Retention): register entries and their amendments kept
six years (at least) from the session and its last amendment, message bodies kept the policy's
days (90 by default), safeguarding records never deleted by the command; a dry run changes
nothing, a real run is recorded."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from cases.models import RetentionRun
from cases.retention import cutoffs
from chase.models import ParentReply
from cli.main import app
from notifications.models import OutboxMessage
from school.accounts import AuditEntry
from school.models import AttendanceMark, Contact, MarkAmendment, Pupil
from school.policy_files import bundled_policy, parse_policy
from school.policy_retention import Retention
from tests.chase_helpers import set_up_morning

runner = CliRunner()
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_the_register_cut_off_is_whole_years_back_and_keeps_its_own_day() -> None:
    cut = cutoffs(Retention(), NOW)
    assert cut.register_before == date(2020, 12, 4)  # a session on 4 Dec 2020 is kept
    assert cut.messages_before == NOW - timedelta(days=90)
    leap = cutoffs(Retention(register_years=6), datetime(2028, 2, 29, 9, 0, tzinfo=UTC))
    assert leap.register_before == date(2022, 2, 28)
    assert cutoffs(Retention(message_body_days=1), NOW).messages_before == NOW - timedelta(1)


def test_the_policy_may_keep_longer_never_shorter_than_the_law() -> None:
    text = bundled_policy("micklefield").read_text(encoding="utf-8")
    longer = parse_policy(text + "\n[retention]\nregister_years = 7\nmessage_body_days = 30\n", "x")
    assert (longer.policy.retention.register_years, longer.policy.retention.message_body_days) == (
        7, 30,
    )  # fmt: skip
    assert parse_policy(text, "x").policy.retention == Retention()  # the section is optional
    for bad in ("register_years = 5", "message_body_days = 0", 'safeguarding = "5 years"'):
        with pytest.raises((ValidationError, ValueError)):
            parse_policy(text + f"\n[retention]\n{bad}\n", "x")


def _old_records(session: Session, school: str) -> dict[str, int]:
    """Registers from 2019-2021 (as if imported years ago), one amended last year; messages
    and replies from September (old) and December (recent)."""
    pupil = session.scalars(select(Pupil).where(col(Pupil.school_id) == school)).first()
    contact = session.scalars(select(Contact).where(col(Contact.pupil_id) == pupil.id)).first()  # type: ignore[union-attr]
    assert pupil is not None and pupil.id is not None and contact is not None
    marks = {}
    days = {"gone": date(2020, 12, 3), "kept": date(2020, 12, 4), "amended": date(2019, 3, 1),
            "old_amended": date(2019, 3, 4)}  # fmt: skip
    for name, day in days.items():
        mark = AttendanceMark(pupil_id=pupil.id, date=day, session="AM", code="O")
        session.add(mark)
        session.flush()
        marks[name] = mark.id
    for name, at in (("amended", datetime(2025, 6, 1, tzinfo=UTC)),
                     ("old_amended", datetime(2019, 3, 5, tzinfo=UTC))):  # fmt: skip
        session.add(MarkAmendment(mark_id=marks[name], original_code="N", amended_code="O",
                                  reason="Parent never replied", amended_at=at,
                                  amended_by_name="Ann", amended_by_position="Lead"))  # fmt: skip
    for key, created, status in (("old-sent", NOW - timedelta(days=91), "delivered"),
                                 ("old-pending", NOW - timedelta(days=91), "pending"),
                                 ("recent", NOW - timedelta(days=89), "sent")):  # fmt: skip
        session.add(OutboxMessage(idempotency_key=key, school_id=school, recipient_label="Mum",
                                  channel="sms", to="+447700900123", template="first_contact",
                                  text="Is Zoe safe?", status=status, next_attempt_at=created,
                                  created_at=created))  # fmt: skip
    for sid, received, contacts in (("old", NOW - timedelta(days=100), [contact.id]),
                                    ("unmatched", NOW - timedelta(days=100), []),
                                    ("elsewhere", NOW - timedelta(days=100), [999_999]),
                                    ("recent", NOW - timedelta(days=3), [contact.id])):  # fmt: skip
        session.add(ParentReply(message_sid=sid, from_number="+447700900123", body="She's ill",
                                received_at=received, contact_ids=contacts, check_ids=[],
                                meaning="reason_given"))  # fmt: skip
    # Sign-in records: a year and a day old (this school's, and a login tied to no school),
    # a year less a day, another school's, and an old record of a change (kept).
    for action, at, where in (("login", NOW - timedelta(days=366), None),
                              ("refused", NOW - timedelta(days=366), school),
                              ("login_failed", NOW - timedelta(days=364), None),
                              ("logout", NOW - timedelta(days=400), "another-school"),
                              ("task_outcome", NOW - timedelta(days=900), school)):  # fmt: skip
        session.add(AuditEntry(at=at, actor="Ann", action=action, school_id=where, detail={}))
    session.commit()
    return marks


@pytest.mark.parametrize(("school", "year"), [("kts-academy", 10), ("micklefield", 5)])
def test_retention_dry_run_then_run_through_the_cli(
    session: Session, engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    school: str, year: int,
) -> None:  # fmt: skip
    from school import clock as clock_module

    monkeypatch.setattr(clock_module.SystemClock, "now", lambda self: NOW)
    set_up_morning(session, school, tmp_path, {1: {"year": year}, 2: {"year": year}})
    marks = _old_records(session, school)
    db = ["--database", engine.url.render_as_string(hide_password=False)]
    expected = {"marks_deleted": 2, "amendments_deleted": 1, "message_bodies_blanked": 1,
                "reply_bodies_blanked": 2, "access_log_entries_deleted": 2,
                "safeguarding_records_deleted": 0}  # fmt: skip

    dry = runner.invoke(
        app, [*db, "retention", "--school", school, "--dry-run", "--format", "json"]
    )
    assert dry.exit_code == 0, dry.output
    shown = json.loads(dry.stdout)
    assert (shown["dry_run"], shown["counts"], shown["run"]) == (True, expected, None)
    assert shown["cutoffs"]["register_before"] == "2020-12-04"
    said = runner.invoke(app, [*db, "retention", "--school", school, "--dry-run"])
    assert said.stdout.startswith("Retention at ") and "8 records would go" in said.stdout
    session.expire_all()
    assert len(session.scalars(select(AttendanceMark.id)).all()) >= 4  # nothing changed
    assert session.scalars(select(RetentionRun)).all() == []

    done = runner.invoke(app, [*db, "retention", "--school", school, "--format", "json"])
    assert done.exit_code == 0, done.output
    ran = json.loads(done.stdout)
    assert (ran["counts"], ran["run"]["counts"]) == (expected, expected)
    session.expire_all()
    left = set(session.scalars(select(AttendanceMark.id)))
    assert (marks["gone"] in left, marks["old_amended"] in left) == (False, False)
    assert {marks["kept"], marks["amended"]} <= left
    assert [a.mark_id for a in session.scalars(select(MarkAmendment))] == [marks["amended"]]
    bodies = {m.idempotency_key: (m.text, m.to) for m in session.scalars(select(OutboxMessage))}
    assert bodies["old-sent"] == ("", "") and bodies["old-pending"][0] == "Is Zoe safe?"
    assert bodies["recent"] == ("Is Zoe safe?", "+447700900123")
    replies = {r.message_sid: (r.body, r.from_number) for r in session.scalars(select(ParentReply))}
    assert replies["old"] == replies["unmatched"] == ("", "")
    assert replies["elsewhere"][0] == replies["recent"][0] == "She's ill"
    kept = {(e.action, e.school_id) for e in session.scalars(select(AuditEntry))}
    assert kept == {("login_failed", None), ("logout", "another-school"), ("task_outcome", school)}
    run = session.scalars(select(RetentionRun)).one()
    assert (run.school_id, run.counts, run.cutoffs["register_before"]) == (
        school, expected, "2020-12-04",
    )  # fmt: skip

    again = runner.invoke(app, [*db, "retention", "--school", school])
    assert again.exit_code == 0 and "0 records went" in again.stdout
    assert len(session.scalars(select(RetentionRun)).all()) == 1  # nothing went: no record
    wrong = runner.invoke(app, [*db, "retention", "--school", "no-such-school"])
    assert wrong.exit_code == 2 and "no school" in wrong.output
