"""SMS through Twilio's Messages API, each outcome classified for the outbox dispatcher."""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError
from urllib3.exceptions import ProxyError as Urllib3ProxyError
from urllib3.exceptions import SSLError as Urllib3SSLError

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
# The longest a 429's Retry-After is honoured for: the chase's steps are minutes apart.
MAX_RETRY_AFTER = timedelta(minutes=10)


class _QuietHttpClient(TwilioHttpClient):
    """Twilio's client logs every request's URL and headers at INFO; keep that at DEBUG. It
    also keeps the last answer's Retry-After, which the SDK's exceptions do not carry, and
    reads the environment's proxy and CA settings once, for the API's address."""

    retry_after: timedelta | None = None

    def __init__(self, api_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        session = self.session
        assert session is not None  # pool_connections (the default) makes one
        # requests reads HTTPS_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE from os.environ on
        # every request, scanning the whole environment each time: a quarter of a text's CPU.
        # Every request here goes to one address, so the answer is the same each time.
        settings = session.merge_environment_settings(api_url, {}, None, None, None)
        self.proxy = settings["proxies"]
        session.verify = settings["verify"]
        session.trust_env = False

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self.retry_after = None
        response = super().request(*args, **kwargs)
        if response.status_code == 429 and response.headers is not None:
            self.retry_after = retry_after(response.headers.get("Retry-After"))
        return response

    def log_request(self, kwargs: dict[str, Any]) -> None:
        self.logger.debug("twilio request %s %s", kwargs["method"], kwargs["url"])

    def log_response(self, status_code: int, response: Any) -> None:
        self.logger.debug("twilio response %s", status_code)


class _Batch:
    """Shared by one send_many call's threads: stops hammering an API we cannot reach."""

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._unreachable_streak = 0
        self.last_error = ""

    def unreachable(self) -> bool:
        with self._lock:
            return self._unreachable_streak >= self._limit

    def record(self, outcome: SendOutcome, never_left: bool) -> None:
        with self._lock:
            if never_left:
                self._unreachable_streak += 1
                self.last_error = outcome.error or ""
            else:
                self._unreachable_streak = 0


class TwilioSmsChannel:
    """Sends SMS with the twilio SDK, `concurrency` requests at a time from a thread pool."""

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
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        # The SDK shares one requests.Session per Client; a client per worker thread keeps
        # each thread's keep-alive connection its own instead of relying on Session being
        # thread-safe, which requests does not promise.
        self._local = threading.local()
        self._clients: list[Client] = []

    def __repr__(self) -> str:
        # Never show the auth token, even in a traceback.
        return f"TwilioSmsChannel(base_url={self.base_url!r}, concurrency={self.concurrency})"

    async def send_many(self, messages: list[OutgoingMessage], gate: SendGate) -> list[SendOutcome]:
        if not messages:
            return []
        loop = asyncio.get_running_loop()
        executor = self._get_executor()
        batch = _Batch(limit=self.concurrency)
        # Cancelling this call cancels the sends that have not started; ones already in a
        # thread finish there, and tell the gate their outcome themselves.
        futures = [
            loop.run_in_executor(executor, self._send_gated, m, batch, gate) for m in messages
        ]
        return list(await asyncio.gather(*futures))

    async def reconcile(self, lost: list[LostSend]) -> list[Sighting]:
        """Ask Twilio's Messages list (To, From, DateSent>=) about each lost send, on the same
        bounded threads and connections as the sends."""
        if not lost:
            return []
        loop = asyncio.get_running_loop()
        executor = self._get_executor()
        futures = [loop.run_in_executor(executor, self._sighting, one) for one in lost]
        return list(await asyncio.gather(*futures))

    def _sighting(self, lost: LostSend) -> Sighting:
        """Twilio holds it if it lists a message from us to that number with the same body
        since the send started. By the time this is asked (the send lease and a settle delay
        after the send) a message Twilio accepted has left its queue, so has a sent date."""
        message = lost.message
        try:
            found = self._client().messages.list(
                to=message.to,
                from_=self.from_number,
                date_sent_after=lost.started_at - CLOCK_SLACK,
                limit=LIST_LIMIT,
                page_size=LIST_LIMIT,
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            return Sighting(Delivery.UNKNOWN, error=classify_twilio_error(exc).error)
        except requests.RequestException as exc:
            return Sighting(Delivery.UNKNOWN, error=f"twilio not asked: {_root_cause(exc)}")
        except Exception as exc:  # the SDK's TwilioException for an error page, among others
            return Sighting(Delivery.UNKNOWN, error=f"twilio not asked: {_root_cause(exc)}")
        ids = tuple(str(m.sid) for m in found if m.sid and m.body == message.text)
        if ids:
            return Sighting(Delivery.SENT, ids)
        return Sighting(Delivery.TRANSIENT, error="twilio lists no such message: sent again")

    def close(self) -> None:
        """Stop the worker threads and close their connections; used again, it starts anew."""
        with self._executor_lock:
            executor, self._executor = self._executor, None
            clients, self._clients = self._clients, []
            self._local = threading.local()
        if executor is not None:
            executor.shutdown(wait=True)
        for client in clients:
            session = getattr(client.http_client, "session", None)
            if session is not None:
                session.close()

    def _get_executor(self) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.concurrency, thread_name_prefix="twilio-sms"
                )
            return self._executor

    def _client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            http_client = _QuietHttpClient(self.base_url or TWILIO_API, self.timeout_s)
            # environment={} so TWILIO_EDGE/TWILIO_REGION in os.environ cannot rewrite the
            # host (they would send test traffic to a real Twilio edge).
            client = Client(
                self.account_sid, self._auth_token, http_client=http_client, environment={}
            )
            if self.base_url:
                client.api.base_url = self.base_url.rstrip("/")
            self._local.client = client
            with self._executor_lock:
                self._clients.append(client)
        return client

    def _send_gated(self, message: OutgoingMessage, batch: _Batch, gate: SendGate) -> SendOutcome:
        """One message in a worker thread: its outcome reaches the gate before anything else."""
        outcome = self._send_one(message, batch, gate)
        if outcome is not CLAIM_LOST:
            gate.finish(message, outcome)
        return outcome

    def _send_one(self, message: OutgoingMessage, batch: _Batch, gate: SendGate) -> SendOutcome:
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
        try:
            outcome = self._create(message)
        except (TwilioRestException, TwilioServiceException) as exc:
            outcome = classify_twilio_error(exc)
            wait = getattr(self._client().http_client, "retry_after", None)
            if wait is not None and outcome.delivery is Delivery.TRANSIENT:
                outcome = replace(outcome, retry_after=wait)
        except requests.RequestException as exc:
            never_left = request_never_left(exc)
            outcome = _transport_outcome(exc, never_left)
        except Exception as exc:
            # Anything else (a 2xx with unreadable JSON, an SDK bug) happened after the
            # request may have left, so it must not be retried blindly.
            outcome = SendOutcome(Delivery.UNKNOWN, error=f"twilio {type(exc).__name__}")
        batch.record(outcome, never_left)
        log.debug("sms %s: %s", message.key, outcome.delivery)
        return outcome

    def _create(self, message: OutgoingMessage) -> SendOutcome:
        kwargs: dict[str, Any] = {"to": message.to, "from_": self.from_number, "body": message.text}
        if self.status_callback_url:
            kwargs["status_callback"] = self.status_callback_url
        created = self._client().messages.create(**kwargs)
        sid = getattr(created, "sid", None)
        if not sid:
            # Accepted (2xx) but without a SID we cannot match its delivery callbacks.
            return SendOutcome(Delivery.UNKNOWN, error="twilio 2xx without a message sid")
        return SendOutcome(Delivery.SENT, provider_id=str(sid))


def retry_after(value: str | None) -> timedelta | None:
    """A Retry-After header (seconds, or an HTTP date) as a wait, capped at MAX_RETRY_AFTER so
    a wrong header cannot park a parent's message past the morning; None if absent or bad."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        wait = timedelta(seconds=int(text))
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = max(timedelta(0), when - datetime.now(UTC))
    return min(wait, MAX_RETRY_AFTER)


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


def request_never_left(exc: requests.RequestException) -> bool:
    """True only when the HTTP request certainly did not reach the server.

    requests turns urllib3 failures into its own exceptions. urllib3 raises
    ConnectTimeoutError, and its subclasses NewConnectionError (refused, unreachable) and
    NameResolutionError (DNS), only from creating the socket, before a byte of the request
    is written; with the SDK's zero retries they arrive as requests.ConnectTimeout or as a
    ConnectionError wrapping MaxRetryError(reason=<that error>), also behind a proxy error.
    A certificate that fails verification likewise stops the TLS handshake before the
    request. Everything else - ReadTimeout, a reset or "Remote end closed connection
    without response" (ConnectionError wrapping ProtocolError), other TLS errors, chunked
    decoding errors - can happen after Twilio read the request and created the message,
    so it is not "never left".
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason: object = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    if isinstance(reason, Urllib3ProxyError):
        reason = reason.original_error
    if isinstance(reason, ConnectTimeoutError):
        return True
    if isinstance(reason, Urllib3SSLError) and reason.args:
        return isinstance(reason.args[0], ssl.SSLCertVerificationError)
    return False


def _transport_outcome(exc: requests.RequestException, never_left: bool) -> SendOutcome:
    reason = _root_cause(exc)
    if never_left:
        return SendOutcome(Delivery.TRANSIENT, error=f"twilio not reached: {reason}")
    return SendOutcome(Delivery.UNKNOWN, error=f"twilio no reply: {reason}")


def _root_cause(exc: BaseException) -> str:
    """The innermost error's type and text, short: URLs here never hold numbers or bodies."""
    seen: set[int] = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        inner: object = current.__cause__ or (current.args[0] if current.args else None)
        if isinstance(inner, MaxRetryError) and inner.reason is not None:
            inner = inner.reason
        if not isinstance(inner, BaseException):
            break
        current = inner
    text = str(current)
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(current).__name__}: {text}" if text else type(current).__name__
