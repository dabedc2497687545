"""SMS through Twilio's Messages API, each outcome classified for the outbox dispatcher."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.rest import Client

from notifications.channels.per_loop import PerLoop
from notifications.channels.twilio_http import RETRY_AFTER, AioHttpClient, Route
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

# Twilio error codes that say this number will never take this message: invalid 'To'
# (21211), not a mobile (21614), the recipient sent STOP (21610), and no permission to
# send to that region (21408). Other 4xx are permanent too; these are listed so that a
# status Twilio might one day change (e.g. to 403) cannot turn them into retries.
PERMANENT_CODES = frozenset({21211, 21614, 21610, 21408})

_CREATE_PREFIX = "Unable to create record: "
# Looking for a lost send, Twilio's list is asked from a little before the send started: our
# clock and Twilio's may differ by a little, and a miss would send the text twice.
CLOCK_SLACK = timedelta(minutes=5)
# More messages than this to one number since the send started would be a fault of its own.
LIST_LIMIT = 200
# Where the SDK sends unless the channel is given another base URL (a test's fake).
TWILIO_API = "https://api.twilio.com"


@dataclass(frozen=True)
class _Connections:
    """One event loop's session, the SDK client over it, and the bound on requests in flight."""

    session: aiohttp.ClientSession
    client: Client
    in_flight: asyncio.Semaphore


