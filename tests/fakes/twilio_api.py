"""A loopback fake of Twilio's Messages API that records every request and fails on surprises."""

from __future__ import annotations

import base64
import json
import re
import secrets
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.fakes.twilio_resources import (
    CODE_FOR_STATUS,
    ERRORS,
    RecordedMessage,
    Reply,
    Script,
    error_reply,
    list_date,
    listed,
    message_resource,
)

DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
DEFAULT_AUTH_TOKEN = "fake-auth-token"
DEFAULT_FROM_NUMBER = "+447700900000"

_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]{32})/Messages\.json$")
# Twilio accepts E.164 and answers 21211 for anything it cannot read as a number.
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass
class _Expectation:
    to: str | None
    body_contains: str | None
    count: int
    matched: int = 0

    def matches(self, to: str, body: str) -> bool:
        return (
            self.matched < self.count
            and (self.to is None or self.to == to)
            and (self.body_contains is None or self.body_contains in body)
        )

    def describe(self) -> str:
        what = f"to {self.to}" if self.to else "to anyone"
        if self.body_contains:
            what += f" containing {self.body_contains!r}"
        return f"{self.count} message(s) {what}"


class FakeTwilio:
    """Twilio's `POST /2010-04-01/Accounts/{sid}/Messages.json` on 127.0.0.1, in a thread.

    Every request is recorded. A message is expected if an `expect(...)` matches it or a
    scripted failure (`fail`, `hang`, `close_connection`) names it; anything else is
    unexpected, and `assert_all_expected()` fails on it and on expectations not met.
    """

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        from_number: str = DEFAULT_FROM_NUMBER,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.tls = tls  # a server context: HTTPS, as the real API, for the certificate tests
        self.auth_token = auth_token
        self.from_number = from_number
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._messages: list[RecordedMessage] = []
        self._unexpected: list[RecordedMessage] = []
        self._stray: list[str] = []
        self._expectations: list[_Expectation] = []
        self._scripts: list[Script] = []
        self._list_failures: list[int] = []  # HTTP statuses for the next list requests
        self.list_requests: list[dict[str, str]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers that are hanging on purpose
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake Twilio server is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """Give this to TwilioSmsChannel(base_url=...) or TWILIO_API_BASE_URL."""
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def settings(self) -> dict[str, str]:
        """Environment variables that point channels_from_settings at this fake."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_FROM_NUMBER": self.from_number,
            "TWILIO_API_BASE_URL": self.base_url,
        }

    # -- what the test says will happen -----------------------------------------------

    def expect(
        self, to: str | None = None, *, body_contains: str | None = None, count: int = 1
    ) -> None:
        """Allow (and require) `count` messages matching `to` and `body_contains`."""
        with self._lock:
            self._expectations.append(_Expectation(to, body_contains, count))

    def fail(
        self,
        to: str | None = None,
        *,
        status: int = 400,
        code: int | None = None,
        message: str | None = None,
        times: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Answer messages to `to` (None: all) with an error, e.g. 400/21211, 429, 500;
        `retry_after` is sent as the Retry-After header (Twilio's does, with its 429s)."""
        if code is None:
            code = CODE_FOR_STATUS.get(status, 21211 if status == 400 else status)
        elif code in ERRORS and status == 400:
            status = ERRORS[code][0]
        self._add_script(
            Script(to, "fail", status, code, message, times=times, retry_after=retry_after)
        )

    def hang(self, to: str | None = None, *, seconds: float, times: int | None = None) -> None:
        """Accept the message but answer only after `seconds` (past the client's timeout)."""
        self._add_script(Script(to, "hang", seconds=seconds, times=times))

    def close_connection(self, to: str | None = None, *, times: int | None = None) -> None:
        """Read the request, keep the message, and close the socket without a reply."""
        self._add_script(Script(to, "close", times=times))

    def fail_lists(self, status: int = 500, *, times: int = 1_000_000) -> None:
        """Answer the next `times` message-list requests with `status` (Twilio unreachable)."""
        with self._lock:
            self._list_failures = [status] * times

    def _add_script(self, script: Script) -> None:
        with self._lock:
            self._scripts.append(script)

    # -- what happened ------------------------------------------------------------------

    @property
    def messages(self) -> list[RecordedMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def sids(self) -> list[str]:
        """SIDs of the messages Twilio would now hold, in arrival order."""
        return [m.sid for m in self.messages if m.sid]

    @property
    def unexpected(self) -> list[RecordedMessage]:
        with self._lock:
            return list(self._unexpected)

    def messages_to(self, to: str) -> list[RecordedMessage]:
        return [m for m in self.messages if m.to == to]

    def wait_for(self, count: int, timeout_s: float = 2.0) -> list[RecordedMessage]:
        """Wait until at least `count` requests have arrived (for senders in the background)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            messages = self.messages
            if len(messages) >= count:
                return messages
            time.sleep(0.005)
        raise AssertionError(f"expected {count} requests to fake Twilio, got {len(self.messages)}")

    def problems(self) -> list[str]:
        with self._lock:
            found = [f"unexpected SMS to {m.to}: {m.body[:80]!r}" for m in self._unexpected] + [
                f"unexpected request: {line}" for line in self._stray
            ]
            found += [
                f"expected {e.describe()}, got {e.matched}"
                for e in self._expectations
                if e.matched < e.count
            ]
        return found

    def assert_all_expected(self) -> None:
        problems = self.problems()
        if problems:
            raise AssertionError("fake Twilio:\n  " + "\n  ".join(problems))

    def reset(self) -> None:
        """Forget messages, expectations and scripts (e.g. after asserting on a failure)."""
        with self._lock:
            self._messages.clear()
            self._unexpected.clear()
            self._stray.clear()
            self._expectations.clear()
            self._scripts.clear()
            self._list_failures.clear()
            self.list_requests.clear()

    # -- called by the handler ----------------------------------------------------------

    def _record(
        self, account_sid: str, form: dict[str, str], authorised: bool, peer_port: int = 0
    ) -> Reply:
        to = form.get("To", "")
        body = form.get("Body", "")
        with self._lock:
            script = next((s for s in self._scripts if s.applies(to)), None)
            if script is not None and script.times is not None:
                script.times -= 1
            expectation = next((e for e in self._expectations if e.matches(to, body)), None)
            if expectation is not None:
                expectation.matched += 1

            reply = self._reply(account_sid, form, authorised, script)
            sid = reply.payload.get("sid")
            recorded = RecordedMessage(
                to=to,
                from_=form.get("From", ""),
                body=body,
                status_callback=form.get("StatusCallback"),
                account_sid=account_sid,
                received_at=time.time(),
                response_status=None if reply.action == "close" else reply.status,
                sid=sid if isinstance(sid, str) else None,
                from_number=form.get("From", ""),
                peer_port=peer_port,
            )
            self._messages.append(recorded)
            if expectation is None and script is None:
                self._unexpected.append(recorded)
        return reply

    def _list(self, account_sid: str, query: dict[str, str]) -> Reply:
        """GET Messages.json: what this fake holds, filtered by To, From and DateSent>=, newest
        first, as Twilio lists them (sent at the instant received: the fake sends at once)."""
        with self._lock:
            self.list_requests.append(query)
            if self._list_failures:
                return error_reply(
                    CODE_FOR_STATUS.get(s := self._list_failures.pop(), 20500), to="", status=s
                )
            held = [m for m in self._messages if m.sid and m.account_sid == account_sid]
        since = list_date(query.get("DateSent>"))
        chosen = [
            m
            for m in reversed(held)
            if query.get("To", m.to) == m.to
            and query.get("From", m.from_number) == m.from_number
            and (since is None or m.received_at >= since)
        ]
        size = int(query.get("PageSize", "50"))
        page = [listed(account_sid, m) for m in chosen[:size]]
        uri = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        return Reply(
            200,
            {
                "messages": page,
                "page": 0,
                "page_size": size,
                "start": 0,
                "end": max(0, len(page) - 1),
                "uri": uri,
                "first_page_uri": uri,
                "next_page_uri": None,  # enough for one number's messages in a morning
                "previous_page_uri": None,
            },
        )

    def _stray_request(self, line: str) -> None:
        with self._lock:
            self._stray.append(line)

    def _reply(
        self,
        account_sid: str,
        form: dict[str, str],
        authorised: bool,
        script: Script | None,
    ) -> Reply:
        to = form.get("To", "")
        if not authorised:
            return error_reply(20003, to=to)
        if script is not None and script.action == "fail":
            code, text = script.code or 20500, script.message
            reply = error_reply(code, to=to, status=script.status, text=text)
            return replace(reply, retry_after=script.retry_after)
        if not to:
            return error_reply(21604, to=to)
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return error_reply(21603, to=to)
        if not form.get("Body") and not form.get("MediaUrl"):
            return error_reply(21602, to=to)
        if not _E164.match(to):
            return error_reply(21211, to=to)
        payload = message_resource(account_sid, form)
        if script is not None and script.action == "hang":
            return Reply(201, payload, action="hang", seconds=script.seconds)
        if script is not None and script.action == "close":
            return Reply(201, payload, action="close")
        return Reply(201, payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: a burst of concurrent sends then loses a SYN and
    # waits a second to retry it, past the tests' short client timeouts.
    request_queue_size = 128
    fake: FakeTwilio


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive like the real API, so clients reuse connections as they would in production.
    protocol_version = "HTTP/1.1"
    # Without this each response waits on Nagle + delayed ACK: 40 ms a request.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # pytest would show a line per request on failure; the fake records instead

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake = self.server.fake
        match = _MESSAGES_PATH.match(self.path.split("?", 1)[0])
        if match is None:
            fake._stray_request(f"POST {self.path}")
            self._send(*_as_response(error_reply(20404, to="")))
            return
        account_sid = match["sid"]
        form = {key: values[-1] for key, values in parse_qs(raw.decode("utf-8")).items()}
        authorised = account_sid == fake.account_sid and self._credentials() == (
            fake.account_sid,
            fake.auth_token,
        )
        reply = fake._record(account_sid, form, authorised, int(self.client_address[1]))
        if reply.action == "close":
            self.close_connection = True
            return
        if reply.action == "hang" and fake._stopping.wait(reply.seconds):
            self.close_connection = True
            return
        try:
            self._send(*_as_response(reply), reply.retry_after)
        except OSError:
            # The client gave up (timeout) and closed its end: nothing to answer.
            self.close_connection = True

    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        match = _MESSAGES_PATH.match(parts.path)
        if match is None:
            fake._stray_request(f"GET {self.path}")
            self._send(*_as_response(error_reply(20404, to="")))
            return
        if match["sid"] != fake.account_sid or self._credentials() != (
            fake.account_sid,
            fake.auth_token,
        ):
            self._send(*_as_response(error_reply(20003, to="")))
            return
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        self._send(*_as_response(fake._list(match["sid"], query)))

    def _credentials(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        return user, password

    def _send(self, status: int, body: bytes, retry_after: str | None = None) -> None:
        self.send_response(status)
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
        self.end_headers()
        self.wfile.write(body)


def _as_response(reply: Reply) -> tuple[int, bytes]:
    return reply.status, json.dumps(reply.payload).encode()


@contextmanager
def running_twilio_fake(
    account_sid: str = DEFAULT_ACCOUNT_SID,
    auth_token: str = DEFAULT_AUTH_TOKEN,
    *,
    tls: ssl.SSLContext | None = None,
) -> Iterator[FakeTwilio]:
    """A started fake that, on a clean exit, fails if anything unexpected happened."""
    fake = FakeTwilio(account_sid, auth_token, tls=tls).start()
    try:
        yield fake
    finally:
        fake.stop()
    fake.assert_all_expected()
