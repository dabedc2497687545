"""Reports over HTTP: the absence lists, cohorts, trend and CSVs agree with `attendance stats`."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlmodel import Session

from school.schools import load_school
from school.statistics import statistics_for
from tests.register_files import upn
from tests.web.pages_world import ROLE_NAMES, log_in, web_app
from tests.web.reports_world import FRIDAY, reports_world

__all__ = ["reports_world", "web_app"]

AS_OF = f"as_of={FRIDAY.isoformat()}"


def _csv(client: TestClient, table: str) -> tuple[list[list[str]], str, str]:
    answer = client.get(f"/reports/{table}.csv?{AS_OF}")
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8"))))
    return rows, answer.headers["content-type"], answer.headers["content-disposition"]


def test_absence_lists_lowest_first_with_severe_apart(
    web_app: TestClient, reports_world: str
) -> None:
    assert log_in(web_app, ROLE_NAMES["pastoral"]) == 303
    rows, kind, disposition = _csv(web_app, "persistent")
    assert kind.startswith("text/csv")
    assert disposition == f'attachment; filename="{reports_world}-persistent-2026-11-20.csv"'
    assert rows[0] == ["UPN", "Pupil", "Year", "Attendance", "Possible", "Absent", "Unauthorised"]
    assert [r[0] for r in rows[1:]] == [upn(13), upn(14), upn(12)]  # 40%, 80%, 90%
    assert rows[1][3:] == ["40.0%", "10", "6", "0"]
    assert rows[3][3:] == ["90.0%", "10", "1", "1"]
    severe, _, _ = _csv(web_app, "severe")
    assert [r[0] for r in severe[1:]] == [upn(13)]


def test_a_cell_that_looks_like_a_formula_is_kept_as_text(
    web_app: TestClient, reports_world: str
) -> None:
    assert log_in(web_app, ROLE_NAMES["office"]) == 303
    rows, _, _ = _csv(web_app, "persistent")
    assert rows[2][1] == "'=HYPERLINK(1) Test"
    page = web_app.get(f"/reports?{AS_OF}")
    assert "=HYPERLINK(1) Test" in page.text  # the page shows the name as it is


def test_cohorts_and_weeks_sum_exact_sessions(web_app: TestClient, reports_world: str) -> None:
    assert log_in(web_app, ROLE_NAMES["head"]) == 303
    cohorts, _, _ = _csv(web_app, "cohorts")
    by_name = {r[0]: r[1:] for r in cohorts[1:]}
    assert by_name["Whole school"] == ["4", "77.5%", "3", "1"]  # 31 of 40 sessions
    assert by_name["Free school meals"] == ["1", "100.0%", "0", "0"]
    assert by_name["SEND (EHCP or SEN support)"] == ["1", "90.0%", "1", "0"]
    assert by_name["Social worker"] == ["1", "40.0%", "1", "1"]
    assert by_name["Looked after"] == ["0", "—", "0", "0"]
    assert by_name["Year group Y7"] == ["2", "95.0%", "1", "0"]
    assert by_name["Year group Y8"] == ["2", "60.0%", "2", "1"]
    weeks, _, _ = _csv(web_app, "weekly")
    assert weeks[1:] == [["2026-11-16", "40", "31", "77.5%"]]


def test_the_lists_are_the_figures_of_attendance_stats(
    web_app: TestClient, reports_world: str, session: Session
) -> None:
    assert log_in(web_app, ROLE_NAMES["dsl"]) == 303
    figures = statistics_for(session, load_school(session, reports_world), FRIDAY)
    rows, _, _ = _csv(web_app, "persistent")
    assert {r[0] for r in rows[1:]} == {f.upn for f in figures if f.persistent_absence}
    severe, _, _ = _csv(web_app, "severe")
    assert {r[0] for r in severe[1:]} == {f.upn for f in figures if f.severe_absence}
    # On the page each listed pupil opens their pupil page.
    page = web_app.get(f"/reports?{AS_OF}").text
    for row in rows[1:]:
        assert f'<a href="/pupils/{row[0]}?school={reports_world}">' in page
        assert web_app.get(f"/pupils/{row[0]}?school={reports_world}").status_code == 200


def test_the_page_draws_the_trend_and_links_every_csv(
    web_app: TestClient, reports_world: str
) -> None:
    assert log_in(web_app, ROLE_NAMES["pastoral"]) == 303
    page = web_app.get(f"/reports?{AS_OF}")
    assert page.status_code == 200
    assert "<svg" in page.text and "<polyline" in page.text
    assert "Week of 16 Nov: 77.5%" in page.text  # each point's figure, for hover and readers
    for table in ("persistent", "severe", "cohorts", "weekly"):
        assert f"/reports/{table}.csv?school={reports_world}&amp;{AS_OF}" in page.text


def test_wrong_table_date_or_school_is_a_clear_refusal(
    web_app: TestClient, reports_world: str
) -> None:
    assert log_in(web_app, ROLE_NAMES["pastoral"]) == 303
    missing = web_app.get(f"/reports/pupils.csv?{AS_OF}")
    assert missing.status_code == 404
    assert "no report table" in missing.text and "persistent" in missing.text
    bad_date = web_app.get("/reports?as_of=20-11-2026")
    assert bad_date.status_code == 400 and "YYYY-MM-DD" in bad_date.text
    other = web_app.get("/reports?school=kts-academy")
    assert other.status_code == 403 and "does not cover that school" in other.text


def test_a_day_before_any_marks_says_so_and_lists_nobody(
    web_app: TestClient, reports_world: str
) -> None:
    assert log_in(web_app, ROLE_NAMES["pastoral"]) == 303
    page = web_app.get("/reports?as_of=2026-09-01")  # the new year's first day, before school
    assert page.status_code == 200
    assert "No sessions recorded yet this academic year." in page.text and "<svg" not in page.text
    persistent = web_app.get("/reports/persistent.csv?as_of=2026-09-01")
    assert persistent.text.strip().splitlines() == [
        "UPN,Pupil,Year,Attendance,Possible,Absent,Unauthorised"
    ]
