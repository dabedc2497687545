"""DejaVu Sans for PDFs: its four styles registered with reportlab once per process, the
characters all four can draw, and each distinct font subset made and compressed once."""

from __future__ import annotations

import zlib
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace

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
        # reportlab parses the face itself; it becomes the remembering kind (no new state).
        font.face.__class__ = _RememberingFace
        pdfmetrics.registerFont(font)
        glyphs = frozenset(font.face.charToGlyph)
        covered = glyphs if covered is None else covered & glyphs
    for bold, italic, style in ((0, 0, ""), (1, 0, "B"), (0, 1, "I"), (1, 1, "BI")):
        addMapping(FONT, bold, italic, FONT_NAMES[style])
    return covered or frozenset()


class _RememberingFace(TTFontFace):
    """A style that makes each distinct subset of its glyphs, and compresses it, once per
    process. Letters share most subsets (reportlab gives ASCII fixed codes, so only the order
    of a letter's first few other characters tells two apart), and making and compressing
    two ~36 KB subsets was a third of every letter's time."""

    def makeSubset(self, subset: list[int]) -> bytes:
        return _subset(self, tuple(subset))

    def addSubsetObjects(self, doc: Any, fontname: str, subset: list[int]) -> Any:
        descriptor = super().addSubsetObjects(doc, fontname, subset)
        # The subset's stream, under the name reportlab registers it by.
        font_file = doc.idToObject.get(f"fontFile:{self.filename}({fontname})")
        if font_file is not None and font_file.filters == [pdfdoc.PDFZCompress]:
            font_file.filters = [_REMEMBERED_FLATE]
        return descriptor


@lru_cache(maxsize=64)
def _subset(face: TTFontFace, subset: tuple[int, ...]) -> bytes:
    return TTFontFace.makeSubset(face, list(subset))


@lru_cache(maxsize=64)
def _compressed(data: bytes) -> bytes:
    return zlib.compress(data)


class _RememberedFlate(pdfdoc.PDFStreamFilterZCompress):
    """FlateDecode that compresses the same font subset (the same bytes object, from
    _subset) once."""

    def encode(self, text: bytes | str) -> bytes:
        return _compressed(text) if isinstance(text, bytes) else super().encode(text)


_REMEMBERED_FLATE = _RememberedFlate()
