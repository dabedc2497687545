"""Email over SMTP with aiosmtplib, on a bounded pool of connections reused across batches."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator
from email.utils import make_msgid, parseaddr

import aiosmtplib
from aiosmtplib import (
    SMTPException,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from notifications.channels.mime import email_bytes, mailbox
from notifications.channels.per_loop import PerLoop
from notifications.message import (
    CLAIM_LOST,
    ChannelName,
    Delivery,
    LostSend,
    OutgoingMessage,
    SendGate,
    SendOutcome,
    Sighting,
)

log = logging.getLogger(__name__)

KEY_HEADER = "X-Attendance-Key"
# SMTP has no way to ask a server what it accepted. It has idempotency instead: every attempt
# at one outbox row carries the same Message-ID (RFC 5322 §3.6.4: one id per message, copies
# share it), and receiving systems and mail clients keep one copy per Message-ID. So an email
# whose answer was lost in a crash is sent again, as the same message, rather than left for
# staff to chase: the parent sees it once, where leaving it might mean they never see it.
RESEND_SAME_ID = "smtp cannot be asked: sent again with the same Message-ID"


# A connection idle longer than this is closed rather than reused: servers drop idle clients
# (aiosmtpd after 300 s, many after 60 s), and a dropped one costs a failed MAIL to find out.
IDLE_LIMIT_S = 30.0


class _Pool:
    """Connections kept between batches (at most `size`) on the event loop that opened them:
    aiosmtplib ties a connection to its loop, whose shutdown says QUIT on each (PerLoop)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: PerLoop[list[tuple[float, aiosmtplib.SMTP]]] = PerLoop(
            list, _quit_all, _close_all, name="smtp-pool-keeper"
        )

    def take(self) -> aiosmtplib.SMTP | None:
        """A connection an earlier batch left open on this loop, or None."""
        idle = self._idle.get()
        while idle:
            since, client = idle.pop()
            if client.is_connected and time.monotonic() - since < IDLE_LIMIT_S:
                return client
            client.close()
        return None

    def give_back(self, client: aiosmtplib.SMTP) -> bool:
        """Keep a healthy connection for the next batch; False if the pool is full."""
        idle = self._idle.get()
        if not client.is_connected or len(idle) >= self.size:
            return False
        idle.append((time.monotonic(), client))
        return True

    def drop(self) -> None:
        """Close the kept connections now (with QUIT if their loop still runs)."""
        self._idle.drop()


async def _quit_all(idle: list[tuple[float, aiosmtplib.SMTP]]) -> None:
    for _, client in list(idle):
        await _quit(client)


def _close_all(idle: list[tuple[float, aiosmtplib.SMTP]]) -> None:
    for _, client in idle:
        client.close()


