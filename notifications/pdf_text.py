"""Text as a PDF prints it: composed (NFC), every character the font lacks spelled, escaped
for reportlab's paragraph markup; and the paragraph and table styles documents share."""

from __future__ import annotations

import unicodedata
from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from notifications.pdf_fonts import FONT_NAMES, drawable

FALLBACK = "?"
TEXT_PT = 11

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
_LAYOUT = frozenset("\n\r\t")


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


@cache
def _printable_characters() -> frozenset[str]:
    return frozenset(chr(c) for c in drawable()) | _LAYOUT


def printable(text: str) -> str:
    """The text as it will print: names composed (NFC, so "ễ" is one glyph) and only a
    character no style of the font draws spelled, so no path drops a letter silently."""
    text = unicodedata.normalize("NFC", text)
    characters = _printable_characters()
    if characters.issuperset(text):
        return text
    return "".join(c if c in characters else spell(c) for c in text)


def markup(text: str) -> str:
    """Plain text as reportlab paragraph markup: printable, with &, < and > escaped."""
    return escape(printable(text))


@cache
def style(
    size: float, bold: bool = False, italic: bool = False, **spacing: float
) -> ParagraphStyle:
    """A black paragraph style in DejaVu Sans (`spacing`: ParagraphStyle's own lengths, in
    points; leading defaults to 1.15 lines)."""
    name = FONT_NAMES[("B" if bold else "") + ("I" if italic else "")]
    drawable()  # the fonts are registered before a paragraph is measured in them
    return ParagraphStyle(
        f"{name}-{size}-{sorted(spacing.items())}",
        fontName=name,
        fontSize=size,
        leading=spacing.pop("leading", size * 1.15),
        **spacing,
    )


# Tables are bordered in black on white, a millimetre of room inside each cell, text centred
# on the row's height (as the pack always looked).
TABLE_LOOK = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.2 * mm, (0, 0, 0)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 1 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 1 * mm),
        ("TOPPADDING", (0, 0), (-1, -1), 1 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1 * mm),
    ]
)
