"""The CI's dependency audit runs only when its database answers, and says so when it cannot."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

AUDIT = Path(__file__).resolve().parents[1] / ".ci" / "audit.py"
CANARY = {"vulnerabilities": [{"id": "GHSA-x84v-xcm2-53pg", "aliases": ["PYSEC-2018-28"]}]}


@pytest.fixture
def vulnerability_service() -> Iterator[tuple[str, dict[str, object]]]:
    """A loopback stand-in for PyPI's JSON API; the test sets what it answers."""
    answer: dict[str, object] = {"status": 404, "body": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = answer["body"]
            assert isinstance(body, bytes)
            status = answer["status"]
            assert isinstance(status, int)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/pypi/requests/2.19.0/json", answer
    finally:
        server.shutdown()


def audit(probe_url: str) -> subprocess.CompletedProcess[str]:
    """Run the audit with a stand-in for pip-audit that says it ran and finds one problem."""
    stand_in = f"{sys.executable} -c \"print('pip-audit ran'); raise SystemExit(1)\""
    return subprocess.run(
        [sys.executable, str(AUDIT), "--probe-url", probe_url, "--audit-command", stand_in],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, b""),  # a mirror that has no JSON API
        (200, b"<html>captive portal</html>"),
        (200, json.dumps({"info": {}, "vulnerabilities": []}).encode()),  # answers, knows nothing
    ],
    ids=["404", "not-json", "no-canary"],
)
def test_an_audit_that_cannot_see_says_not_checked(
    vulnerability_service: tuple[str, dict[str, object]], status: int, body: bytes
) -> None:
    url, answer = vulnerability_service
    answer.update(status=status, body=body)

    result = audit(url)

    assert result.returncode == 0
    assert "vulnerability database unreachable: not checked" in result.stdout
    assert "pip-audit ran" not in result.stdout
    assert "No known vulnerabilities" not in result.stdout


def test_no_route_at_all_says_not_checked() -> None:
    result = audit("http://127.0.0.1:9/pypi/requests/2.19.0/json")  # the discard port: refused
    assert "vulnerability database unreachable: not checked" in result.stdout


def test_a_database_that_names_the_canary_runs_the_audit_and_its_findings_fail(
    vulnerability_service: tuple[str, dict[str, object]],
) -> None:
    url, answer = vulnerability_service
    answer.update(status=200, body=json.dumps(CANARY).encode())

    result = audit(url)

    assert "pip-audit ran" in result.stdout
    assert result.returncode == 1


def test_ci_runs_the_audit_after_the_tests() -> None:
    run = (AUDIT.parent / "run").read_text()
    assert run.index('eval "$test_command"') < run.index(".ci/audit.py")
