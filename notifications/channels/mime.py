"""An outgoing email's bytes: text, optional HTML alternative and headers, with the stdlib."""

from __future__ import annotations

from email.charset import Charset
from email.generator import BytesGenerator
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
from email.utils import formataddr, formatdate, parseaddr
from io import BytesIO
from typing import Any


class _ShortLinesAsGiven(Compat32):
    """compat32, except that a header line already short and plain (printable ASCII within
    the line limit) is written as it is: the Header folding machinery gives it back unchanged
    and was half the cost of building an email. Anything else is folded as before."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        limit = self.max_line_length or 0
        plain = isinstance(value, str) and value.isascii() and value.isprintable()
        if plain and len(name) + 2 + len(value) <= limit:
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


# The stdlib's compat32 classes (email.mime) rather than EmailMessage: the same message, a
# third of the cost (EmailMessage parses every header it is given back into objects and
# encodes bodies in pure Python). compat32 checks less, so what it leaves out is checked
# here: no header may carry a line break, and every non-ASCII word is RFC 2047 encoded.
_CRLF = _ShortLinesAsGiven(linesep="\r\n")
_UTF8 = Charset("utf-8")  # base64 bodies: binascii does it in C
_ASCII = Charset("us-ascii")  # 7bit bodies, readable as they are sent
# RFC 5322 §2.1.1: a line is at most 998 characters; a longer one goes out in base64.
_LONGEST_LINE = 998
# One boundary for every message whose words do not hold it, rather than a random one each:
# for a random boundary the generator compiles a pattern to check no body line matches it,
# and that compile was a third of building an email. ("=_" never occurs in base64.) A
# message that holds it gets the generator's random boundary, checked as before.
_BOUNDARY = "=_attendance-alternative"


def header_value(value: str) -> str | Header:
    """A header's value as sent: refused if it has a line break (header injection),
    RFC 2047 encoded if it is not ASCII."""
    if "\r" in value or "\n" in value:
        raise ValueError("a header value may not contain a line break")
    return value if value.isascii() else Header(value, _UTF8)


def mailbox(address: str) -> str:
    """A To or From header's value: the display name encoded if it is not ASCII; an address
    that is not ASCII is refused (UnicodeError), as it needs SMTPUTF8."""
    header_value(address)
    name, addr = parseaddr(address)
    if not addr:
        raise ValueError(f"no email address in {address!r}")
    return formataddr((name, addr), charset=_UTF8)


def _boundary_for(*bodies: str) -> str | None:
    """The shared boundary, or None (the generator's own) if a body holds it."""
    return None if any(_BOUNDARY in body for body in bodies) else _BOUNDARY


def _body(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    readable = text.isascii() and all(len(line) <= _LONGEST_LINE for line in text.splitlines())
    part.set_payload(text, _ASCII if readable else _UTF8)
    del part["MIME-Version"]  # once, on the message, not on each part
    return part


def email_bytes(
    *,
    sender: str,
    to: str,
    subject: str,
    message_id: str,
    headers: dict[str, str],
    text: str,
    html: str | None,
) -> bytes:
    """The message as sent over SMTP (CRLF line ends): text/plain, or multipart/alternative
    with the HTML after it. `sender` is a formatted mailbox (see `mailbox`); `headers` are
    added after the standard ones. ValueError or UnicodeError: it can never be sent as is."""
    # The message is Any to the type checker: compat32 takes Header objects as header values
    # (the email.header documentation's own use), where typeshed's email.mime says str.
    message: Any
    if html is None:
        message = _body(text, "plain")
    else:
        parts = [_body(text, "plain"), _body(html, "html")]
        message = MIMEMultipart("alternative", boundary=_boundary_for(text, html), _subparts=parts)
        del message["MIME-Version"]  # set below, as for a plain message
    message["MIME-Version"] = "1.0"
    message["Subject"] = header_value(subject)
    message["From"] = sender
    message["To"] = mailbox(to)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = header_value(message_id)
    for name, value in headers.items():
        message[name] = header_value(value)
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_CRLF).flatten(message)
    return out.getvalue()
