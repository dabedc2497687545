"""The PDF layer shared by letters and evidence packs: A4, DejaVu Sans, header, page numbers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from html import unescape
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace, TextStyle

from notifications.html_title import html_title
from notifications.pdf_fonts import (
    FONT,
    FONT_FILES,
    SHIPPED_FONTS,
    SYSTEM_FONTS,
    covers,
    font_path,
    fresh_font,
)

__all__ = ["FONT", "FONT_FILES", "SHIPPED_FONTS", "SYSTEM_FONTS", "font_path"]

FALLBACK = "?"
PAGE_MARGIN_MM = 20
TEXT_PT = 11
BLACK = "#000000"

# Spellings for a character the font has no glyph for (DejaVu has no CJK, for instance):
# the PDF prints the nearest Latin spelling, or "?", rather than an empty box.
_SPELLINGS = {
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Œ": "OE",
    "œ": "oe",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "…": "...",
}
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


def spell(c: str) -> str:
    """A character the font cannot draw, spelled in letters it can (ś → s, 李 → ?)."""
    if c in _SPELLINGS:
        return _SPELLINGS[c]
    if c in _ZERO_WIDTH:
        return ""
    if unicodedata.category(c) == "Zs":
        return " "
    decomposed = "".join(
        d
        for d in unicodedata.normalize("NFKD", c)
        if ord(d) < 0x250 and not unicodedata.combining(d)
    )
    return decomposed or FALLBACK


class Document(FPDF):
    """An A4 portrait page with the school's name at the top and "Page n of m" at the foot."""

    def __init__(
        self,
        header: str,
        title: str,
        footer_note: str = "",
        header_from_page: int = 1,
        text: str | None = None,
    ) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        # Given every character the document will print, the smaller European cut of the
        # font is used where it draws them all (pdf_fonts.covers); else the whole font.
        self.cut = text is not None and covers(f"{text}{header}{footer_note}{title}")
        self.header_text = header
        self.footer_note = footer_note
        # A letter's first page has its own letterhead: the running header starts on page 2.
        self.header_from_page = header_from_page
        self.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=PAGE_MARGIN_MM)
        # Metadata is stored as UTF-16, so the title keeps the name exactly as written.
        self.set_title(title)
        self.set_creator("attendance-engine")
        self.set_font(FONT, size=TEXT_PT)

    def set_font(self, family: str | None = None, style: Any = "", size: float = 0) -> None:
        # Each style is embedded only once it is used (a letter rarely sets italics), from
        # the process's parsed copy of the font rather than the file.
        wanted = (family or self.font_family or "").lower()
        letters = style.style if hasattr(style, "style") else str(style)
        key = wanted + "".join(sorted(c for c in letters.upper() if c in "BI"))
        if wanted == FONT and key not in self.fonts:
            self.fonts[key] = fresh_font(self, key[len(FONT) :], cut=self.cut)
        super().set_font(family, style, size)

    def normalize_text(self, text: str) -> str:
        # Every string fpdf2 writes passes through here (cells, write_html, headers): names
        # are composed (NFC, so "ễ" is one glyph) and only a character the font lacks falls
        # back, so no path drops a letter silently.
        text = unicodedata.normalize("NFC", text)
        cmap = getattr(self.current_font, "cmap", None)
        if cmap is not None and not all(ord(c) in cmap or c in "\n\r\t" for c in text):
            text = "".join(c if ord(c) in cmap or c in "\n\r\t" else spell(c) for c in text)
        return super().normalize_text(text)

    def header(self) -> None:
        if not self.header_text or self.page_no() < self.header_from_page:
            return
        self.set_font(FONT, "B", 9)
        self.cell(0, 5, self.header_text, align="R", new_x="LMARGIN", new_y="NEXT")
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(6)
        self.set_font(FONT, size=TEXT_PT)

    def footer(self) -> None:
        self.set_y(-(PAGE_MARGIN_MM - 5))
        self.set_font(FONT, size=8)
        note = f"{self.footer_note}   " if self.footer_note else ""
        # {nb} is replaced by the page count when the document is output.
        self.cell(0, 5, f"{note}Page {self.page_no()} of {{nb}}", align="C")


def new_document(
    header: str,
    title: str,
    footer_note: str = "",
    header_from_page: int = 1,
    text: str | None = None,
) -> Document:
    """A document with its first page added, ready to write on (`text`: every character it
    will print, when known beforehand)."""
    document = Document(header, title, footer_note, header_from_page, text)
    document.add_page()
    return document


def document_bytes(document: FPDF) -> bytes:
    return bytes(document.output())


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.IGNORECASE | re.DOTALL)

# fpdf2's HTML defaults are dark red headings and red bullets: a letter is black on white.
_TAG_STYLES: dict[str, Any] = {
    "h1": TextStyle(color=BLACK, font_size_pt=16, t_margin=4, b_margin=2),
    "h2": TextStyle(color=BLACK, font_size_pt=13, t_margin=4, b_margin=1),
    "h3": TextStyle(color=BLACK, font_size_pt=TEXT_PT, font_style="B", t_margin=3, b_margin=1),
    "a": FontFace(color=BLACK),
}


def html_to_pdf(
    html: str, header: str = "", footer_note: str = "", header_from_page: int = 1
) -> bytes:
    """A PDF of an HTML document in the subset fpdf2 draws: p, br, b/i/u, h1-h3, ul/ol/li, table.

    Only the <body> is drawn (fpdf2 would print a <style> block as text); the <title>
    becomes the PDF's title.
    """
    body = _BODY.search(html)
    text = unescape(body.group(1) if body else html)
    document = new_document(header, html_title(html), footer_note, header_from_page, text)
    document.write_html(
        body.group(1) if body else html,
        font_family=FONT,
        tag_styles=_TAG_STYLES,
        li_prefix_color=(0, 0, 0),
        ul_bullet_char="-",
        warn_on_tags_not_matching=False,
    )
    return document_bytes(document)


# --- building blocks for documents drawn directly (the evidence pack) ----------------------------


def heading(document: FPDF, text: str, size: float = 13) -> None:
    """A bold heading with a little space above, kept with at least a few lines below it."""
    if document.get_y() > document.h - PAGE_MARGIN_MM - 30:
        document.add_page()
    document.ln(3)
    document.set_font(FONT, "B", size)
    document.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    document.ln(1)
    document.set_font(FONT, size=TEXT_PT - 1)


def paragraph(document: FPDF, text: str, size: float = TEXT_PT - 1, style: str = "") -> None:
    document.set_font(FONT, style, size)
    document.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    document.ln(1)
    document.set_font(FONT, size=TEXT_PT - 1)


def table(
    document: FPDF,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    col_widths: Sequence[float],
    size: float = 8.5,
) -> None:
    """A bordered table, black on white (colour is for charts only), with a bold heading row
    repeated on every page it spans."""
    document.set_font(FONT, size=size)
    document.set_text_color(0)
    document.set_draw_color(0)
    with document.table(
        headings_style=FontFace(emphasis="BOLD", color=0, fill_color=None),
        cell_fill_color=None,
        col_widths=tuple(col_widths),
        text_align="LEFT",
        line_height=size * 0.5,
        padding=1,
        width=document.epw,
    ) as drawn:
        drawn.row(headings)
        for row in rows:
            drawn.row(row)
    document.ln(2)
    document.set_font(FONT, size=TEXT_PT - 1)
