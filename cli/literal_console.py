"""The console every command prints through: data shown literally (cli/literal.py)."""

from __future__ import annotations

from rich.console import Console, HighlighterType, JustifyMethod, OverflowMethod
from rich.style import Style
from rich.text import Text

from cli.literal import visible


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
