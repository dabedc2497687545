"""The fields of Twilio's webhooks, checked against what Twilio sends before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import ImmutableMultiDict

# Twilio's sids are two letters and 32 hex digits; tests and older accounts use other ids, so
# the rule is the safe superset: letters, digits, - and _, as long as the column holds.
_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# "+447700900123", "whatsapp:+44…", a short code: printable, no spaces at the ends.
_SENDER = re.compile(r"[\w:+.@()-]{1,40}")
_STATUS = re.compile(r"[a-z_]{1,20}")
_ERROR_CODE = re.compile(r"[0-9]{1,10}")
# An SMS reply is at most 1,600 characters (ten segments); anything far longer is not one.
MAX_BODY = 4000
# Control characters a phone never sends, kept out of what staff read; newlines and tabs stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FieldRefused(ValueError):
    """A field Twilio would never send: the request is answered 400 and nothing is stored."""


@dataclass(frozen=True)
class InboundSms:
    sid: str
    sender: str
    body: str


@dataclass(frozen=True)
class DeliveryStatus:
    sid: str
    status: str
    error_code: str | None


def inbound_sms(form: ImmutableMultiDict[str, str]) -> InboundSms:
    body = _field(form, "Body")
    if len(body) > MAX_BODY:
        raise FieldRefused(f"Body is {len(body)} characters, more than {MAX_BODY}")
    return InboundSms(
        _matching(form, "MessageSid", _SID),
        _matching(form, "From", _SENDER),
        _CONTROL.sub("", body),
    )


def delivery_status(form: ImmutableMultiDict[str, str]) -> DeliveryStatus:
    error_code = _field(form, "ErrorCode")
    if error_code and not _ERROR_CODE.fullmatch(error_code):
        raise FieldRefused("ErrorCode is not a Twilio error code")
    return DeliveryStatus(
        _matching(form, "MessageSid", _SID),
        _matching(form, "MessageStatus", _STATUS),
        error_code or None,
    )


def _field(form: ImmutableMultiDict[str, str], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _matching(form: ImmutableMultiDict[str, str], name: str, pattern: re.Pattern[str]) -> str:
    value = _field(form, name)
    if not pattern.fullmatch(value):
        raise FieldRefused(f"{name} is missing or not in Twilio's form")
    return value
