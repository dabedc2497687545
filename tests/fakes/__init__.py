"""Loopback fakes of the message providers (Twilio, SMTP) and their pytest fixtures."""

from tests.fakes.smtp import FakeSmtpServer, ReceivedEmail, running_smtp_server
from tests.fakes.twilio_api import FakeTwilio, RecordedMessage, running_twilio_fake

__all__ = [
    "FakeSmtpServer",
    "FakeTwilio",
    "ReceivedEmail",
    "RecordedMessage",
    "running_smtp_server",
    "running_twilio_fake",
]
