"""What the fake Twilio answers with: recorded messages, error bodies and message resources."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate
from typing import Literal

ERRORS: dict[int, tuple[int, str]] = {
    # code: (HTTP status, Twilio's message)
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21408: (400, "Permission to send an SMS has not been enabled for the region {to}"),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number {to} is not a valid mobile number"),
}
CODE_FOR_STATUS = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}


@dataclass(frozen=True)
class RecordedMessage:
    """One POST to the Messages endpoint, whatever the fake answered."""

    to: str
    from_: str
    body: str
    status_callback: str | None
    account_sid: str
    received_at: float  # time.time()
    response_status: int | None  # None: the connection was closed without a reply
    sid: str | None  # set when Twilio would hold the message (accepted, or reply lost)
    from_number: str = ""
    peer_port: int = 0  # the client's end of the connection it came on (keep-alive reuse)


@dataclass
class Reply:
    status: int
    payload: dict[str, object]
    action: Literal["reply", "hang", "close"] = "reply"
    seconds: float = 0.0
    retry_after: str | None = None  # the Retry-After header, if any


@dataclass
class Script:
    """What the fake does with matching requests instead of accepting them."""

    to: str | None
    action: Literal["fail", "hang", "close"]
    status: int = 0
    code: int | None = None
    message: str | None = None
    seconds: float = 0.0
    times: int | None = None  # None: every matching request
    retry_after: str | None = None  # sent with a failure as the Retry-After header

    def applies(self, to: str) -> bool:
        return (self.to is None or self.to == to) and (self.times is None or self.times > 0)


def error_reply(code: int, *, to: str, status: int | None = None, text: str | None = None) -> Reply:
    known_status, template = ERRORS.get(code, (status or 400, "Error"))
    return Reply(
        status or known_status,
        {
            "code": code,
            "message": text or template.format(to=to),
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status or known_status,
        },
    )


def list_date(value: str | None) -> float | None:
    """DateSent> as the SDK sends it (YYYY-MM-DDTHH:MM:SSZ) or as Twilio documents it
    (YYYY-MM-DD), as a time.time() instant."""
    if not value:
        return None
    value = value.removesuffix("Z")
    parsed = datetime.fromisoformat(value if "T" in value else value + "T00:00:00")
    return parsed.replace(tzinfo=UTC).timestamp()


def listed(account_sid: str, message: RecordedMessage) -> dict[str, object]:
    """A held message as the list shows it: sent, with its sent date."""
    sent = format_datetime(datetime.fromtimestamp(message.received_at, UTC))
    resource = message_resource(
        account_sid, {"To": message.to, "From": message.from_number, "Body": message.body}
    )
    sid = message.sid or ""
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"
    return resource | {"sid": sid, "status": "sent", "date_sent": sent, "uri": uri}


def message_resource(account_sid: str, form: dict[str, str]) -> dict[str, object]:
    """The JSON Twilio returns for a newly queued message."""
    sid = "SM" + secrets.token_hex(16)
    now = formatdate(usegmt=True).replace("GMT", "+0000")
    body = form.get("Body", "")
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "num_media": "0",
        "num_segments": str(max(1, -(-len(body) // 160))),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"
        },
        "to": form.get("To"),
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
    }
