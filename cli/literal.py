"""Text shown literally: data never becomes markup, emoji or terminal control codes."""

from __future__ import annotations

import re

from rich.console import Console, HighlighterType, JustifyMethod, OverflowMethod
from rich.style import Style
from rich.text import Text

# C0 and C1 controls (but newline and tab), DEL, and the bidirectional overrides that can
# reorder what a terminal shows (a name could hide or fake text, or colour the screen).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """Text as it is, each control character shown as its escape (\\x1b) instead of obeyed."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class LiteralConsole(Console):
    """A console that prints every string literally: names, notes and policies are data, so
    `[/]` is not markup, `:100:` is not an emoji and an escape code is shown, not obeyed. Every
    string rich prints (print, tables' cells and titles, rules) passes through render_str;
    emphasis is given with style= or `styled`, never with markup."""

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        emoji: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        highlighter: HighlighterType | None = None,
    ) -> Text:
        return super().render_str(
            visible(text),
            style=style,
            justify=justify,
            overflow=overflow,
            emoji=False,
            markup=False,
            highlight=highlight,
            highlighter=highlighter,
        )


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line with some words emphasised: plain strings and (text, style) pairs, all literal."""
    return Text.assemble(
        *(visible(p) if isinstance(p, str) else (visible(p[0]), p[1]) for p in parts)
    )
