"""How the pack words what it shows: free text without contact details, UK times, sessions."""

from __future__ import annotations

import re
from datetime import datetime

from school.clock import SCHOOL_TIME_ZONE

# Free text (staff notes, reasons) may hold a phone number or an email address; the pack goes
# to another organisation, which needs what happened, not how to reach the family.
_PHONE = re.compile(r"\+?\(?\d[\d\s().-]{7,}\d")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_DIGITS = (10, 15)  # UK numbers have 10 or 11 digits, international ones up to 15
LEGAL_KINDS = {
    "notice_to_improve": "Notice to Improve",
    "penalty_notice": "Penalty notice",
    "suspension_penalty_notice": "Suspension penalty notice (s103)",
}


def _number(found: re.Match[str]) -> str:
    text = found.group(0)
    digits = sum(c.isdigit() for c in text)
    # Dates written 2026-01-05 look like numbers to the pattern: they are kept.
    if _ISO_DATE.search(text) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        return text
    return "[number removed]"


def scrub(text: str) -> str:
    """Free text with phone numbers and email addresses taken out."""
    return _EMAIL.sub("[email removed]", _PHONE.sub(_number, text))


def when(instant: datetime) -> str:
    local = instant.astimezone(SCHOOL_TIME_ZONE)
    return f"{local:%a} {local.day} {local:%b %Y} {local:%H:%M}"


def session_word(name: str) -> str:
    return "morning" if name == "AM" else "afternoon"