class _Batch:
    """Shared by one send_many call's sends: stops hammering an API we cannot reach."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._unreachable_streak = 0
        self.last_error = ""

    def unreachable(self) -> bool:
        return self._unreachable_streak >= self._limit

    def record(self, outcome: SendOutcome, never_left: bool) -> None:
        if never_left:
            self._unreachable_streak += 1
            self.last_error = outcome.error or ""
        else:
            self._unreachable_streak = 0


class TwilioSmsChannel:
    """Sends SMS with the twilio SDK's async requests, `concurrency` at a time on as many
    kept-alive connections (aiohttp: a quarter of the CPU a text of requests in threads)."""

    name: ChannelName = "sms"
    # Twilio lists the messages it holds, so a send that timed out is looked for at once.
    lists_sends = True

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        status_callback_url: str | None = None,
        base_url: str | None = None,
        concurrency: int = 8,
        timeout_s: float = 10,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.from_number = from_number
        self.status_callback_url = status_callback_url
        self.base_url = base_url
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self._route: Route | None = None
        self._connections: PerLoop[_Connections] = PerLoop(
            self._connect, _close, _abandon, name="twilio-connections"
        )

    def __repr__(self) -> str:
        # Never show the auth token, even in a traceback.
        return f"TwilioSmsChannel(base_url={self.base_url!r}, concurrency={self.concurrency})"

    async def send_many(self, messages: list[OutgoingMessage], gate: SendGate) -> list[SendOutcome]:
        """Each message's outcome, in order. Cancelled, the sends in flight are abandoned
        with their start marks standing: the provider is asked about them (reconcile)."""
        if not messages:
            return []
        connections = self._open_connections()
        if isinstance(connections, str):
            held_back = SendOutcome(Delivery.TRANSIENT, error=f"twilio not reached: {connections}")
            return [held_back] * len(messages)
        batch = _Batch(limit=self.concurrency)
        return list(
            await asyncio.gather(*(self._send_gated(connections, m, batch, gate) for m in messages))
        )

    async def reconcile(self, lost: list[LostSend]) -> list[Sighting]:
        """Ask Twilio's Messages list (To, From, DateSent>=) about each lost send, on the same
        bounded connections as the sends."""
        if not lost:
            return []
        connections = self._open_connections()
        if isinstance(connections, str):
            not_asked = Sighting(Delivery.UNKNOWN, error=f"twilio not asked: {connections}")
            return [not_asked] * len(lost)
        return list(await asyncio.gather(*(self._sighting(connections, one) for one in lost)))

    async def _sighting(self, connections: _Connections, lost: LostSend) -> Sighting:
        """Twilio holds it if it lists a message from us to that number with the same body
        since the send started. By the time this is asked (the send lease and a settle delay
        after the send) a message Twilio accepted has left its queue, so has a sent date."""
        message = lost.message
        try:
            async with connections.in_flight:
                found = await connections.client.messages.list_async(
                    to=message.to,
                    from_=self.from_number,
                    date_sent_after=lost.started_at - CLOCK_SLACK,
                    limit=LIST_LIMIT,
                    page_size=LIST_LIMIT,
                )
        except (TwilioRestException, TwilioServiceException) as exc:
            return Sighting(Delivery.UNKNOWN, error=classify_twilio_error(exc).error)
        except Exception as exc:  # transport errors, the SDK's TwilioException for an error page
            return Sighting(Delivery.UNKNOWN, error=f"twilio not asked: {_root_cause(exc)}")
        ids = tuple(str(m.sid) for m in found if m.sid and m.body == message.text)
        if ids:
            return Sighting(Delivery.SENT, ids)
        return Sighting(Delivery.TRANSIENT, error="twilio lists no such message: sent again")

    def close(self) -> None:
        """Close the kept connections; used again, the channel connects anew."""
        self._connections.drop()

    def _open_connections(self) -> _Connections | str:
        """This loop's connections, or why there can be none: REQUESTS_CA_BUNDLE naming no
        readable bundle is the school's setting to mend, and no request can go until then."""
        try:
            return self._connections.get()
        except ValueError as exc:
            return str(exc)

    def _connect(self) -> _Connections:
        """The running loop's connections: at most `concurrency`, kept alive between batches."""
        api_url = self.base_url or TWILIO_API
        if self._route is None:
            self._route = Route.from_environment(api_url)
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.concurrency),
            # Environment settings are the route's, read once, not looked up per request.
            trust_env=False,
        )
        http_client = AioHttpClient(
            session,
            self._route,
            # connect: waiting for a connection and opening it, before a byte is sent (a
            # timeout there proves the text never left); sock_read: each wait for the answer.
            aiohttp.ClientTimeout(
                total=None, connect=self.timeout_s, sock_connect=self.timeout_s,
                sock_read=self.timeout_s,
            ),
        )  # fmt: skip
        # environment={} so TWILIO_EDGE/TWILIO_REGION in os.environ cannot rewrite the host
        # (they would send test traffic to a real Twilio edge).
        client = Client(self.account_sid, self._auth_token, http_client=http_client, environment={})
        if self.base_url:
            client.api.base_url = self.base_url.rstrip("/")
        return _Connections(session, client, asyncio.Semaphore(self.concurrency))

    async def _send_gated(
        self, connections: _Connections, message: OutgoingMessage, batch: _Batch, gate: SendGate
    ) -> SendOutcome:
        """One message: its outcome reaches the gate before anything else."""
        async with connections.in_flight:
            outcome = await self._send_one(connections.client, message, batch, gate)
        if outcome is not CLAIM_LOST:
            gate.finish(message, outcome)
        return outcome

    async def _send_one(
        self, client: Client, message: OutgoingMessage, batch: _Batch, gate: SendGate
    ) -> SendOutcome:
        if message.channel != "sms":
            return SendOutcome(Delivery.PERMANENT, error=f"not an sms message: {message.channel}")
        if not message.to:
            return SendOutcome(Delivery.PERMANENT, error="no mobile number")
        if batch.unreachable():
            return SendOutcome(
                Delivery.TRANSIENT, error=f"twilio not attempted: {batch.last_error}"
            )
        if not gate.start(message):
            return CLAIM_LOST
        never_left = False
        RETRY_AFTER.set(None)
        try:
            outcome = await self._create(client, message)
        except (TwilioRestException, TwilioServiceException) as exc:
            outcome = classify_twilio_error(exc)
            wait = RETRY_AFTER.get()
            if wait is not None and outcome.delivery is Delivery.TRANSIENT:
                outcome = replace(outcome, retry_after=wait)
        except (aiohttp.ClientError, TimeoutError) as exc:
            never_left = request_never_left(exc)
            outcome = _transport_outcome(exc, never_left)
        except Exception as exc:
            # Anything else (a 2xx with unreadable JSON, an SDK bug) happened after the
            # request may have left, so it must not be retried blindly.
            outcome = SendOutcome(Delivery.UNKNOWN, error=f"twilio {type(exc).__name__}")
        batch.record(outcome, never_left)
        log.debug("sms %s: %s", message.key, outcome.delivery)
        return outcome

    async def _create(self, client: Client, message: OutgoingMessage) -> SendOutcome:
        kwargs: dict[str, Any] = {"to": message.to, "from_": self.from_number, "body": message.text}
        if self.status_callback_url:
            kwargs["status_callback"] = self.status_callback_url
        created = await client.messages.create_async(**kwargs)
        sid = getattr(created, "sid", None)
        if not sid:
            # Accepted (2xx) but without a SID we cannot match its delivery callbacks.
            return SendOutcome(Delivery.UNKNOWN, error="twilio 2xx without a message sid")
        return SendOutcome(Delivery.SENT, provider_id=str(sid))


