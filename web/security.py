"""Signed session cookies, CSRF tokens and the security headers every staff page carries."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "attendance_session"
LOGIN_COOKIE = "attendance_login"
SESSION_HOURS = 12  # a school day and the evening's marking; then log in again
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# script-src 'self': only the vendored htmx and our own files run; no inline script, no eval.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # pupils' names stay out of shared caches and back buttons
}


@dataclass(frozen=True)
class SessionData:
    account_id: int
    epoch: int  # the account's session_epoch when signed: a reset or disable ends it
    csrf: str


class Signer:
    """Signs and reads the session and login cookies with the app's secret."""

    def __init__(self, secret: str) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="staff-session")
        self._login = URLSafeTimedSerializer(secret, salt="login-form")

    def session_value(self, account_id: int, epoch: int) -> str:
        return self._session.dumps({"a": account_id, "e": epoch, "c": secrets.token_urlsafe(24)})

    def read_session(self, request: Request) -> SessionData | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data: dict[str, Any] = self._session.loads(raw, max_age=SESSION_HOURS * 3600)
            return SessionData(int(data["a"]), int(data["e"]), str(data["c"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def login_token(self, nonce: str) -> str:
        return self._login.dumps(nonce)

    def login_token_matches(self, token: str, nonce: str | None) -> bool:
        """The login form's token: signed by us, for the nonce in this browser's cookie."""
        if not nonce:
            return False
        try:
            return bool(self._login.loads(token, max_age=3600) == nonce)
        except BadSignature:
            return False


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """HttpOnly, SameSite=Lax, and Secure whenever the page was served over https."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=_https(request),
        max_age=SESSION_HOURS * 3600,
        path="/",
    )


def _https(request: Request) -> bool:
    # Behind a TLS-terminating proxy the scheme arrives in X-Forwarded-Proto (uvicorn's
    # --proxy-headers applies it for trusted proxies); either way the browser saw https.
    return request.url.scheme == "https"


def tokens_match(expected: str, given: str | None) -> bool:
    return given is not None and secrets.compare_digest(expected, given)
