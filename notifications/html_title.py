"""A document's <title> as text: a letter's subject line, and its PDF's title."""

from __future__ import annotations

import re
from html import unescape

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def html_title(html: str) -> str:
    """The text of the document's <title>, unescaped, on one line ("" when it has none)."""
    found = _TITLE.search(html)
    return " ".join(unescape(found.group(1)).split()) if found else ""
