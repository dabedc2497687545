"""What the dispatcher hands a channel, and what the channel says happened."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

ChannelName = Literal["sms", "email"]


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One rendered message ready to send; `key` is its outbox idempotency key."""

    key: str
    channel: ChannelName
    to: str  # E.164 mobile for sms, address for email
    text: str
    subject: str | None = None  # email only
    html: str | None = None  # email only


class Delivery(StrEnum):
    """How a send attempt ended, which decides what the dispatcher does next."""

    SENT = "sent"  # the provider accepted it: store provider_id, never send again
    TRANSIENT = "transient"  # known not to have been accepted, safe to retry with backoff
    PERMANENT = "permanent"  # will never work (invalid number, mailbox refused): move on
    UNKNOWN = "unknown"  # the request may have left (timeout): never retry, flag for staff


@dataclass(frozen=True, slots=True)
class SendOutcome:
    delivery: Delivery
    provider_id: str | None = None
    error: str | None = None  # provider code and message, never the message body


class Channel(Protocol):
    """A way of sending: Twilio SMS, SMTP email, or the local outbox."""

    name: ChannelName

    async def send_many(self, messages: list[OutgoingMessage]) -> list[SendOutcome]:
        """Send each message once; outcomes in the same order. Never raises for one message."""
        ...
