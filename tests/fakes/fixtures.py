"""Pytest fixtures for the provider fakes; tests/conftest.py registers them with pytest_plugins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.smtp import FakeSmtpServer, running_smtp_server
from tests.fakes.twilio_api import FakeTwilio, running_twilio_fake


@pytest.fixture
def twilio_fake() -> Iterator[FakeTwilio]:
    """A fake Twilio API; the test errors at teardown on any unexpected or missing SMS."""
    with running_twilio_fake() as fake:
        yield fake


@pytest.fixture
def smtp_server() -> Iterator[FakeSmtpServer]:
    """A recording SMTP server on 127.0.0.1."""
    with running_smtp_server() as server:
        yield server