async def _close(connections: _Connections) -> None:
    await connections.session.close()


def _abandon(connections: _Connections) -> None:
    """Its loop closed without shutting down: the sockets went with it; nothing to say."""
    connections.session.detach()


def classify_twilio_error(exc: TwilioRestException | TwilioServiceException) -> SendOutcome:
    """Twilio answered with an error: decide from its HTTP status and error code."""
    status = int(exc.status)
    code = exc.code
    if isinstance(exc, TwilioServiceException):
        text = exc.title + (f": {exc.detail}" if exc.detail else "")
    else:
        text = exc.msg.removeprefix(_CREATE_PREFIX)
    error = f"twilio {status} {code}: {text}"
    if code in PERMANENT_CODES:
        delivery = Delivery.PERMANENT
    elif status == 429 or status >= 500:
        delivery = Delivery.TRANSIENT
    elif status in (401, 408):
        # 401: bad credentials are our configuration, not this message; retrying after
        # someone fixes them delivers it, where PERMANENT would drop a whole morning's
        # chase. 408: Twilio never got the whole request.
        delivery = Delivery.TRANSIENT
    elif 400 <= status < 500:
        delivery = Delivery.PERMANENT
    else:
        # A 3xx: Twilio's API never redirects, so nothing was created; retry is safe.
        delivery = Delivery.TRANSIENT
    return SendOutcome(delivery, error=error)


def request_never_left(exc: aiohttp.ClientError | TimeoutError) -> bool:
    """True only when the HTTP request certainly did not reach the server.

    aiohttp raises ClientConnectorError (and its kinds: refused, unreachable, DNS, a proxy
    that cannot be reached, a TLS handshake or certificate that fails) only from opening the
    connection, ConnectionTimeoutError only from waiting for one or opening it, and
    ClientHttpProxyError only when the proxy refuses the tunnel (CONNECT) to the API: all
    before a byte of the request is written. Everything else - SocketTimeoutError (no answer
    in time), ServerDisconnectedError, a reset (ClientOSError), a broken payload - can happen
    after Twilio read the request and created the message, so it is not "never left".
    """
    never_left = (
        aiohttp.ClientConnectorError,
        aiohttp.ConnectionTimeoutError,
        aiohttp.ClientHttpProxyError,
    )
    return isinstance(exc, never_left)


def _transport_outcome(exc: BaseException, never_left: bool) -> SendOutcome:
    reason = _root_cause(exc)
    if never_left:
        return SendOutcome(Delivery.TRANSIENT, error=f"twilio not reached: {reason}")
    return SendOutcome(Delivery.UNKNOWN, error=f"twilio no reply: {reason}")


def _root_cause(exc: BaseException) -> str:
    """The innermost error's type and text, short: URLs here never hold numbers or bodies."""
    current = exc
    seen = {id(current)}
    while current.__cause__ is not None and id(current.__cause__) not in seen:
        current = current.__cause__
        seen.add(id(current))
    text = str(current)
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(current).__name__}: {text}" if text else type(current).__name__
