"""Random webhook payloads, signed and unsigned: never a server error, never a partial write."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.web.webhooks_support import MUM, signed, snapshot
from web.twilio_webhooks import SMS_PATH, STATUS_PATH

FIELD_NAMES = st.sampled_from(
    ["MessageSid", "SmsSid", "From", "To", "Body", "MessageStatus", "ErrorCode", "NumMedia"]
) | st.text(min_size=1, max_size=12)
FIELD_VALUES = st.text(max_size=200) | st.sampled_from(
    [MUM, "", " ", "SM" + "0" * 32, "delivered", "undelivered", "failed", "30003", "\x00", "ü"]
)
FORMS = st.dictionaries(FIELD_NAMES, FIELD_VALUES, max_size=10)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(form=FORMS, path=st.sampled_from([SMS_PATH, STATUS_PATH]))
# Found by this test on PostgreSQL: a NUL in a sid, an error code longer than its column.
@example(form={"MessageSid": "\x00", "From": "0"}, path=SMS_PATH)
@example(form={"MessageSid": "SM1", "From": MUM, "Body": "ill\x00\x07 today"}, path=SMS_PATH)
@example(
    form={"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "1" * 11}, path=STATUS_PATH
)
@example(form={"MessageSid": "SM1", "From": "+44" + "7" * 60}, path=SMS_PATH)
def test_any_signed_form_gets_a_clean_answer(
    client: TestClient, engine: Engine, chase: dict[int, int], form: dict[str, str], path: str
) -> None:
    response = signed(client, path, form)
    # An empty form goes with no body and no content type at all: not a Twilio webhook.
    expected = (415,) if not form else (200, 204, 400, 429)
    assert response.status_code in expected, (response.status_code, form)


@FUZZ
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/json", "text/plain", ""]
    ),
)
def test_any_unsigned_body_is_refused_and_writes_nothing(
    client: TestClient, engine: Engine, chase: dict[int, int], body: bytes, content_type: str
) -> None:
    before = snapshot(engine)
    headers = {"X-Twilio-Signature": "forged"}
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(SMS_PATH, content=body, headers=headers)
    assert response.status_code in (400, 403, 415)
    assert snapshot(engine) == before
