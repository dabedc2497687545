"""Phone numbers and email addresses checked as things a text or an email can actually reach."""

from __future__ import annotations

import re

import phonenumbers

# The school's own country: a number written without +44 is read as a UK number.
HOME_REGION = "GB"
_TEXTABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,  # some countries cannot tell apart
}
# Ofcom keeps 07700 900000-900999 for drama: never a real family's number, so the demo and the
# tests use it, and phonenumbers (rightly) calls it invalid. Accepted as a mobile.
_DRAMA_MOBILES = re.compile(r"\+447700900\d{3}")
# Deliberately plain: one @, no spaces or control characters, a dotted domain. Whether the
# mailbox exists only the mail server knows; this catches typing and pasting mistakes.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f.]+")


def mobile_number(text: str) -> str:
    """The mobile number in E.164 (+447700900123), or ValueError saying what is wrong.

    Accepts the ways staff write UK mobiles (07700 900123, +44 7700 900123); refuses a
    landline, a number too short or too long, or letters, because a text cannot reach them.
    """
    try:
        number = phonenumbers.parse(text, HOME_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{text!r} is not a phone number") from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if _DRAMA_MOBILES.fullmatch(e164) and number.italian_leading_zero is None:
        return e164
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{text!r} is not a valid phone number")
    if phonenumbers.number_type(number) not in _TEXTABLE:
        raise ValueError(f"{text!r} is not a mobile number: a text cannot reach it")
    return e164


def email_address(text: str) -> str:
    """The address stripped of surrounding space, or ValueError if it cannot be one."""
    address = text.strip()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise ValueError(f"{text!r} is not an email address")
    return address
