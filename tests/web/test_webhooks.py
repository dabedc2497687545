"""Twilio's webhooks: signatures on the public URL, replies to families, delivery reports."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select
from sqlmodel import col
from twilio.request_validator import RequestValidator

from chase.models import DslAlert, WelfareCheckEvent
from notifications.models import OutboxMessage
from school.clock import FixedClock
from school.database import SchemaNotReady
from web.app import app_from_environment, create_app
from web.settings import SettingsProblem, WebSettings
from web.twilio_webhooks import EMPTY_TWIML, SMS_PATH, STATUS_PATH

if TYPE_CHECKING:
    pass

from tests.web.webhooks_support import (
    DAD,
    GRAN,
    MUM,
    NINE,
    PREVIOUS_TOKEN,
    PUBLIC_URL,
    STRANGER,
    TOKEN,
    check_of,
    fresh,
    parent_sms,
    replies,
    signed,
    sms,
    snapshot,
    status,
)

# --- signatures ----------------------------------------------------------------------------


def test_valid_signature_explains_the_familys_check_with_a_suggested_code(
    client: TestClient, engine: Engine, chase: dict[int, int], caplog: pytest.LogCaptureFixture
) -> None:
    assert check_of(engine, chase[1]).state == "calling_others"
    caplog.set_level(logging.INFO, logger="web")

    response = signed(client, SMS_PATH, sms("SM-temp", MUM, "He's got a temperature"))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == EMPTY_TWIML  # nothing is ever texted back to the parent
    [reply] = replies(engine)
    assert (reply.message_sid, reply.from_number, reply.body) == (
        "SM-temp",
        MUM,
        "He's got a temperature",
    )
    assert (reply.meaning, reply.suggested_code, reply.check_ids) == (
        "reason_given",
        "I",
        [chase[1]],
    )
    check = check_of(engine, chase[1])
    assert (check.state, check.suggested_code) == ("explained", "I")
    assert check_of(engine, chase[2]).state == "calling_others"  # another family's check
    # The log names the message and its outcome, never the parent's number or words.
    assert "SM-temp" in caplog.text
    assert MUM not in caplog.text and "temperature" not in caplog.text


def test_a_reply_saying_the_child_left_for_school_alerts_the_dsl_at_once(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    response = signed(client, SMS_PATH, sms("SM-left", MUM, "she left for school at 8"))

    assert response.status_code == 200
    [reply] = replies(engine)
    assert reply.meaning == "parent_unaware"
    assert check_of(engine, chase[1]).state == "dsl_alerted"
    with fresh(engine) as s:
        [alert] = s.scalars(select(DslAlert)).all()
    assert alert.check_id == chase[1]
    assert alert.raised_at == NINE  # at once, not at the 10:00 deadline
    assert "did not know" in alert.reason


def test_wrong_signature_is_refused_and_changes_nothing(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    before = snapshot(engine)
    params = sms("SM-forged", MUM, "He's got a temperature")

    wrong_token = signed(client, SMS_PATH, params, token="not-the-token")
    garbage = signed(client, SMS_PATH, params, signature="bm90IGEgc2lnbmF0dXJl")
    # Signed for other words than those posted: a tampered body.
    tampered = client.post(
        SMS_PATH,
        data={**params, "Body": "she left for school at 8"},
        headers={
            "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(
                PUBLIC_URL + SMS_PATH, params
            )
        },
    )

    for response in (wrong_token, garbage, tampered):
        assert response.status_code == 403
        assert response.content == b""  # no detail to help a forger
    assert snapshot(engine) == before
    assert replies(engine) == []


def test_missing_signature_is_refused(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    before = snapshot(engine)
    sms_response = client.post(SMS_PATH, data=sms("SM-unsigned", MUM, "He's ill"))
    sid = parent_sms(engine, MUM).provider_id
    assert sid is not None
    status_response = client.post(STATUS_PATH, data=status(sid, "undelivered", "30003"))
    empty = signed(client, SMS_PATH, sms("SM-empty", MUM, "He's ill"), signature="")

    assert [r.status_code for r in (sms_response, status_response, empty)] == [403, 403, 403]
    assert snapshot(engine) == before


def test_the_previous_token_is_accepted_during_rotation(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    response = signed(client, SMS_PATH, sms("SM-old", MUM, "He is poorly"), token=PREVIOUS_TOKEN)

    assert response.status_code == 200
    assert check_of(engine, chase[1]).state == "explained"


def test_a_signature_on_the_internal_url_is_refused(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    """Behind a proxy the request arrives at http://internal/...; Twilio signed the public URL."""
    before = snapshot(engine)
    params = sms("SM-internal", MUM, "He's got a temperature")

    response = signed(client, SMS_PATH, params, signed_url="http://testserver" + SMS_PATH)

    assert response.status_code == 403
    assert snapshot(engine) == before


