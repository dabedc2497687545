"""Schemathesis over the staff web app (issue 13 item 8): every operation of its OpenAPI schema,
fuzzed as each role and as nobody, with and without a CSRF token: never a server error, never a
traceback, and a refused request changes nothing.

The app serves no schema (`openapi_url=None`: nothing to map for a stranger); the test asks the
app for it in-process. Ids in paths are sometimes real (the world's case, letter, pupil...), so
the fuzz reaches the pages' own checks, not only the 404 for a made-up id.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from tests.register_files import upn
from tests.web.cases_world import cases
from tests.web.pages_world import PASSWORD, ROLE_NAMES, csrf_of, web_app, world
from web.roles import HOME

__all__ = ["cases", "web_app", "world"]

# Rows the door writes on purpose for any request, refused or not: who tried what.
_WRITTEN_ON_REFUSAL = {"audit_entry", "staff_account"}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _operations(client: TestClient) -> list[Any]:
    raw = client.app.openapi()  # type: ignore[attr-defined]
    schema = schemathesis.openapi.from_dict(raw)
    return [result.ok() for result in schema.get_all_operations()]


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in SQLModel.metadata.sorted_tables
            if table.name not in _WRITTEN_ON_REFUSAL
        }


def _real_ids(ids: dict[str, int]) -> dict[str, Any]:
    return {
        "task_id": ids["task"], "check_id": ids["check"], "alert_id": ids["alert"],
        "case_id": ids["case"], "proposal_id": ids["proposal"], "action_id": ids["action"],
        "letter_id": ids["letter"], "upn": upn(1), "table": "persistent",
    }  # fmt: skip


@pytest.mark.parametrize("role", [None, *sorted(ROLE_NAMES)])
def test_every_operation_fuzzed_gives_no_server_error_and_no_partial_write(
    web_app: TestClient, cases: dict[str, int], engine: Engine, role: str | None
) -> None:
    token = ""
    if role is not None:
        form = web_app.get("/login")
        logged = web_app.post(
            "/login",
            data={"name": ROLE_NAMES[role], "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        )
        assert logged.status_code == 303
        token = csrf_of(web_app.get(HOME[role], follow_redirects=True).text)
    # Logging out would end the fuzz's session; logging in is fuzzed as nobody.
    operations = [
        op
        for op in _operations(web_app)
        if role is None
        or (op.method.upper(), op.path) not in {("POST", "/logout"), ("POST", "/login")}
    ]
    seen: list[tuple[str, str, int]] = []

    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(operations))
        case = data.draw(operation.as_strategy())
        params = dict(case.path_parameters or {})
        if params and data.draw(st.booleans()):
            params = {k: _real_ids(cases).get(k, v) for k, v in params.items()}
        path = operation.path.format(**params)
        body = case.body if isinstance(case.body, dict) else {}
        if case.method.upper() == "POST" and token and data.draw(st.booleans()):
            body = {**body, "csrf_token": token}
        before = _counts(engine)
        answer = web_app.request(
            case.method.upper(),
            path,
            params=case.query or None,
            data={k: "" if v is None else str(v) for k, v in body.items()} or None,
        )
        seen.append((case.method.upper(), operation.path, answer.status_code))
        assert answer.status_code < 500, (case.method, path, case.query, body, answer.text[:300])
        assert "Traceback" not in answer.text
        if answer.status_code >= 400:
            assert _counts(engine) == before, (case.method, path, answer.status_code)

    fuzz()
    # The fuzz reached the pages themselves, not only refusals.
    assert len({path for _, path, _ in seen}) >= 10
    if role is not None:
        assert any(status == 200 for _, _, status in seen)


def test_an_id_beyond_a_database_integer_is_refused_not_a_server_error(
    web_app: TestClient, cases: dict[str, int]
) -> None:
    """Found by the fuzz on PostgreSQL: /letters/2147483648 was an "integer out of range"."""
    form = web_app.get("/login")
    data = {"name": ROLE_NAMES["head"], "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    assert web_app.post("/login", data=data).status_code == 303
    for path in ("/letters/2147483648", "/letters/2147483648.pdf", "/cases/99999999999"):
        assert web_app.get(path).status_code == 422, path
    assert web_app.get(f"/cases/{cases['case']}").status_code == 200
