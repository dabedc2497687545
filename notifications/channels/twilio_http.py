"""The twilio SDK's requests over aiohttp: the environment's proxy and CA bundle read once,
logged at DEBUG, and a 429's Retry-After kept for the send that got it."""

from __future__ import annotations

import logging
import os
import ssl
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import aiohttp
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from yarl import URL

log = logging.getLogger(__name__)

# The longest a 429's Retry-After is honoured for: the chase's steps are minutes apart.
MAX_RETRY_AFTER = timedelta(minutes=10)
# A 429's Retry-After, for the send that got it: the SDK's exceptions carry no headers, and
# each send is its own task, so a context variable keeps one send's wait from another's.
RETRY_AFTER: ContextVar[timedelta | None] = ContextVar("twilio_retry_after", default=None)


@dataclass(frozen=True)
class Route:
    """How requests reach the API: the environment's proxy and CA settings, read once."""

    proxy: URL | None
    proxy_headers: dict[str, str] | None
    tls: ssl.SSLContext | bool

    @classmethod
    def from_environment(cls, api_url: str) -> Route:
        """HTTPS_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE read as the SDK's requests reads them
        (README promises those names), once: every request goes to the same address. The
        proxy's user and password go on the CONNECT for the API's tunnel (aiohttp sends
        proxy_headers there; Twilio's API is HTTPS only)."""
        import requests  # the SDK imports it anyway; its rules are the ones documented

        with requests.Session() as environment:
            settings = environment.merge_environment_settings(api_url, {}, None, None, None)
        chosen = requests.utils.select_proxy(api_url, settings["proxies"])
        proxy = URL(chosen) if chosen else None
        proxy_headers = None
        if proxy is not None and proxy.user:
            login = aiohttp.encode_basic_auth(proxy.user, proxy.password or "")
            proxy_headers = {"Proxy-Authorization": login}
            proxy = proxy.with_user(None)
        tls: ssl.SSLContext | bool = True
        verify = settings["verify"]
        if api_url.startswith("https:") and verify is not False:
            bundle = verify if isinstance(verify, str) else requests.certs.where()
            try:
                if os.path.isdir(bundle):
                    tls = ssl.create_default_context(capath=bundle)
                else:
                    tls = ssl.create_default_context(cafile=bundle)
            except OSError as exc:  # ssl.SSLError too: a file with no certificate in it
                raise ValueError(
                    f"the CA bundle {bundle} cannot be read: {exc.strerror or exc}"
                ) from None
        return cls(proxy, proxy_headers, tls)


class AioHttpClient(AsyncHttpClient):
    """The SDK's requests on one event loop's aiohttp session: logs at DEBUG (the SDK's own
    client logs every request's URL and headers at INFO), goes by the environment's route, and
    keeps a 429's Retry-After for the send that got it."""

    def __init__(
        self, session: aiohttp.ClientSession, route: Route, timeout: aiohttp.ClientTimeout
    ) -> None:
        super().__init__(log, is_async=True)
        self._session = session
        self._route = route
        self._timeout = timeout
        self._authorization: tuple[tuple[str, str], str] | None = None

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        log.debug("twilio request %s %s", method, uri)
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = self._basic(auth)
        async with self._session.request(
            method,
            uri,
            params=params,  # type: ignore[arg-type]
            data=data,
            headers=headers,
            timeout=self._timeout,
            allow_redirects=allow_redirects,
            proxy=self._route.proxy,
            proxy_headers=self._route.proxy_headers,
            ssl=self._route.tls,
        ) as answer:
            text = await answer.text()
        log.debug("twilio response %s", answer.status)
        if answer.status == 429:
            RETRY_AFTER.set(retry_after(answer.headers.get("Retry-After")))
        return Response(answer.status, text, answer.headers)

    def _basic(self, auth: tuple[str, str]) -> str:
        """The Authorization header for the account's credentials, encoded once."""
        if self._authorization is None or self._authorization[0] != auth:
            self._authorization = (auth, aiohttp.encode_basic_auth(*auth))
        return self._authorization[1]


def retry_after(value: str | None) -> timedelta | None:
    """A Retry-After header (seconds, or an HTTP date) as a wait, capped at MAX_RETRY_AFTER so
    a wrong header cannot park a parent's message past the morning; None if absent or bad."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        wait = timedelta(seconds=int(text))
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = max(timedelta(0), when - datetime.now(UTC))
    return min(wait, MAX_RETRY_AFTER)