def test_a_query_string_twilio_was_given_is_part_of_the_signed_url(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    params = sms("SM-query", MUM, "He's got a temperature")
    path = SMS_PATH + "?school=emmanuel-middle"
    url = PUBLIC_URL + path
    headers = {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, params)}
    without_query = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + SMS_PATH, params)

    refused = client.post(path, data=params, headers={"X-Twilio-Signature": without_query})
    accepted = client.post(path, data=params, headers=headers)

    assert (refused.status_code, accepted.status_code) == (403, 200)
    assert check_of(engine, chase[1]).state == "explained"


def test_signatures_are_checked_before_the_database_is_touched(
    morning_clock: FixedClock, tmp_path: Path
) -> None:
    """With a database that cannot even be opened, an unsigned request is still a clean 403."""
    unusable = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
    app = create_app(unusable, WebSettings(PUBLIC_URL, (TOKEN,)), morning_clock)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        assert test_client.post(SMS_PATH, data=sms("SM-x", MUM, "hi")).status_code == 403
        assert (
            signed(test_client, STATUS_PATH, status("SM-x", "failed"), token="wrong").status_code
            == 403
        )
        # A properly signed one does reach the database, which fails: proof the test is real.
        assert signed(test_client, SMS_PATH, sms("SM-x", MUM, "hi")).status_code == 500


# --- replies -------------------------------------------------------------------------------


