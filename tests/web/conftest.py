"""Fixtures for the webhook tests: a morning with two families texted, and a client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session

from chase.checks import advance_due_checks, open_checks
from chase.models import WelfareCheck
from chase.morning import school_morning
from chase.responses import message_failed
from notifications.outbox import drain_outbox
from school.clock import FixedClock
from school.database import id_of
from school.models import Contact
from school.register_import import RegisterFiles, import_register
from tests.register_files import pupil_row, upn, write_contacts, write_marks, write_pupils
from tests.web.webhooks_support import (
    DAD,
    GRAN,
    MONDAY,
    MUM,
    NINE,
    PREVIOUS_TOKEN,
    PUBLIC_URL,
    TOKEN,
    SentChannel,
)
from web.app import create_app
from web.settings import WebSettings


@pytest.fixture
def morning_clock() -> FixedClock:
    return FixedClock(NINE)


@pytest.fixture
def chase(
    session: Session, school: str, clock: FixedClock, morning_clock: FixedClock, tmp_path: Path
) -> dict[int, int]:
    """Two pupils absent at 09:00 with their parents texted; returns check id by pupil number.

    Pupil 1: Mum (parental responsibility, texted) and Gran (not texted at first).
    Pupil 2: Dad only.
    """
    write_pupils(tmp_path, [pupil_row(1), pupil_row(2)])
    write_contacts(
        tmp_path,
        [
            [upn(1), 1, "Mum One", "Mother", "true", MUM, ""],
            [upn(1), 2, "Gran One", "Grandmother", "false", GRAN, ""],
            [upn(2), 1, "Dad Two", "Father", "true", DAD, ""],
        ],
    )
    # The register is taken: both absent with no reason yet (N).
    write_marks(tmp_path, [[upn(n), MONDAY.isoformat(), "AM", "N", ""] for n in (1, 2)])
    import_register(session, school, RegisterFiles.in_folder(tmp_path), clock)
    morning = school_morning(session, school, MONDAY)
    assert open_checks(session, morning, morning_clock) == 2
    advance_due_checks(session, morning, morning_clock)
    channels = {"sms": SentChannel("sms"), "email": SentChannel("email")}
    asyncio.run(drain_outbox(session, channels, morning_clock, on_failure=message_failed))
    checks = {c.pupil_id: id_of(c) for c in session.scalars(select(WelfareCheck))}
    contacts = {c.mobile: c.pupil_id for c in session.scalars(select(Contact))}
    return {1: checks[contacts[MUM]], 2: checks[contacts[DAD]]}


@pytest.fixture
def client(engine: Engine, morning_clock: FixedClock) -> Iterator[TestClient]:
    settings = WebSettings(PUBLIC_URL, (TOKEN, PREVIOUS_TOKEN))
    with TestClient(create_app(engine, settings, morning_clock)) as test_client:
        yield test_client
