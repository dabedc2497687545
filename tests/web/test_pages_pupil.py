"""The pupil page, its letters and the legal actions page over HTTP."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from html import escape

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session, col

from cases.legal.notice_to_improve import issue_notice_to_improve
from cases.legal.refusals import LegalActionRefused
from cases.models import LegalAction, LegalRefusal
from school.accounts import add_account
from school.clock import FixedClock
from school.models import AttendanceMark
from school.policy_files import bundled_policy, load_policy
from school.schools import set_up_school
from school.statistics import attendance_statistics
from tests.conftest import CALENDAR
from tests.register_files import upn
from tests.web.pages_world import OTHER_SCHOOL, PASSWORD, ROLE_NAMES, log_in, web_app, world
from tests.web.pupil_world import LETTER_HTML, pupil_world

__all__ = ["pupil_world", "web_app", "world"]
OFFICE, PASTORAL, HEAD = ROLE_NAMES["office"], ROLE_NAMES["pastoral"], ROLE_NAMES["head"]


def test_the_pupil_page_shows_the_year_figures_contacts_case_letters_and_notices(
    web_app: TestClient, pupil_world: dict[str, object], session: Session
) -> None:
    log_in(web_app, PASTORAL)
    page = web_app.get(f"/pupils/{pupil_world['upn']}")
    assert page.status_code == 200, page.text
    text = page.text
    # The DfE figures are the ones `attendance stats` gives, to the same day.
    figures = {
        f.upn: f for f in attendance_statistics(session, "emmanuel-middle", date(2026, 11, 23))
    }
    mine = figures[str(pupil_world["upn"])]
    assert f"{mine.attendance_pct:.1f}%</span> attendance" in text
    assert f"{mine.possible_sessions}</span> possible sessions" in text
    assert f"{mine.unauthorised_sessions}</span> unauthorised absence" in text
    assert mine.persistent_absence and "Persistent absence" in text
    # Calendar: each half carries its colour key, its code as text, and its meaning.
    assert re.search(r'class="half k-unauthorised" title="Mon 5 Oct AM: G [^"]+">G', text)
    assert re.search(r'class="half k-authorised" title="Wed 16 Sep PM: I [^"]+">I', text)
    assert re.search(r'class="half k-aea" title="Thu 24 Sep AM: P [^"]+">P', text)
    assert re.search(r'class="half k-not-counted" title="Wed 4 Nov AM: X [^"]+">X', text)
    assert re.search(r'class="half k-present" title="Wed 11 Nov AM: L [^"]+">L', text)
    assert 'title="Mon 23 Nov AM: N' in text  # today's N, still to be explained
    assert "Sat 26: no school" in text and "Approved educational activity</li>" in text
    # The weekly line: an SVG with its bands, and the last week's figure is the year's.
    assert '<svg class="chart"' in text and 'class="band low"' in text and ">90%</text>" in text
    last = re.findall(r"<tr><td>[^<]+</td><td>([\d.]+)%</td></tr>", text)[-1]
    assert last == f"{mine.attendance_pct:.1f}"
    # Contacts with parental responsibility said in words.
    pr = r'</td><td data-label="Relationship">{}</td><td data-label="Parental responsibility">'
    assert re.search("Mum One" + pr.format("Mother") + "Yes", text)
    assert re.search("Gran One" + pr.format("Grandmother") + "No", text)
    # Case timeline, letters, legal actions.
    assert f'href="/cases/{pupil_world["case"]}"' in text and "A term-time holiday" in text
    assert f'href="/letters/{pupil_world["letter"]}.pdf"' in text and "88.2%" in text
    assert "Notice to Improve" in text and "Outcome due 21 Nov 2026" in text
    assert "£160 (£80 if paid early)" in text and "Payment due by 2 Dec 2026" in text


def test_the_office_sees_the_pupil_and_contacts_but_not_the_parents_notices(
    web_app: TestClient, pupil_world: dict[str, object]
) -> None:
    log_in(web_app, OFFICE)
    text = web_app.get(f"/pupils/{pupil_world['upn']}").text
    assert "Mum One" in text and "+447700900101" in text and "Attendance concern" in text
    assert "Legal actions" not in text and "£160" not in text and "Notice to Improve" not in text


def test_a_wrong_upn_or_school_is_a_clear_refusal(
    web_app: TestClient, pupil_world: dict[str, object]
) -> None:
    log_in(web_app, OFFICE)
    missing = web_app.get(f"/pupils/{upn(99)}")
    assert missing.status_code == 404 and f"no pupil {upn(99)}" in missing.text
    garbled = web_app.get("/pupils/not-a-upn")
    assert garbled.status_code == 404 and "is not 13 characters" in garbled.text
    elsewhere = web_app.get(f"/pupils/{pupil_world['upn']}?school=kts-academy")
    assert elsewhere.status_code == 403 and "does not cover that school" in elsewhere.text


def test_a_letter_is_shown_as_stored_and_printed_from_the_stored_copy(
    web_app: TestClient, pupil_world: dict[str, object], session: Session
) -> None:
    # The register changes after the letter was decided: the letter does not.
    for mark in session.scalars(
        select(AttendanceMark).where(col(AttendanceMark.pupil_id) == pupil_world["pupil"])
    ):
        mark.code = "/"
        session.add(mark)
    session.commit()
    log_in(web_app, PASTORAL)
    html = web_app.get(f"/letters/{pupil_world['letter']}")
    assert html.status_code == 200 and html.text == LETTER_HTML
    assert "sandbox" in html.headers["content-security-policy"]
    assert "script-src" not in html.headers["content-security-policy"]
    pdf = web_app.get(f"/letters/{pupil_world['letter']}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "88.2% as of 13 November 2026" in words and "Dear Mum One" in words
    for path in ("/letters/99999", "/letters/99999.pdf"):
        gone = web_app.get(path)
        assert gone.status_code == 404 and "no letter 99999" in gone.text


def test_the_legal_page_shows_notices_their_dates_amounts_and_decisions_due(
    web_app: TestClient, pupil_world: dict[str, object]
) -> None:
    log_in(web_app, HEAD)
    page = web_app.get("/legal")
    assert page.status_code == 200
    text = page.text
    assert 'aria-current="page">Legal actions' in text
    assert 'Notices to Improve and penalty notices <span class="count">(2)' in text
    assert "In its improvement period" in text and "Improvement period to 20 Nov 2026" in text
    assert "Issued, awaiting payment" in text and "Received 4 Nov 2026" in text
    assert "Payment due by 2 Dec 2026" in text and "Not paid" in text
    assert "issue by Bedford Borough Council: Issued by the local authority" in text
    # The NTI's period ended on Friday: its outcome is due (as `attendance legal due`).
    assert 'Decisions due on Monday 23 November 2026 <span class="count">(1)' in text
    assert "NTI outcome due: Notice to Improve" in text
    assert f'href="/pupils/{pupil_world["upn"]}?school=emmanuel-middle"' in text


def test_a_refused_notice_is_kept_with_its_rule_and_shown(
    web_app: TestClient, pupil_world: dict[str, object], session: Session
) -> None:
    """Asking for a second Notice to Improve while the first is in its improvement period is
    refused by the law; the refusal is kept and shown on the legal and pupil pages."""
    pupil_id = int(str(pupil_world["pupil"]))
    clock = FixedClock(datetime(2026, 11, 23, 12, tzinfo=UTC))
    with pytest.raises(LegalActionRefused) as refused:
        issue_notice_to_improve(
            session, pupil_id, "Mum One", "Hal Head, Headteacher", date(2026, 11, 23), clock=clock
        )
    kept = session.scalars(select(LegalRefusal)).one()
    assert kept.reason == refused.value.reason and kept.kind == "notice_to_improve"
    assert (kept.pupil_id, kept.parent, kept.asked_for) == (pupil_id, "Mum One", date(2026, 11, 23))
    # Nothing else of the refused notice was written.
    assert len(session.scalars(select(LegalAction)).all()) == 2
    log_in(web_app, HEAD)
    for path in ("/legal", f"/pupils/{pupil_world['upn']}"):
        text = web_app.get(path).text
        assert "<strong>Notice to Improve</strong> to Mum One" in text, path
        assert f"<strong>Rule:</strong> {escape(kept.reason)}" in text, path
    assert 'Refused <span class="count">(1)' in web_app.get("/legal").text


def test_a_pupil_is_found_by_part_of_a_name_or_by_upn(
    web_app: TestClient, pupil_world: dict[str, object]
) -> None:
    log_in(web_app, OFFICE)
    link = f'href="/pupils/{pupil_world["upn"]}?school=emmanuel-middle"'
    for asked in ("pupil1", "PUPIL1 test", "  test   pupil1 ", str(pupil_world["upn"])):
        page = web_app.get("/pupils", params={"q": asked})
        assert page.status_code == 200 and link in page.text, asked
        assert "1 found for" in page.text, asked
    both = web_app.get("/pupils", params={"q": "test"}).text
    assert "2 found for" in both and both.index("Pupil1") < both.index("Pupil2")
    for asked in ("nobody", "%", "_upil1"):  # wildcards are letters here, not patterns
        page = web_app.get("/pupils", params={"q": asked})
        assert page.status_code == 200 and "No pupil's name or UPN matches" in page.text
    assert "found for" not in web_app.get("/pupils").text
    too_long = web_app.get("/pupils", params={"q": "pupil1" + "x" * 500})
    assert too_long.status_code == 200 and "0 found for" in too_long.text


def test_staff_of_another_school_see_none_of_this_schools_pupils_letters_or_notices(
    web_app: TestClient, pupil_world: dict[str, object], session: Session
) -> None:
    when = FixedClock(datetime(2026, 11, 23, 10, tzinfo=UTC))
    set_up_school(
        session, OTHER_SCHOOL, load_policy(bundled_policy(OTHER_SCHOOL)), CALENDAR.read_text(),
        str(CALENDAR), when,
    )  # fmt: skip
    session.commit()
    add_account(session, "Kit Other", "head", [OTHER_SCHOOL], PASSWORD, "test", when)
    log_in(web_app, "Kit Other")
    upn_here = pupil_world["upn"]
    assert web_app.get(f"/pupils/{upn_here}").status_code == 404
    assert web_app.get(f"/pupils/{upn_here}?school=emmanuel-middle").status_code == 403
    assert "found for" in (found := web_app.get("/pupils", params={"q": "pupil"}).text)
    assert "Pupil1" not in found
    for path in (f"/letters/{pupil_world['letter']}", f"/letters/{pupil_world['letter']}.pdf"):
        assert web_app.get(path).status_code == 404, path
    legal = web_app.get("/legal").text
    assert "Mum One" not in legal and "Dad Two" not in legal and "(0)" in legal
