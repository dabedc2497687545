"""A loopback SMTP server (aiosmtpd) that records every message and refuses on request."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from functools import cached_property
from typing import Any, cast

from aiosmtpd.controller import Controller

DEFAULT_SENDER = "Attendance Office <attendance@school.example>"


@dataclass(frozen=True)
class ReceivedEmail:
    """One message the server accepted (or took in before hanging or dropping)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    received_at: float  # time.time()
    peer: tuple[str, int]  # the client's address: one per connection

    @cached_property
    def message(self) -> EmailMessage:
        """Parsed on first use: parsing every message as it arrives would slow the server
        (it shares the GIL with the client under test) for tests that only count."""
        return cast(EmailMessage, message_from_bytes(self.raw, policy=default_policy))

    @property
    def key(self) -> str | None:
        """The X-Attendance-Key header: the outbox idempotency key."""
        value = self.message["X-Attendance-Key"]
        return None if value is None else str(value)


@dataclass
class _Rule:
    address: str | None  # None: every recipient
    stage: str  # "rcpt", "data", "hang", "drop", "drop-mail"
    reply: str = ""
    seconds: float = 0.0
    times: int | None = None  # None: every time
    skip: int = 0  # let this many matching commands through first

    def applies(self, address: str | None) -> bool:
        return (
            self.address is None or address is None or self.address.lower() == address.lower()
        ) and (self.times is None or self.times > 0)


class _Handler:
    """aiosmtpd calls these hooks on its own thread's event loop."""

    def __init__(self, fake: FakeSmtpServer) -> None:
        self.fake = fake

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if self.fake._take("drop-mail", None) is not None:
            server.transport.close()
            return "421 4.3.0 closing (scripted)"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        rule = self.fake._take("rcpt", address)
        if rule is not None:
            return rule.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        rule = self.fake._take("data", rcpt)
        if rule is not None:
            return rule.reply
        received = ReceivedEmail(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=bytes(envelope.original_content),
            received_at=time.time(),
            peer=(str(session.peer[0]), int(session.peer[1])),
        )
        # Recorded before any scripted hang or drop: the server has the message, which is
        # exactly why the client must treat a lost reply as UNKNOWN.
        self.fake._add(received)
        hang = self.fake._take("hang", rcpt)
        if hang is not None:
            await asyncio.sleep(hang.seconds)
        if self.fake._take("drop", rcpt) is not None:
            server.transport.close()
        return "250 2.0.0 OK: queued"


class _Controller(Controller):
    """aiosmtpd's Controller, able to listen on port 0 (it checks readiness on self.port)."""

    def _trigger_server(self) -> None:
        server = cast(asyncio.Server, self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()


class FakeSmtpServer:
    """An SMTP server on 127.0.0.1 (random port) keeping every message it accepts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[ReceivedEmail] = []
        self._rules: list[_Rule] = []
        self.controller = self._controller(port=0)
        self._stopped = False

    def _controller(self, port: int) -> _Controller:
        return _Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=port,
            # A fixed name: aiosmtpd would otherwise look up the FQDN (DNS) at start.
            server_hostname="smtp.fake.test",
            ready_timeout=5.0,
        )

    def start(self) -> FakeSmtpServer:
        """Start; after `stop`, start again on the same port (a server back from an outage),
        keeping what it received before."""
        if self._stopped:
            self.controller = self._controller(port=self.port)
        self.controller.start()
        self._stopped = False
        return self

    def stop(self) -> None:
        if not self._stopped:
            self.controller.stop()
            self._stopped = True

    def __enter__(self) -> FakeSmtpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def settings(self, sender: str = DEFAULT_SENDER) -> dict[str, str]:
        """Environment variables that point channels_from_settings at this server."""
        return {
            "SMTP_HOST": self.host,
            "SMTP_PORT": str(self.port),
            "SMTP_FROM": sender,
            "SMTP_STARTTLS": "false",
        }

    # -- scripting ----------------------------------------------------------------------

    def refuse(
        self,
        address: str | None = None,
        *,
        code: int = 550,
        message: str | None = None,
        times: int | None = None,
    ) -> None:
        """Answer RCPT TO for `address` with `code` (451 transient, 550 permanent)."""
        text = message or ("4.2.0 mailbox busy, try later" if code < 500 else "5.1.1 no such user")
        self._add_rule(_Rule(address, "rcpt", reply=f"{code} {text}", times=times))

    def fail_data(
        self,
        address: str | None = None,
        *,
        code: int = 554,
        message: str | None = None,
        times: int | None = None,
    ) -> None:
        """Take the content for `address`, then answer the end of DATA with `code`."""
        text = message or ("4.3.0 try again later" if code < 500 else "5.7.1 message rejected")
        self._add_rule(_Rule(address, "data", reply=f"{code} {text}", times=times))

    def hang_after_data(
        self, address: str | None = None, *, seconds: float, times: int | None = None
    ) -> None:
        """Keep the message but reply to DATA only after `seconds` (past the client timeout)."""
        self._add_rule(_Rule(address, "hang", seconds=seconds, times=times))

    def drop_after_data(self, address: str | None = None, *, times: int | None = None) -> None:
        """Keep the message and close the connection instead of replying to DATA."""
        self._add_rule(_Rule(address, "drop", times=times))

    def drop_at_mail(self, *, after: int = 0, times: int = 1) -> None:
        """Close the connection at a MAIL FROM, after letting `after` of them through
        (a pooled connection the server dropped between two messages)."""
        self._add_rule(_Rule(None, "drop-mail", times=times, skip=after))

    def _add_rule(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    # -- what happened ------------------------------------------------------------------

    @property
    def received(self) -> list[ReceivedEmail]:
        with self._lock:
            return list(self._received)

    def messages_to(self, address: str) -> list[ReceivedEmail]:
        return [r for r in self.received if address.lower() in (a.lower() for a in r.rcpt_tos)]

    def reset(self) -> None:
        with self._lock:
            self._received.clear()
            self._rules.clear()

    # -- called by the handler ----------------------------------------------------------

    def _add(self, received: ReceivedEmail) -> None:
        with self._lock:
            self._received.append(received)

    def _take(self, stage: str, address: str | None) -> _Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.stage == stage and rule.applies(address):
                    if rule.skip > 0:
                        rule.skip -= 1
                        continue
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None


@contextmanager
def running_smtp_server() -> Iterator[FakeSmtpServer]:
    server = FakeSmtpServer().start()
    try:
        yield server
    finally:
        server.stop()
