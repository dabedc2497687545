"""DejaVu Sans for PDFs: its four styles registered with reportlab once per process, and the
characters all four can draw."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# Letters carry names as families write them ("Zoë Ó Súilleabháin", "Łukasz Wójcik",
# "Nguyễn Thị Hoa"), so the PDF embeds a Unicode font (subset to the glyphs used) rather
# than a Latin-1 core font. DejaVu Sans: Debian's fonts-dejavu-core where installed, else
# the copy shipped in notifications/fonts/ (its licence, LICENSE there, allows it), so a
# clean machine prints the same letter.
FONT = "DejaVuSans"
SYSTEM_FONTS = Path("/usr/share/fonts/truetype/dejavu")
SHIPPED_FONTS = Path(__file__).parent / "fonts"
FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
# reportlab's name for each style's font; <b> and <i> in a paragraph pick them by family.
FONT_NAMES = {"": FONT, "B": f"{FONT}-Bold", "I": f"{FONT}-Oblique", "BI": f"{FONT}-BoldOblique"}


def font_path(style: str, system: Path = SYSTEM_FONTS) -> Path:
    """The DejaVu Sans file for a style ("", "B", "I", "BI"): the system's, else ours."""
    found = system / FONT_FILES[style]
    return found if found.is_file() else SHIPPED_FONTS / FONT_FILES[style]


@cache
def drawable() -> frozenset[int]:
    """Register the four styles (parsing a style costs ~20 ms: once per process) and answer
    the code points every one of them has a glyph for, so a character prints in any style."""
    covered: frozenset[int] | None = None
    for style, name in FONT_NAMES.items():
        font = TTFont(name, str(font_path(style)))
        pdfmetrics.registerFont(font)
        glyphs = frozenset(font.face.charToGlyph)
        covered = glyphs if covered is None else covered & glyphs
    for bold, italic, style in ((0, 0, ""), (1, 0, "B"), (0, 1, "I"), (1, 1, "BI")):
        addMapping(FONT, bold, italic, FONT_NAMES[style])
    return covered or frozenset()
