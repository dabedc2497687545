"""Dispatch scenario: a child first seen in the afternoon has been seen, so the morning's
welfare check ends there (KCSIE: the check is about the child's safety, not the AM mark).
Through `attendance` in simulated time on Monday 23 November 2026, for two seed schools."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from chase.models import DslAlert, WelfareCheck, WelfareCheckEvent
from notifications.models import OutboxMessage
from school.models import AttendanceMark
from school.policy_files import bundled_policy, load_policy
from tests.chase_helpers import MONDAY, set_up_morning
from tests.register_files import upn
from tests.scenarios.test_registration_arrivals import OFFICE, Clock, cli, count, hhmm


@pytest.mark.parametrize("seed,year", [("emmanuel-middle", 7), ("basildon-lower", 9)])
def test_a_pupil_chased_all_morning_who_signs_in_at_1320_is_seen_safe(
    session: Session,
    engine: Engine,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    seed: str,
    year: int,
) -> None:
    """Monday 23 Nov 2026. The AM register is taken with the pupil N. A minute after the close
    the chase opens a welfare check and takes its first step. The pupil signs in at the office
    at 13:20, in the afternoon session. The next tick closes the morning check as seen (the
    morning's N stays for the office to explain: being seen later is not a morning mark), and
    no further message is sent and the DSL is never alerted, however late the ticks run."""
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    close = datetime.combine(MONDAY, load_policy(bundled_policy(seed)).policy.register_window(
        year, "AM").closes)  # fmt: skip
    set_up_morning(session, seed, tmp_path, {1: {"year": year}})
    clock = Clock(monkeypatch)
    tick = ("chase", "--school", seed, "--date", str(MONDAY), "--once")

    clock.set(hhmm(close, 1))
    opened = cli(engine, *tick)
    assert opened.exit_code == 0, opened.output
    assert "opened 1" in opened.stdout
    sent_before = count(session, OutboxMessage)

    clock.set("13:21")
    signed_in = cli(engine, "arrive", upn(1), "--school", seed, "--at", "13:20", *OFFICE)
    assert signed_in.exit_code == 0, signed_in.output
    session.expire_all()
    marks = {m.session: m.code for m in session.scalars(select(AttendanceMark))}
    assert marks["AM"] == "N" and marks["PM"] in ("L", "U", "/", "\\")

    closed = cli(engine, *tick)
    assert closed.exit_code == 0, closed.output
    assert "closed 1" in closed.stdout
    session.expire_all()
    check = session.scalars(select(WelfareCheck)).one()
    assert check.state == "explained"
    assert check.suggested_code is None  # seen: nothing suggested for the morning's mark
    reasons = [e.reason or "" for e in session.scalars(select(WelfareCheckEvent))]
    assert any(r.startswith("seen in the afternoon") for r in reasons), reasons

    for later in ("13:30", "14:30", "15:30"):
        clock.set(later)
        assert cli(engine, *tick).exit_code == 0
    session.expire_all()
    assert count(session, DslAlert) == 0
    assert count(session, OutboxMessage) == sent_before
