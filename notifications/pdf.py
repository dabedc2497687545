"""The PDF layer shared by letters and evidence packs: A4, DejaVu Sans, header, page numbers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from io import BytesIO
from typing import Any

from reportlab import rl_config
from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)

from notifications.html_title import html_title
from notifications.pdf_fonts import (
    FONT,
    FONT_FILES,
    FONT_NAMES,
    SHIPPED_FONTS,
    SYSTEM_FONTS,
    font_path,
)
from notifications.pdf_html import letter_story
from notifications.pdf_text import TABLE_LOOK, TEXT_PT, markup, printable, spell
from notifications.pdf_text import style as text_style

__all__ = ["FONT", "FONT_FILES", "SHIPPED_FONTS", "SYSTEM_FONTS", "font_path", "spell"]

# Streams are compressed binary, not also ASCII85-encoded (which adds a quarter to each).
rl_config.useA85 = 0

PAGE_MARGIN_MM = 20
HEADER_MM = 11  # the running header, its rule and the space under it, above the text
LINE_MM = 0.5  # the evidence pack's line height per point of text (5 mm for 10 pt)


class Document:
    """A PDF being written: its flowables in reading order, laid on A4 pages by
    document_bytes, the school's name at the top and "Page n of m" at the foot."""

    def __init__(
        self, header: str, title: str, footer_note: str = "", header_from_page: int = 1
    ) -> None:
        self.header = printable(header)
        self.title = title  # PDF metadata is Unicode: the name exactly as written
        self.footer_note = printable(footer_note)
        # A letter's first page has its own letterhead: the running header starts on page 2.
        self.header_from_page = header_from_page
        self.story: list[Flowable] = []

    def add(self, *flowables: Flowable) -> None:
        self.story.extend(flowables)


def new_document(
    header: str, title: str, footer_note: str = "", header_from_page: int = 1
) -> Document:
    """A document ready to write on."""
    return Document(header, title, footer_note, header_from_page)


class _NumberedCanvas(Canvas):
    """Holds every page back until the last is drawn, so each footer can say "of m"."""

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document = document
        self.held: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self.held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = len(self.held)
        for state in self.held:
            self.__dict__.update(state)
            note = f"{self.document.footer_note}   " if self.document.footer_note else ""
            self.setFont(FONT, 8)
            self.drawCentredString(
                A4[0] / 2, (PAGE_MARGIN_MM - 8.6) * mm, f"{note}Page {self._pageNumber} of {pages}"
            )
            super().showPage()
        super().save()


class _Pages(BaseDocTemplate):
    """A4 pages with 20 mm margins; from `header_from_page` on, a frame shortened for the
    running header, which is drawn as each such page begins."""

    def __init__(self, out: BytesIO, document: Document) -> None:
        super().__init__(
            out,
            pagesize=A4,
            title=document.title,
            creator="attendance-engine",
            leftMargin=PAGE_MARGIN_MM * mm,
            rightMargin=PAGE_MARGIN_MM * mm,
            topMargin=PAGE_MARGIN_MM * mm,
            bottomMargin=PAGE_MARGIN_MM * mm,
            initialFontName=FONT,
        )
        self.document = document
        self.addPageTemplates(
            [
                PageTemplate("plain", [self._frame(0)]),
                PageTemplate("headed", [self._frame(HEADER_MM * mm)], onPage=self._header),
            ]
        )
        self._firstPageTemplateIndex = 1 if document.header_from_page <= 1 else 0

    def _frame(self, header: float) -> Frame:
        return Frame(
            self.leftMargin,
            self.bottomMargin,
            self.width,
            self.height - header,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

    def afterPage(self) -> None:
        following = self.page + 1 >= self.document.header_from_page
        self.handle_nextPageTemplate("headed" if following else "plain")

    def _header(self, canvas: Canvas, _: BaseDocTemplate) -> None:
        if not self.document.header:
            return
        top = A4[1] - PAGE_MARGIN_MM * mm
        canvas.setFont(FONT_NAMES["B"], 9)
        canvas.drawRightString(A4[0] - self.rightMargin, top - 3.6 * mm, self.document.header)
        canvas.setLineWidth(0.2 * mm)
        canvas.line(self.leftMargin, top - 6 * mm, A4[0] - self.rightMargin, top - 6 * mm)


def document_bytes(document: Document) -> bytes:
    """The document laid out on its pages, as a PDF."""
    out = BytesIO()
    _Pages(out, document).build(
        document.story, canvasmaker=partial(_NumberedCanvas, document=document)
    )
    return out.getvalue()


def html_to_pdf(
    html: str, header: str = "", footer_note: str = "", header_from_page: int = 1
) -> bytes:
    """A PDF of an HTML document in the letters' subset: p, br, b/i/u, h1-h3, ul/ol/li, table.

    Only the <body> is drawn; the <title> becomes the PDF's title.
    """
    document = new_document(header, html_title(html), footer_note, header_from_page)
    document.add(*letter_story(html, width=A4[0] - 2 * PAGE_MARGIN_MM * mm))
    return document_bytes(document)


# --- building blocks for documents drawn directly (the evidence pack) ----------------------------


def heading(document: Document, text: str, size: float = 13) -> None:
    """A bold heading with a little space above, kept with at least a few lines below it."""
    document.add(
        CondPageBreak(30 * mm),
        Paragraph(
            markup(text),
            text_style(
                size,
                bold=True,
                leading=size * LINE_MM * mm,
                spaceBefore=3 * mm,
                spaceAfter=1 * mm,
                keepWithNext=1,
            ),
        ),
    )


def paragraph(document: Document, text: str, size: float = TEXT_PT - 1, style: str = "") -> None:
    """A justified paragraph of plain text (`style`: "", "B", "I" or "BI"); a new line stays
    one."""
    lines = "<br/>".join(markup(line) for line in text.splitlines())
    bold, italic, leading = "B" in style, "I" in style, size * LINE_MM * mm
    look = text_style(size, bold=bold, italic=italic, leading=leading, alignment=TA_JUSTIFY)
    document.add(Paragraph(lines, look), Spacer(0, 1 * mm))


def table(
    document: Document,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    col_widths: Sequence[float],
    size: float = 8.5,
) -> None:
    """A bordered table, black on white (colour is for charts only), with a bold heading row
    repeated on every page it spans (`col_widths` in mm)."""
    plain = text_style(size, leading=size * LINE_MM * mm)
    bold = text_style(size, bold=True, leading=size * LINE_MM * mm)
    cells = [[Paragraph(markup(h), bold) for h in headings]]
    cells += [[Paragraph(markup(c), plain) for c in row] for row in rows]
    drawn = Table(cells, colWidths=[w * mm for w in col_widths], repeatRows=1)
    drawn.setStyle(TABLE_LOOK)
    document.add(drawn, Spacer(0, 2 * mm))


@contextmanager
def kept_together(document: Document) -> Iterator[None]:
    """What is added inside stays on one page: moved whole to the next when it does not fit."""
    start = len(document.story)
    yield
    document.story[start:] = [KeepTogether(document.story[start:])]
