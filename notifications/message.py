"""What the dispatcher hands a channel, and what the channel says happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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
    # A provider that says when to come back (HTTP 429 Retry-After): no retry before then.
    retry_after: timedelta | None = None


class SendGate(Protocol):
    """What a channel tells the outbox about each message (in memory: no database trip)."""

    def start(self, message: OutgoingMessage) -> bool:
        """Call immediately before the request that may hand `message` to the provider.

        True: send it (its claim was committed as started; a crash from here on leaves it for
        the provider to be asked about). False: the claim no longer covers it (lost to another
        worker, or too long since it was claimed), so do not send it.
        """
        ...

    def finish(self, message: OutgoingMessage, outcome: SendOutcome) -> None:
        """Call as soon as the provider's answer (or its absence) is known."""
        ...


@dataclass(frozen=True, slots=True)
class LostSend:
    """A send a run started and never heard the answer to (the run died)."""

    message: OutgoingMessage
    started_at: datetime


@dataclass(frozen=True, slots=True)
class Sighting:
    """What the provider says about a lost send: SENT, it holds one (these ids, newest first);
    TRANSIENT, it provably does not, or a second copy is harmless (`error` says which), so
    send it again; UNKNOWN, it could not be asked (`error`)."""

    delivery: Delivery
    provider_ids: tuple[str, ...] = ()
    error: str | None = None


class Channel(Protocol):
    """A way of sending: Twilio SMS, SMTP email, or the local outbox."""

    name: ChannelName

    async def send_many(self, messages: list[OutgoingMessage], gate: SendGate) -> list[SendOutcome]:
        """Send each message once, through `gate`; outcomes in the same order. Never raises
        for one message."""
        ...


class Reconciling(Channel, Protocol):
    """A channel whose provider can be asked, after a crash, whether a send reached it."""

    async def reconcile(self, lost: list[LostSend]) -> list[Sighting]:
        """One sighting per lost send, in the same order. Never raises for one send."""
        ...


CLAIM_LOST = SendOutcome(Delivery.TRANSIENT, error="not sent: another worker holds its claim")
