"""The web app's settings, read from the environment once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


class SettingsProblem(ValueError):
    """A setting is missing or unusable: the app refuses to start rather than refuse Twilio."""


@dataclass(frozen=True)
class WebSettings:
    """What the webhooks need: where Twilio calls us, and the tokens it may sign with.

    `public_url` is the scheme and host Twilio is configured to call (plus any path prefix a
    proxy strips), without a trailing slash. Signatures are computed on it, never on the
    URL a request arrived at: behind a TLS-terminating proxy that is http://internal-host.
    """

    public_url: str
    auth_tokens: tuple[str, ...]  # the current token first; the previous one during rotation
    # Twilio's SMS webhooks are a few kB; anything near this is not from Twilio.
    max_body_bytes: int = 64 * 1024
    # A body trickled in slowly holds a worker; Twilio sends its whole post at once.
    body_read_seconds: float = 10.0
    # Replies one number may send in a minute before the rest are refused (429): a parent
    # texting back never comes near it; a script replaying messages does.
    replies_per_minute: int = 10

    def __post_init__(self) -> None:
        parts = urlsplit(self.public_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise SettingsProblem(
                f"ATTENDANCE_PUBLIC_URL {self.public_url!r} must be an absolute URL such as "
                "https://attendance.example.org"
            )
        if parts.query or parts.fragment:
            raise SettingsProblem("ATTENDANCE_PUBLIC_URL must not have a query or fragment")
        if not self.auth_tokens or not all(self.auth_tokens):
            raise SettingsProblem("TWILIO_AUTH_TOKEN must be set to verify Twilio's requests")
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> WebSettings:
        env = os.environ if environ is None else environ
        public_url = env.get("ATTENDANCE_PUBLIC_URL", "").strip()
        if not public_url:
            raise SettingsProblem(
                "ATTENDANCE_PUBLIC_URL must be set to the URL Twilio calls, "
                "e.g. https://attendance.example.org"
            )
        current = env.get("TWILIO_AUTH_TOKEN", "").strip()
        previous = env.get("TWILIO_AUTH_TOKEN_PREVIOUS", "").strip()
        tokens = (current, previous) if previous else (current,)
        return cls(public_url=public_url, auth_tokens=tokens)
