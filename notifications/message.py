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
    # Stable for the outbox row (the same on every attempt): SMTP's Message-ID, so a copy of
    # one message can always be traced, and told from a second message, at the provider.
    message_id: str | None = None


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


class SendGate(Protocol):
    """What a channel tells the outbox about each message, each in its own transaction."""

    def start(self, message: OutgoingMessage) -> bool:
        """Call immediately before the request that may hand `message` to the provider.

        Once this returns True the send counts as started (a crash now leaves it unknown,
        never resent). False: the claim was lost to another worker, so do not send it.
        """
        ...

    def finish(self, message: OutgoingMessage, outcome: SendOutcome) -> None:
        """Call as soon as the provider's answer (or its absence) is known."""
        ...


class Channel(Protocol):
    """A way of sending: Twilio SMS, SMTP email, or the local outbox."""

    name: ChannelName

    async def send_many(self, messages: list[OutgoingMessage], gate: SendGate) -> list[SendOutcome]:
        """Send each message once, through `gate`; outcomes in the same order. Never raises
        for one message."""
        ...


CLAIM_LOST = SendOutcome(Delivery.TRANSIENT, error="not sent: another worker holds its claim")
