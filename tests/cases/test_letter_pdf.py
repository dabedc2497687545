"""A letter's PDF: every word of its HTML printed in order, pages numbered "n of m", the
running header from page 2, tables, and characters the font lacks spelled."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from notifications import pdf_fonts
from notifications.letters import (
    NOTICE_TO_IMPROVE,
    html_to_text,
    render_letter_html,
    render_letter_pdf,
)
from notifications.pdf import spell
from tests.cases.test_letters import (
    POLICY_LETTERS,
    pdftotext,
    sample_context,
    sample_notice,
    school_name,
)


def pages_words(pdf: bytes) -> list[list[str]]:
    return [page.extract_text().split() for page in PdfReader(io.BytesIO(pdf)).pages]


def body_words(pdf: bytes, header: str) -> list[str]:
    """The words the letter's own HTML put on its pages: each page's footer ("Page n of m")
    and, from page 2, the running header checked and taken off."""
    pages = pages_words(pdf)
    words: list[str] = []
    for n, page in enumerate(pages, 1):
        footer = ["Page", str(n), "of", str(len(pages))]
        assert page[-4:] == footer, page[-8:]
        page = page[:-4]
        if n > 1:
            assert page[: len(header.split())] == header.split(), page[:8]
            page = page[len(header.split()) :]
        words += page
    return words


def letter(paragraphs: list[str], title: str = "A long letter") -> str:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


LETTERS = [
    *[(school, name, sample_context(school)) for school, name in POLICY_LETTERS],
    ("basildon-lower", NOTICE_TO_IMPROVE, sample_notice("basildon-lower")),
]


@pytest.mark.parametrize(("school_id", "name", "context"), LETTERS)
def test_every_word_of_the_html_prints_in_order(
    school_id: str, name: str, context: dict[str, object]
) -> None:
    """A paragraph, list item or line dropped or moved would show here ("-" is a bullet)."""
    html = render_letter_html(school_id, name, context)
    header = school_name(school_id)
    printed = body_words(render_letter_pdf(html, header=header), header)
    written = html_to_text(html).split()
    assert [w for w in printed if w != "-"] == [w for w in written if w != "-"]


def test_a_long_letter_numbers_its_pages_and_heads_pages_two_on() -> None:
    paragraphs = [
        f"Paragraph {n} of the long letter: every school day matters, and a day missed "
        "here and there adds up over a year to weeks of learning that are hard to make up."
        for n in range(1, 56)
    ]
    header = "Long Lane Primary School"
    pdf = render_letter_pdf(letter(paragraphs), header=header)
    pages = [" ".join(words) for words in pages_words(pdf)]
    assert len(pages) == 3
    for n, text in enumerate(pages, 1):
        assert text.endswith(f"Page {n} of 3")
        assert text.startswith(header) == (n > 1)
    assert body_words(pdf, header) == " ".join(paragraphs).split()


def test_a_table_in_a_letter_prints_every_cell_by_row() -> None:
    html = letter(
        [
            "Missed sessions:</p><table><tr><th>Date</th><th>Session</th></tr>"
            "<tr><td>Monday 2 March</td><td>morning</td></tr>"
            "<tr><td>Tuesday 3 March</td><td>afternoon &amp; evening</td></tr></table><p>"
            "Thank you."
        ],
        title="Sessions",
    )
    text = " ".join(" ".join(words) for words in pages_words(render_letter_pdf(html)))
    assert text.startswith(
        "Missed sessions: Date Session Monday 2 March morning Tuesday 3 March afternoon & "
        "evening Thank you."
    )


def test_characters_the_font_lacks_are_spelled_in_header_body_and_title() -> None:
    line = "<b>李</b> Wei has missed sessions this term, and we would like to talk about them."
    pdf = render_letter_pdf(letter([line] * 60, title="李 Wei"), header="李 Academy")
    pages = [" ".join(words) for words in pages_words(pdf)]
    assert len(pages) >= 2
    assert pages[0].startswith("? Wei has missed sessions this term")
    assert pages[1].startswith("? Academy ? Wei has missed")
    assert "李" not in "".join(pages)
    # The title is metadata, not drawn: it keeps the name exactly as written.
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "李 Wei"


@pytest.mark.parametrize(
    ("character", "spelled"),
    [("李", "?"), ("ℊ", "g"), ("\u200b", ""), ("\u2002", " "), ("Œ", "OE")],
)
def test_spell(character: str, spelled: str) -> None:
    assert spell(character) == spelled


def test_the_fonts_are_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    render_letter_pdf(letter(["The first letter reads the fonts, if none before it did."]))

    def read_again(*args: object) -> None:
        raise AssertionError("DejaVu Sans read a second time")

    monkeypatch.setattr(pdf_fonts, "TTFont", read_again)
    assert render_letter_pdf(letter(["The second does not."])).startswith(b"%PDF")


def test_the_same_letter_twice_reads_the_same_and_reuses_its_font_subsets(
    tmp_path: Path,
) -> None:
    def drawn(given: str, family: str) -> bytes:
        context = sample_context("micklefield", child_first_name=given, child_family_name=family)
        html = render_letter_html("micklefield", "micklefield/letter_one", context)
        return render_letter_pdf(html, header="Micklefield CE Primary Academy")

    first = pdftotext(drawn("Zoë", "Ó Súilleabháin"), tmp_path)
    other = pdftotext(drawn("Łukasz", "Wójcik"), tmp_path)
    made = pdf_fonts._subset.cache_info()
    again = pdftotext(drawn("Zoë", "Ó Súilleabháin"), tmp_path)
    remembered = pdf_fonts._subset.cache_info()
    assert again == first and "Zoë Ó Súilleabháin" in first
    assert "Łukasz Wójcik" in other and "Zoë" not in other
    # Its regular and bold subsets were made for the first letter, not again for this one.
    assert remembered.hits - made.hits == 2 and remembered.misses == made.misses


def test_numbered_lists_and_tags_closed_out_of_order_print_every_word() -> None:
    html = letter(
        [
            "<b>Bold <i>both</b> italic</i> plain.</p><ol><li>First step</li>"
            "<li>Second step<ul><li>a detail</li></ul></li></ol><p>After the list."
        ]
    )
    text = " ".join(" ".join(words) for words in pages_words(render_letter_pdf(html)))
    assert text.startswith(
        "Bold both italic plain. 1. First step 2. Second step - a detail After the list."
    )