def test_unknown_number_is_recorded_but_matched_to_nothing(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    before = snapshot(engine)

    response = signed(client, SMS_PATH, sms("SM-stranger", STRANGER, "He's got a temperature"))

    assert response.status_code == 200
    assert response.text == EMPTY_TWIML
    [reply] = replies(engine)
    assert (reply.from_number, reply.meaning, reply.suggested_code) == (STRANGER, "unmatched", None)
    assert (reply.contact_ids, reply.check_ids) == ([], [])
    after = snapshot(engine)
    assert after["checks"] == before["checks"]
    assert after["events"] == before["events"]
    assert after["alerts"] == before["alerts"] == 0


def test_the_same_message_sid_twice_changes_nothing_the_second_time(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    first = signed(client, SMS_PATH, sms("SM-twice", MUM, "He's got a temperature"))
    after_first = snapshot(engine)
    # Twilio's retry carries the same MessageSid; whatever it says, it was handled already.
    second = signed(client, SMS_PATH, sms("SM-twice", MUM, "she left for school at 8"))

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.text == EMPTY_TWIML
    assert snapshot(engine) == after_first
    [reply] = replies(engine)
    assert reply.meaning == "reason_given"
    assert after_first["alerts"] == 0


def test_a_signed_request_without_a_message_sid_is_a_bad_request(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    before = snapshot(engine)
    response = signed(client, SMS_PATH, {"From": MUM, "Body": "He's ill"})

    assert response.status_code == 400
    assert snapshot(engine) == before


# --- delivery reports ----------------------------------------------------------------------


def test_undelivered_text_moves_on_to_the_next_contact_at_once(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    to_mum = parent_sms(engine, MUM)
    assert to_mum.status == "sent" and to_mum.provider_id is not None
    with fresh(engine) as s:
        assert s.scalars(select(OutboxMessage).where(col(OutboxMessage.to) == GRAN)).all() == []

    response = signed(client, STATUS_PATH, status(to_mum.provider_id, "undelivered", "30003"))

    assert response.status_code == 204
    assert response.content == b""
    failed = parent_sms(engine, MUM)
    assert (failed.status, failed.last_error) == ("failed", "twilio status undelivered 30003")
    to_gran = parent_sms(engine, GRAN)
    assert (to_gran.status, to_gran.check_id, to_gran.template) == (
        "pending",
        chase[1],
        "unexplained_absence",
    )
    with fresh(engine) as s:
        events = s.scalars(
            select(WelfareCheckEvent).where(
                col(WelfareCheckEvent.check_id) == chase[1],
                col(WelfareCheckEvent.trigger) == "note",
            )
        )
        notes = [e.reason for e in events]
    assert any("trying grandmother" in n.lower() for n in notes), notes


def test_failed_text_with_nobody_else_to_try_brings_the_next_step_forward(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    assert check_of(engine, chase[2]).next_due_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    sid = parent_sms(engine, DAD).provider_id
    assert sid is not None

    response = signed(client, STATUS_PATH, status(sid, "failed", "30006"))

    assert response.status_code == 204
    assert parent_sms(engine, DAD).status == "failed"
    assert check_of(engine, chase[2]).next_due_at == NINE


def test_delivered_status_is_recorded(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    sid = parent_sms(engine, DAD).provider_id
    assert sid is not None

    response = signed(client, STATUS_PATH, status(sid, "delivered"))

    assert response.status_code == 204
    assert parent_sms(engine, DAD).status == "delivered"
    assert check_of(engine, chase[2]).next_due_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_status_for_an_unknown_message_changes_nothing(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    before = snapshot(engine)
    response = signed(client, STATUS_PATH, status("SM" + "f" * 32, "undelivered", "30003"))

    assert response.status_code == 204
    assert snapshot(engine) == before


def test_wrong_signature_on_a_status_callback_changes_nothing(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    before = snapshot(engine)
    sid = parent_sms(engine, MUM).provider_id
    assert sid is not None

    response = signed(client, STATUS_PATH, status(sid, "undelivered", "30003"), token="wrong")

    assert response.status_code == 403
    assert snapshot(engine) == before


# --- settings ------------------------------------------------------------------------------


def test_settings_from_the_environment() -> None:
    settings = WebSettings.from_environment(
        {
            "ATTENDANCE_PUBLIC_URL": "https://attendance.example.org/",
            "TWILIO_AUTH_TOKEN": "a",
            "TWILIO_AUTH_TOKEN_PREVIOUS": "b",
        }
    )
    assert settings == WebSettings("https://attendance.example.org", ("a", "b"))
    alone = WebSettings.from_environment(
        {"ATTENDANCE_PUBLIC_URL": PUBLIC_URL, "TWILIO_AUTH_TOKEN": "a"}
    )
    assert alone.auth_tokens == ("a",)
    for broken in (
        {"TWILIO_AUTH_TOKEN": "a"},
        {"ATTENDANCE_PUBLIC_URL": PUBLIC_URL},
        {"ATTENDANCE_PUBLIC_URL": PUBLIC_URL, "TWILIO_AUTH_TOKEN": " "},
        {"ATTENDANCE_PUBLIC_URL": "attendance.example.org", "TWILIO_AUTH_TOKEN": "a"},
    ):
        with pytest.raises(SettingsProblem):
            WebSettings.from_environment(broken)


def test_the_app_from_the_environment_refuses_an_unmigrated_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ATTENDANCE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("ATTENDANCE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaNotReady):
        app_from_environment()


def test_the_app_from_the_environment_checks_signatures(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, chase: dict[int, int]
) -> None:
    monkeypatch.setenv("ATTENDANCE_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("ATTENDANCE_DATABASE_URL", engine.url.render_as_string(False))
    with TestClient(app_from_environment()) as test_client:
        assert test_client.post(SMS_PATH, data=sms("SM-env", MUM, "He's ill")).status_code == 403
        assert signed(test_client, SMS_PATH, sms("SM-env", MUM, "He's ill")).status_code == 200
    [reply] = replies(engine)
    assert reply.message_sid == "SM-env"
