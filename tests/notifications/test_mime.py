"""An email's bytes are the stdlib's compat32 bytes, with its short-header shortcut or without."""

from __future__ import annotations

from email.policy import compat32
from random import Random

import pytest

from notifications.channels import mime

STOCK = compat32.clone(linesep="\r\n")
TRICKY = [
    "",
    " ",
    "a",
    "two  spaces",
    " leading and trailing ",
    'quoted "name" <a@b.example>; param=1, x',
    "x" * 68,  # "Subject: " + 68 = 77
    "x" * 69,  # 78: the limit
    "x" * 70,  # 79: folded
    "word " * 20,  # long with spaces: folded at a space
    "Amélie not seen",  # not ASCII
    "tab\there",  # not printable: left to the stdlib
]


@pytest.mark.parametrize("value", TRICKY)
def test_a_header_line_is_what_compat32_writes(value: str) -> None:
    assert mime._CRLF.fold_binary("Subject", value) == STOCK.fold_binary("Subject", value)


def test_random_short_and_long_header_lines_are_what_compat32_writes() -> None:
    random = Random(12)
    alphabet = "abcXYZ019 .,;:<>@\"'()=-_/"
    for _ in range(5000):
        name = random.choice(["To", "Subject", "Message-ID", "X-Attendance-Key"])
        value = "".join(random.choice(alphabet) for _ in range(random.randint(0, 90)))
        assert mime._CRLF.fold_binary(name, value) == STOCK.fold_binary(name, value), value


@pytest.mark.parametrize(
    "subject",
    ["Safeguarding: Amelia not seen by 10:00", "Zoë Ó Súilleabháin: not seen", "long " * 30],
)
def test_a_whole_email_is_byte_for_byte_the_stock_policys(
    monkeypatch: pytest.MonkeyPatch, subject: str
) -> None:
    monkeypatch.setattr(mime, "formatdate", lambda usegmt: "Mon, 23 Nov 2026 10:00:00 GMT")

    def build() -> bytes:
        return mime.email_bytes(
            sender=mime.mailbox("Attendance Office <attendance@la.example>"),
            to="Désirée Lead <dsl@example.org>",
            subject=subject,
            message_id="<k1@la.example>",
            headers={"X-Attendance-Key": "dsl:1:2026-11-23"},
            text="Not seen today.\n" * 3,
            html="<p>Not seen today.</p>",
        )

    ours = build()
    monkeypatch.setattr(mime, "_CRLF", STOCK)
    assert ours == build()