class _Batch:
    """Shared by one send_many call's workers: stops reconnecting to a server that is down."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._failed_connects = 0
        self.last_error = ""

    def unreachable(self) -> bool:
        return self._failed_connects >= self._limit

    def connect_failed(self, error: str) -> None:
        self._failed_connects += 1
        self.last_error = error

    def connected(self) -> None:
        self._failed_connects = 0


class SmtpEmailChannel:
    """Sends each message in its own SMTP transaction over `connections` reused connections."""

    name: ChannelName = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        start_tls: bool | None = None,
        connections: int = 4,
        timeout_s: float = 10,
    ) -> None:
        if connections < 1:
            raise ValueError("connections must be at least 1")
        envelope_from = parseaddr(sender)[1]
        if "@" not in envelope_from:
            raise ValueError("sender must contain an email address")
        self.host = host
        self.port = port
        self.sender = sender
        self.envelope_from = envelope_from
        self._from_header = mailbox(sender)
        self._domain = envelope_from.rpartition("@")[2]
        self.username = username
        self._password = password
        self.use_tls = use_tls
        self.start_tls = start_tls
        self.connections = connections
        self.timeout_s = timeout_s
        self._local_hostname: str | None = None
        self._pool = _Pool(connections)

    def __repr__(self) -> str:
        return (
            f"SmtpEmailChannel(host={self.host!r}, port={self.port}, "
            f"connections={self.connections})"
        )

    def close(self) -> None:
        """Close the connections kept between batches; used again, it connects anew."""
        self._pool.drop()

    async def reconcile(self, lost: list[LostSend]) -> list[Sighting]:
        """Every lost email is sent again with its own Message-ID (see RESEND_SAME_ID)."""
        return [Sighting(Delivery.TRANSIENT, error=RESEND_SAME_ID) for _ in lost]

    async def send_many(self, messages: list[OutgoingMessage], gate: SendGate) -> list[SendOutcome]:
        if not messages:
            return []
        if self._local_hostname is None:
            # aiosmtplib would look this up (socket.getfqdn, maybe DNS) on every connect.
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        outcomes: list[SendOutcome | None] = [None] * len(messages)
        # One shared iterator: each worker takes the next message when its connection is
        # free, so a slow recipient server holds up one connection, not a fixed share.
        pending = iter(enumerate(messages))
        batch = _Batch(limit=self.connections)
        # Each worker takes a connection the last batch left open, if any (connect, EHLO and
        # the 220 greeting cost as much as a dozen messages on loopback), else opens one.
        workers = min(self.connections, len(messages))
        await asyncio.gather(
            *(self._worker(pending, outcomes, batch, gate) for _ in range(workers))
        )
        return [
            o if o is not None else SendOutcome(Delivery.TRANSIENT, error="smtp not attempted")
            for o in outcomes
        ]

    async def _worker(
        self,
        pending: Iterator[tuple[int, OutgoingMessage]],
        outcomes: list[SendOutcome | None],
        batch: _Batch,
        gate: SendGate,
    ) -> None:
        client = self._pool.take() or self._new_client()
        kept = False
        try:
            for index, message in pending:
                outcome = await self._send_one(client, message, batch, gate)
                if outcome is not CLAIM_LOST:
                    gate.finish(message, outcome)  # in memory: no database trip
                outcomes[index] = outcome
                log.debug("email %s: %s", message.key, outcome.delivery)
            kept = self._pool.give_back(client)
        finally:
            if not kept:
                await _quit(client)

    def _new_client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self._password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout_s,
            local_hostname=self._local_hostname,
        )

    def build(self, message: OutgoingMessage) -> tuple[str, bytes]:
        """The Message-ID and the bytes of the MIME message: text, optional HTML alternative,
        and the idempotency key. ValueError or UnicodeError: never sendable as it is."""
        # Stable per outbox row, so every attempt at one message carries the same id.
        message_id = (
            f"<{message.message_id}@{self._domain}>"
            if message.message_id
            else make_msgid(domain=self._domain)
        )
        data = email_bytes(
            sender=self._from_header,
            to=message.to,
            subject=message.subject or "",
            message_id=message_id,
            # The outbox key travels with the message so a duplicate can be traced to its row.
            headers={KEY_HEADER: message.key},
            text=message.text,
            html=message.html,
        )
        return message_id, data

    async def _send_one(
        self, client: aiosmtplib.SMTP, message: OutgoingMessage, batch: _Batch, gate: SendGate
    ) -> SendOutcome:
        if message.channel != "email":
            return SendOutcome(Delivery.PERMANENT, error=f"not an email message: {message.channel}")
        recipient = parseaddr(message.to)[1]
        if "@" not in recipient:
            return SendOutcome(Delivery.PERMANENT, error="no email address")
        try:
            message_id, data = self.build(message)
        except (ValueError, TypeError, UnicodeError) as exc:
            # A header with a line break, an unencodable address: never sendable as is.
            return SendOutcome(Delivery.PERMANENT, error=f"email not built: {exc}")

        for attempt in (1, 2):
            if batch.unreachable():
                return SendOutcome(
                    Delivery.TRANSIENT, error=f"smtp not attempted: {batch.last_error}"
                )
            reused = client.is_connected
            if not reused:
                try:
                    await client.connect()
                except Exception as exc:
                    # Connect, greeting, EHLO, STARTTLS, AUTH: no transaction had begun,
                    # so the message cannot have been accepted.
                    client.close()
                    error = f"smtp connect failed: {_describe(exc)}"
                    batch.connect_failed(error)
                    return SendOutcome(Delivery.TRANSIENT, error=error)
                batch.connected()

            # MAIL and RCPT: whatever goes wrong here, the server has not got the content.
            try:
                await client.mail(self.envelope_from)
                await client.rcpt(recipient)
            except SMTPResponseException as exc:
                await _reset(client)
                return _by_reply(exc)
            except (SMTPServerDisconnected, SMTPTimeoutError, OSError) as exc:
                client.close()
                if reused and attempt == 1:
                    # The pooled connection had gone stale between messages; a fresh one
                    # is safe because nothing of this message was accepted.
                    continue
                return SendOutcome(Delivery.TRANSIENT, error=f"smtp {_describe(exc)}")
            except (ValueError, UnicodeError) as exc:
                await _reset(client)
                return SendOutcome(Delivery.PERMANENT, error=f"smtp address refused: {exc}")
            except Exception as exc:
                client.close()
                return SendOutcome(Delivery.TRANSIENT, error=f"smtp {_describe(exc)}")

            # DATA: once the command is out, a lost reply may hide an accepted message, so
            # the send is marked started (committed) first; MAIL and RCPT hand over nothing.
            if not gate.start(message):
                await _reset(client)
                return CLAIM_LOST
            try:
                await client.data(data)
            except SMTPResponseException as exc:
                await _reset(client)
                return _by_reply(exc)
            except Exception as exc:
                client.close()
                return SendOutcome(
                    Delivery.UNKNOWN, error=f"smtp no reply to DATA: {_describe(exc)}"
                )
            return SendOutcome(Delivery.SENT, provider_id=message_id)
        raise AssertionError("unreachable")  # pragma: no cover


def _by_reply(exc: SMTPResponseException) -> SendOutcome:
    """The server answered: 4xx means try later, 5xx means never."""
    error = f"smtp {exc.code}: {exc.message}"
    if 500 <= exc.code < 600:
        return SendOutcome(Delivery.PERMANENT, error=error)
    # 4xx, and anything odd (a code aiosmtplib could not parse is -1): not accepted.
    return SendOutcome(Delivery.TRANSIENT, error=error)


async def _reset(client: aiosmtplib.SMTP) -> None:
    """Clear a refused transaction so the connection can carry the next message."""
    if not client.is_connected:
        return
    try:
        await client.rset()
    except (SMTPException, OSError):
        client.close()


async def _quit(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (SMTPException, OSError):
        client.close()


def _describe(exc: BaseException) -> str:
    text = str(exc)
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
