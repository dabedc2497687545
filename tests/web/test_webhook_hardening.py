"""Hostile posts to the webhooks: too big, too slow, malformed, replayed, flooded; JSON signing."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select
from sqlmodel import Session
from twilio.request_validator import HMAC_SHA256, RequestValidator

from notifications.models import DeliveryReport
from school.clock import FixedClock
from tests.web.webhooks_support import (
    MUM,
    PUBLIC_URL,
    STRANGER,
    TOKEN,
    check_of,
    parent_sms,
    replies,
    signed,
    sms,
    snapshot,
    status,
)
from web.app import create_app
from web.rate_limit import SlidingWindowLimit
from web.settings import WebSettings
from web.twilio_signature import SIGNATURE_SETTINGS_HEADER
from web.twilio_webhooks import SMS_PATH, STATUS_PATH

FORM = "application/x-www-form-urlencoded"


def signature_for(params: dict[str, str], url: str = PUBLIC_URL + SMS_PATH) -> str:
    return RequestValidator(TOKEN).compute_signature(url, params)


@pytest.fixture
def unusable_client(morning_clock: FixedClock, tmp_path: Path) -> Iterator[TestClient]:
    """An app whose database cannot be opened: any request that reaches it fails with 500."""
    unusable = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
    app = create_app(unusable, WebSettings(PUBLIC_URL, (TOKEN,)), morning_clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


# --- size and time -------------------------------------------------------------------------


def test_an_oversized_declared_body_is_refused_before_it_is_read(
    unusable_client: TestClient,
) -> None:
    consumed: list[int] = []

    def sixty_megabytes() -> Iterator[bytes]:
        for n in range(60):
            consumed.append(n)
            yield b"x" * 1_000_000

    response = unusable_client.post(
        SMS_PATH,
        content=sixty_megabytes(),
        headers={
            "X-Twilio-Signature": "anything",
            "Content-Type": FORM,
            "Content-Length": str(60_000_000),
        },
    )

    assert response.status_code == 413
    assert len(consumed) <= 1  # the test client hands over at most the first chunk


def test_a_chunked_body_is_cut_off_at_the_cap(unusable_client: TestClient) -> None:
    """No Content-Length (chunked): reading stops as soon as the cap is passed."""
    consumed: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for n in range(1000):
            consumed.append(n)
            yield b"Body=" + b"x" * 16_000 + b"&"

    response = asyncio.run(
        post_async(
            unusable_client.app, endless(), {"X-Twilio-Signature": "x", "Content-Type": FORM}
        )
    )

    assert response.status_code == 413
    assert len(consumed) <= 6  # 64 kB is passed on the fifth chunk of 16 kB


async def post_async(
    app: Any, body: AsyncIterator[bytes], headers: dict[str, str]
) -> httpx.Response:
    """POST a streamed body through ASGI, which hands the app each chunk only as it reads."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post(SMS_PATH, content=body, headers=headers)


def test_a_body_trickled_in_too_slowly_is_refused(
    engine: Engine, morning_clock: FixedClock, chase: dict[int, int]
) -> None:
    before = snapshot(engine)
    settings = WebSettings(PUBLIC_URL, (TOKEN,), body_read_seconds=0.3)
    app = create_app(engine, settings, morning_clock)
    params = sms("SM-slow", MUM, "He's ill")
    encoded = urlencode(params).encode()

    async def trickle() -> AsyncIterator[bytes]:
        for byte in encoded:
            await asyncio.sleep(0.05)
            yield bytes([byte])

    headers = {"X-Twilio-Signature": signature_for(params), "Content-Type": FORM}
    response = asyncio.run(post_async(app, trickle(), headers))

    assert response.status_code == 408
    assert snapshot(engine) == before


def test_a_body_within_the_cap_and_deadline_is_handled(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    long_reply = "He is poorly with a temperature. " * 45  # about 1,500 characters, one SMS max

    assert signed(client, SMS_PATH, sms("SM-long", MUM, long_reply)).status_code == 200
    assert check_of(engine, chase[1]).state == "explained"


# --- malformed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b"MessageSid=SM1&Body=\xff\xfe", FORM, 400),  # not UTF-8
        (b"&".join(b"f%d=1" % n for n in range(500)), FORM, 400),  # a field flood
        (
            b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--",
            "multipart/form-data; boundary=b",
            415,
        ),
        (b"<xml/>", "text/xml", 415),
        (b"", "", 415),
    ],
)
def test_malformed_bodies_are_refused_without_touching_the_database(
    unusable_client: TestClient, content: bytes, content_type: str, expected: int
) -> None:
    headers = {"X-Twilio-Signature": "x"}
    if content_type:
        headers["Content-Type"] = content_type
    response = unusable_client.post(SMS_PATH, content=content, headers=headers)
    assert response.status_code == expected


