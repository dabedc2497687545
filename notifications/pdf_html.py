"""A letter's HTML body as reportlab flowables, in the subset letters use: p, br, b/strong,
i/em, u, h1-h3, ul/ol/li, table (templates/letters/base.html)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from notifications.pdf_text import TABLE_LOOK, TEXT_PT, markup, style

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.IGNORECASE | re.DOTALL)
_INLINE = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u"}
_UNDRAWN = {"head", "title", "style", "script"}  # their text is never printed
_LIST_INDENT_MM = 5
_PARAGRAPH_GAP = TEXT_PT * 0.8  # points
# Blocks as a letter has always looked: 11 pt text, headings in black, not coloured.
_BLOCKS: dict[str, ParagraphStyle] = {}


def _block(tag: str) -> ParagraphStyle:
    if not _BLOCKS:
        _BLOCKS.update(
            p=style(TEXT_PT, spaceAfter=_PARAGRAPH_GAP),
            h1=style(16, spaceBefore=4 * mm, spaceAfter=2 * mm, keepWithNext=1),
            h2=style(13, spaceBefore=4 * mm, spaceAfter=2 * mm, keepWithNext=1),
            h3=style(TEXT_PT, bold=True, spaceBefore=3 * mm, spaceAfter=1 * mm, keepWithNext=1),
            cell=style(TEXT_PT),
        )
    return _BLOCKS.get(tag, _BLOCKS["p"])


def _list_item(depth: int) -> ParagraphStyle:
    indent = depth * _LIST_INDENT_MM * mm
    return style(TEXT_PT, leftIndent=indent, bulletIndent=indent - 4 * mm, spaceAfter=2)


class _Letter(HTMLParser):
    """Reads the body once, turning each block into a paragraph as it closes; inline tags
    become reportlab's own <b>, <i>, <u> and <br/>, and text is escaped for them."""

    def __init__(self, width: float) -> None:
        super().__init__(convert_charrefs=True)  # entities arrive unescaped
        self.width = width
        self.story: list[Flowable] = []
        self.text: list[str] = []  # the open block's markup
        self.open_inline: list[str] = []
        self.block = "p"
        self.lists: list[tuple[str, int]] = []  # per open list: its kind and its items so far
        self.bullet = ""
        self.rows: list[list[Paragraph]] | None = None  # the open table's rows
        self.heading_cells = 0
        self.undrawn = 0  # how deep inside <head>, <style> or <script>

    # reportlab's markup must nest within a paragraph: inline tags still open when a block
    # ends are closed there and opened again in the next.
    def _close_inline(self) -> str:
        return "".join(f"</{t}>" for t in reversed(self.open_inline))

    def _flush(self) -> Paragraph | None:
        text = "".join(self.text)
        self.text = [f"<{t}>" for t in self.open_inline]
        if not re.sub(r"<[^>]*>", "", text).strip():
            return None
        text += self._close_inline()
        if self.bullet:
            drawn = Paragraph(text, _list_item(len(self.lists)), bulletText=self.bullet)
            self.bullet = ""
        else:
            drawn = Paragraph(text, _block("cell" if self.rows is not None else self.block))
        if self.rows is None:
            self.story.append(drawn)
        return drawn

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _UNDRAWN:
            self.undrawn += 1
        elif tag in _INLINE:
            self.open_inline.append(_INLINE[tag])
            self.text.append(f"<{_INLINE[tag]}>")
        elif tag == "br":
            self.text.append("<br/>")
        elif self.rows is not None:
            self._table_tag(tag)
        elif tag in ("p", "h1", "h2", "h3", "div"):
            self._flush()
            self.block = tag
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append((tag, 0))
        elif tag == "li":
            self._flush()
            kind, done = self.lists[-1] if self.lists else ("ul", 0)
            if self.lists:
                self.lists[-1] = (kind, done + 1)
            self.bullet = f"{done + 1}." if kind == "ol" else "-"
        elif tag == "table":
            self._flush()
            self.rows = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _UNDRAWN:
            self.undrawn = max(0, self.undrawn - 1)
        elif tag in _INLINE:
            self._end_inline(_INLINE[tag])
        elif self.rows is not None:
            self._table_tag(f"/{tag}")
        elif tag in ("p", "h1", "h2", "h3", "div", "li"):
            self._flush()
            self.block = "p"
        elif tag in ("ul", "ol") and self.lists:
            self._flush()
            self.lists.pop()
            if not self.lists:  # the paragraph gap after a whole list, as after a paragraph
                self.story.append(Spacer(0, _PARAGRAPH_GAP))

    def _end_inline(self, closing: str) -> None:
        """Close the innermost open `closing`; tags opened inside it (HTML that closes <b>
        before its <i>) are closed first and opened again after, so the markup nests."""
        if closing not in self.open_inline:
            return
        at = len(self.open_inline) - 1 - self.open_inline[::-1].index(closing)
        inside = self.open_inline[at + 1 :]
        self.text.append(
            "".join(f"</{t}>" for t in reversed(inside))
            + f"</{closing}>"
            + "".join(f"<{t}>" for t in inside)
        )
        del self.open_inline[at]

    def _table_tag(self, tag: str) -> None:
        assert self.rows is not None
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._flush()
            if tag == "th":
                self.open_inline.append("b")
                self.text.append("<b>")
        elif tag in ("/td", "/th"):
            if tag == "/th":
                self._end_inline("b")
            if not self.rows:
                self.rows.append([])
            cell = self._flush() or Paragraph("", _block("cell"))
            self.rows[-1].append(cell)
            if tag == "/th" and len(self.rows) == 1:
                self.heading_cells += 1
        elif tag == "/table":
            self._end_table()

    def _end_table(self) -> None:
        rows = [row for row in self.rows or [] if row]
        self.rows = None
        if not rows:
            return
        columns = max(len(row) for row in rows)
        for row in rows:
            row += [Paragraph("", _block("cell"))] * (columns - len(row))
        heading = 1 if self.heading_cells == len(rows[0]) else 0
        drawn = Table(rows, colWidths=[self.width / columns] * columns, repeatRows=heading)
        drawn.setStyle(TABLE_LOOK)
        self.story += [drawn, Spacer(0, _PARAGRAPH_GAP)]
        self.heading_cells = 0

    def handle_data(self, data: str) -> None:
        if not self.undrawn:
            self.text.append(markup(data))

    def close(self) -> None:
        super().close()
        if self.rows is not None:
            self._end_table()
        self._flush()


def letter_story(html: str, width: float) -> list[Flowable]:
    """The flowables of the document's <body> (a <style> or <title> is never drawn as text);
    `width`: the text's width in points, for tables."""
    body = _BODY.search(html)
    reader = _Letter(width)
    reader.feed(body.group(1) if body else html)
    reader.close()
    return reader.story
