"""DejaVu Sans for PDFs, parsed once per process: the whole font, and a European cut of it
that documents use when it draws every character they print (fonts subset ~6x faster)."""

from __future__ import annotations

import copy
import unicodedata
from functools import cache
from io import BytesIO
from pathlib import Path

from fontTools import subset, ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

# Letters carry names as families write them ("Zoë Ó Súilleabháin", "Łukasz Wójcik",
# "Nguyễn Thị Hoa"), so the PDF embeds a Unicode font (subset to the glyphs used) rather
# than a Latin-1 core font. DejaVu Sans: Debian's fonts-dejavu-core where installed, else
# the copy shipped in notifications/fonts/ (its licence, LICENSE there, allows it), so a
# clean machine prints the same letter.
FONT = "dejavu"
SYSTEM_FONTS = Path("/usr/share/fonts/truetype/dejavu")
SHIPPED_FONTS = Path(__file__).parent / "fonts"
FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}

# Tables fpdf2 drops from every embedded subset anyway (fpdf/output.py): leaving them out of the
# font it subsets saves reading them for every document, and changes nothing in the PDF.
_UNEMBEDDED = ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "kern"]
# The cut: Latin with its extensions (Western and Central European names, "Łukasz Wójcik"),
# Latin Extended Additional ("Nguyễn Thị Hoa"), general punctuation, the euro and the pound.
_CUT = [
    *range(0x20, 0x250),
    *range(0x1E00, 0x1F00),
    *range(0x2000, 0x2070),
    0x20AC,
    0x2122,
]


def font_path(style: str, system: Path = SYSTEM_FONTS) -> Path:
    """The DejaVu Sans file for a style ("", "B", "I", "BI"): the system's, else ours."""
    found = system / FONT_FILES[style]
    return found if found.is_file() else SHIPPED_FONTS / FONT_FILES[style]


@cache
def _font_data(style: str, cut: bool) -> bytes:
    """The style's font file as fpdf2 will subset it: without the tables it never embeds,
    and for the cut, only the glyphs of _CUT."""
    font = ttLib.TTFont(str(font_path(style)), recalcTimestamp=False)
    if cut:
        options = subset.Options(
            notdef_outline=True,
            recommended_glyphs=True,
            layout_features=[],
            name_IDs=["*"],
            glyph_names=True,
            hinting=True,
            drop_tables=[*subset.Options().drop_tables, *_UNEMBEDDED],
        )
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=_CUT)
        cutter.subset(font)
    for tag in _UNEMBEDDED:
        if tag in font:
            del font[tag]
    data = BytesIO()
    font.save(data)
    return data.getvalue()


@cache
def _prototype(style: str, cut: bool) -> TTFFont:
    """The style's parsed metrics and character map, read once per process: parsing DejaVu
    took ~20 ms a style for every letter."""
    return TTFFont(FPDF(), BytesIO(_font_data(style, cut)), FONT + style, style)  # type: ignore[arg-type]


@cache
def _cut_characters() -> frozenset[int]:
    return frozenset(_prototype("", True).cmap)


def covers(text: str) -> bool:
    """Whether the cut draws every character of `text` (as printed: composed, NFC)."""
    wanted = _cut_characters()
    return all(ord(c) in wanted or c in "\n\r\t" for c in set(unicodedata.normalize("NFC", text)))


def fresh_font(document: FPDF, style: str, *, cut: bool = False) -> TTFFont:
    """The style's parsed font for one document: shared read-only metrics, and its own
    subset map and font tables (fpdf2 subsets the tables in place when it writes the PDF)."""
    font = copy.copy(_prototype(style, cut))
    font.i = len(document.fonts) + 1
    font.ttfont = ttLib.TTFont(BytesIO(_font_data(style, cut)), recalcTimestamp=False, lazy=True)
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    return font
