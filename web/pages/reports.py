"""Reports: persistent and severe absence, cohorts, the weekly trend, and each table as CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from school.reports import AbsenceReport, absence_report
from school.schools import LoadedSchool, load_school
from web.pages.reports_view import report_tables, safe_cell, trend_chart
from web.staff import Refused, Staff, day_asked, open_session, render, school_of
from web.staff import staff_member as member

router = APIRouter()
StaffMember = Annotated[Staff, Depends(member)]


def _report(
    request: Request, staff: Staff, school: str | None, as_of: str | None
) -> tuple[LoadedSchool, AbsenceReport]:
    school_id = school_of(staff, school)
    day = day_asked(request, as_of)
    with open_session(request) as session:
        loaded = load_school(session, school_id)
        return loaded, absence_report(session, loaded, day)


@router.get("/reports")
def reports(
    request: Request, staff: StaffMember, school: str | None = None, as_of: str | None = None
) -> Response:
    loaded, report = _report(request, staff, school, as_of)
    return render(
        request,
        "reports.html",
        staff,
        school=loaded,
        report=report,
        tables=report_tables(report),
        chart=trend_chart(report),
    )


@router.get("/reports/{table}.csv")
def report_csv(
    request: Request,
    staff: StaffMember,
    table: str,
    school: str | None = None,
    as_of: str | None = None,
) -> Response:
    """One table of the page as a CSV file, safe to open in a spreadsheet."""
    loaded, report = _report(request, staff, school, as_of)
    tables = report_tables(report)
    if table not in tables:
        raise Refused(
            404, f"There is no report table {table[:40]}: the tables are {', '.join(tables)}."
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(tables[table].headings)
    writer.writerows([safe_cell(cell) for cell in row] for row in tables[table].rows)
    name = f"{loaded.id}-{table}-{report.as_of.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
