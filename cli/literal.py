"""Text shown literally: data never becomes markup, emoji or terminal control codes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# C0 and C1 controls (but newline and tab), DEL, and the bidirectional overrides that can
# reorder what a terminal shows (a name could hide or fake text, or colour the screen).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """Text as it is, each control character shown as its escape (\\x1b) instead of obeyed."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line with some words emphasised: plain strings and (text, style) pairs, all literal."""
    from rich.text import Text

    return Text.assemble(
        *(visible(p) if isinstance(p, str) else (visible(p[0]), p[1]) for p in parts)
    )
