"""The sending channels, and the choice between real providers and the local outbox."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.engine import URL

from notifications.channels.local_outbox import LocalOutboxChannel
from notifications.message import Channel

if TYPE_CHECKING:
    from notifications.channels.smtp_email import SmtpEmailChannel
    from notifications.channels.twilio_sms import TwilioSmsChannel

__all__ = [
    "LocalOutboxChannel",
    "SmtpEmailChannel",
    "TwilioSmsChannel",
    "channels_from_settings",
]

log = logging.getLogger(__name__)
# The providers' channels are imported when first named (PEP 562): a command on the local
# outboxes (the demo, a review with no provider settings) never loads the twilio SDK,
# requests and aiosmtplib, 70 ms of its start.
_PROVIDERS = {
    "SmtpEmailChannel": "notifications.channels.smtp_email",
    "TwilioSmsChannel": "notifications.channels.twilio_sms",
}
# Callers may build channels on every tick: say which channel is used once per process.
_announced: set[str] = set()

TWILIO_REQUIRED = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
SMTP_REQUIRED = ("SMTP_HOST", "SMTP_FROM")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def __getattr__(name: str) -> Any:
    module = _PROVIDERS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def channels_from_settings(env: Mapping[str, str], outbox_dir: Path) -> dict[str, Channel]:
    """Twilio and SMTP when configured, otherwise a local outbox file for that channel.

    A channel that is half configured is an error rather than a silent fall back to the
    local outbox, where messages to parents would never leave the machine.
    """
    setting = {key: value.strip() for key, value in env.items() if value and value.strip()}
    channels: dict[str, Channel] = {}

    if _configured(setting, TWILIO_REQUIRED, "Twilio"):
        from notifications.channels.twilio_sms import TwilioSmsChannel

        base_url = setting.get("TWILIO_API_BASE_URL")
        channels["sms"] = TwilioSmsChannel(
            setting["TWILIO_ACCOUNT_SID"],
            setting["TWILIO_AUTH_TOKEN"],
            setting["TWILIO_FROM_NUMBER"],
            status_callback_url=setting.get("TWILIO_STATUS_CALLBACK_URL"),
            base_url=base_url,
        )
        host = urlsplit(base_url).netloc if base_url else "api.twilio.com"
        _announce(f"sms channel: Twilio at {host}")
    else:
        channels["sms"] = LocalOutboxChannel(outbox_dir / "sms.jsonl", "sms")
        _announce(f"sms channel: local outbox {outbox_dir / 'sms.jsonl'} (no Twilio settings)")

    if _configured(setting, SMTP_REQUIRED, "SMTP"):
        from notifications.channels.smtp_email import SmtpEmailChannel

        start_tls = _flag(setting.get("SMTP_STARTTLS"), "SMTP_STARTTLS")
        port = _port(setting.get("SMTP_PORT"))
        # Port 465 speaks TLS from the first byte; any other port is plain, upgraded by
        # STARTTLS when the server offers it (or when SMTP_STARTTLS insists).
        use_tls = port == 465 and start_tls is not True
        channels["email"] = SmtpEmailChannel(
            setting["SMTP_HOST"],
            port,
            setting["SMTP_FROM"],
            username=setting.get("SMTP_USERNAME"),
            password=setting.get("SMTP_PASSWORD"),
            use_tls=use_tls,
            start_tls=False if use_tls else start_tls,
        )
        mode = (
            "TLS"
            if use_tls
            else {True: "STARTTLS", False: "plain", None: "STARTTLS if offered"}[start_tls]
        )
        _announce(f"email channel: SMTP at {setting['SMTP_HOST']}:{port} ({mode})")
    else:
        channels["email"] = LocalOutboxChannel(outbox_dir / "email.jsonl", "email")
        _announce(f"email channel: local outbox {outbox_dir / 'email.jsonl'} (no SMTP settings)")

    return channels


def _announce(line: str) -> None:
    """INFO the first time, DEBUG after. Hosts and paths only: never numbers or addresses."""
    if line in _announced:
        log.debug("%s", line)
        return
    _announced.add(line)
    log.info("%s", line)


def _configured(setting: Mapping[str, str], required: tuple[str, ...], what: str) -> bool:
    present = [key for key in required if key in setting]
    if not present:
        return False
    missing = [key for key in required if key not in setting]
    if missing:
        raise ValueError(f"{what} is partly configured: set {', '.join(missing)} as well")
    return True


def _flag(value: str | None, key: str) -> bool | None:
    if value is None:
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"{key} must be true or false, not {value!r}")


def _port(value: str | None) -> int:
    if value is None:
        return 587
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"SMTP_PORT must be a number, not {value!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"SMTP_PORT out of range: {port}")
    return port


def default_outbox_dir(url: URL, environ: Mapping[str, str]) -> Path:
    """ATTENDANCE_OUTBOX_DIR, else `outbox/` next to an SQLite database file, else in the cwd."""
    configured = environ.get("ATTENDANCE_OUTBOX_DIR", "").strip()
    if configured:
        return Path(configured)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).resolve().parent / "outbox"
    return Path.cwd() / "outbox"
