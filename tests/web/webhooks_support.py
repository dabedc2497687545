"""What the webhook tests share: Twilio's tokens, signed posts, the family's numbers, snapshots."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from twilio.request_validator import RequestValidator

from chase.models import DslAlert, ParentReply, WelfareCheck, WelfareCheckEvent
from notifications.message import ChannelName, Delivery, OutgoingMessage, SendGate, SendOutcome
from notifications.models import OutboxMessage

if TYPE_CHECKING:
    import httpx


PUBLIC_URL = "https://attendance.example.org"
TOKEN = "current-auth-token"
PREVIOUS_TOKEN = "previous-auth-token"
MONDAY = date(2026, 11, 23)  # a school day; the AM register closes at 09:00 (UTC in November)
NINE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MUM, GRAN, DAD, STRANGER = "+447700900101", "+447700900102", "+447700900201", "+447700900999"
SCHOOL_NUMBER = "+447700900000"


class SentChannel:
    """A channel that accepts everything and answers with a sid derived from the message key."""

    def __init__(self, name: ChannelName) -> None:
        self.name = name

    async def send_many(self, messages: list[OutgoingMessage], gate: SendGate) -> list[SendOutcome]:
        return [SendOutcome(Delivery.SENT, provider_id=sid_for(m.key)) for m in messages]


def sid_for(key: str) -> str:
    return "SM" + hashlib.sha1(key.encode()).hexdigest()[:32]


def signed(
    client: TestClient,
    path: str,
    params: dict[str, str],
    *,
    token: str = TOKEN,
    signed_url: str | None = None,
    signature: str | None = None,
) -> httpx.Response:
    """POST a form as Twilio would, signed on the public URL unless told otherwise."""
    url = signed_url if signed_url is not None else PUBLIC_URL + path
    headers = {
        "X-Twilio-Signature": signature
        if signature is not None
        else RequestValidator(token).compute_signature(url, params)
    }
    return client.post(path, data=params, headers=headers)


def sms(sid: str, sender: str, body: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": SCHOOL_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }


def status(sid: str, message_status: str, error_code: str = "") -> dict[str, str]:
    params = {"MessageSid": sid, "MessageStatus": message_status, "To": MUM}
    if error_code:
        params["ErrorCode"] = error_code
    return params


def fresh(engine: Engine) -> Session:
    """A new session, so nothing the test read earlier is served from its identity map."""
    return Session(engine, expire_on_commit=False)


def check_of(engine: Engine, check_id: int) -> WelfareCheck:
    with fresh(engine) as s:
        check = s.get(WelfareCheck, check_id)
        assert check is not None
        return check


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything a refused or repeated request must leave alone."""
    with fresh(engine) as s:
        return {
            "replies": s.scalar(select(func.count()).select_from(ParentReply)),
            "events": s.scalar(select(func.count()).select_from(WelfareCheckEvent)),
            "alerts": s.scalar(select(func.count()).select_from(DslAlert)),
            "checks": sorted(
                (c.id, c.state, c.next_due_at, c.suggested_code)
                for c in s.scalars(select(WelfareCheck))
            ),
            "outbox": sorted(
                (m.id, m.status, m.last_error) for m in s.scalars(select(OutboxMessage))
            ),
        }


def replies(engine: Engine) -> list[ParentReply]:
    with fresh(engine) as s:
        return list(s.scalars(select(ParentReply)))


def parent_sms(engine: Engine, to: str) -> OutboxMessage:
    with fresh(engine) as s:
        found = s.scalars(
            select(OutboxMessage).where(
                col(OutboxMessage.to) == to, col(OutboxMessage.channel) == "sms"
            )
        ).all()
        assert len(found) == 1, found
        return found[0]