def test_a_lying_content_length_is_a_bad_request(unusable_client: TestClient) -> None:
    response = unusable_client.post(
        SMS_PATH,
        content=b"Body=x",
        headers={"X-Twilio-Signature": "x", "Content-Type": FORM, "Content-Length": "-1"},
    )
    assert response.status_code == 400


# --- the newer signing schemes -------------------------------------------------------------


def json_post(
    client: TestClient, path: str, document: dict[str, str], *, hash_of: str | None = None
) -> httpx.Response:
    """POST a JSON body as Twilio's newer webhooks do: the URL carries the body's SHA-256."""
    body = json.dumps(document)
    digest = hashlib.sha256((hash_of if hash_of is not None else body).encode()).hexdigest()
    query = f"?bodySHA256={digest}"
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + path + query, {})
    return client.post(
        path + query,
        content=body,
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/json"},
    )


def test_a_json_body_signed_through_its_hash_is_accepted(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    response = json_post(client, SMS_PATH, sms("SM-json", MUM, "He's got a temperature"))

    assert response.status_code == 200
    assert [r.message_sid for r in replies(engine)] == ["SM-json"]
    assert check_of(engine, chase[1]).state == "explained"


def test_a_json_body_that_does_not_match_its_hash_is_refused(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    before = snapshot(engine)
    original = sms("SM-json", MUM, "He's got a temperature")
    tampered = {**original, "Body": "she left for school at 8"}

    response = json_post(client, SMS_PATH, tampered, hash_of=json.dumps(original))
    unhashed = client.post(
        SMS_PATH,
        content=json.dumps(original),
        headers={
            "X-Twilio-Signature": signature_for({}),
            "Content-Type": "application/json",
        },
    )

    assert (response.status_code, unhashed.status_code) == (403, 403)
    assert snapshot(engine) == before


def test_hmac_sha256_signatures_are_accepted_when_the_settings_header_names_them(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    params = sms("SM-sha256", MUM, "He's got a temperature")
    url = PUBLIC_URL + SMS_PATH
    sha256 = RequestValidator(TOKEN).compute_signature(url, params, HMAC_SHA256)
    settings = {SIGNATURE_SETTINGS_HEADER: "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"}

    sha1_claiming_sha256 = client.post(
        SMS_PATH, data=params, headers={"X-Twilio-Signature": signature_for(params), **settings}
    )
    sha256_unannounced = client.post(SMS_PATH, data=params, headers={"X-Twilio-Signature": sha256})
    accepted = client.post(
        SMS_PATH, data=params, headers={"X-Twilio-Signature": sha256, **settings}
    )

    assert [r.status_code for r in (sha1_claiming_sha256, sha256_unannounced, accepted)] == [
        403,
        403,
        200,
    ]
    assert check_of(engine, chase[1]).state == "explained"


# --- replays and floods --------------------------------------------------------------------


def test_a_replayed_status_report_is_stored_once(
    client: TestClient, engine: Engine, chase: dict[int, int]
) -> None:
    sid = parent_sms(engine, MUM).provider_id
    assert sid is not None

    for _ in range(5):
        assert signed(client, STATUS_PATH, status(sid, "delivered")).status_code == 204

    with Session(engine) as s:
        count = s.scalar(select(func.count()).select_from(DeliveryReport))
    assert count == 1
    assert parent_sms(engine, MUM).status == "delivered"


def test_one_number_flooding_replies_is_refused_after_the_limit(
    engine: Engine, morning_clock: FixedClock, chase: dict[int, int]
) -> None:
    settings = WebSettings(PUBLIC_URL, (TOKEN,), replies_per_minute=3)
    with TestClient(create_app(engine, settings, morning_clock)) as client:
        flood = [
            signed(client, SMS_PATH, sms(f"SM-flood-{n}", STRANGER, "hello")).status_code
            for n in range(6)
        ]
        other_number = signed(client, SMS_PATH, sms("SM-mum", MUM, "He's ill")).status_code

    assert flood == [200, 200, 200, 429, 429, 429]
    assert other_number == 200
    stored = sorted(r.message_sid for r in replies(engine))
    assert stored == ["SM-flood-0", "SM-flood-1", "SM-flood-2", "SM-mum"]


def test_the_sliding_window_forgets_after_its_window() -> None:
    now = [0.0]
    limit = SlidingWindowLimit(2, 60.0, monotonic=lambda: now[0])

    assert [limit.allow("a"), limit.allow("a"), limit.allow("a")] == [True, True, False]
    now[0] = 59.9
    assert limit.allow("a") is False
    now[0] = 60.0
    assert limit.allow("a") is True  # the first attempt has left the window
    assert limit.allow("b") is True


def test_the_sliding_window_bounds_its_memory() -> None:
    now = [0.0]
    limit = SlidingWindowLimit(1, 60.0, max_keys=100, monotonic=lambda: now[0])
    for n in range(1000):
        now[0] = n * 0.001
        limit.allow(f"sender-{n}")
    assert len(limit._events) <= 100
