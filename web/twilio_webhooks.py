"""Twilio's webhooks: parents' text replies and delivery reports, each checked for its signature."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Request, Response
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator

from chase.responses import handle_delivery_status, handle_reply
from school.clock import Clock
from school.database import session_for
from web.rate_limit import SlidingWindowLimit
from web.request_body import BodyRefused, read_bounded
from web.settings import WebSettings
from web.twilio_signature import SIGNATURE_HEADER, Fields, signed_fields

log = logging.getLogger(__name__)
T = TypeVar("T")

PREFIX = "/twilio"
SMS_PATH = f"{PREFIX}/sms"
STATUS_PATH = f"{PREFIX}/status"
# An empty answer: nothing is ever texted back to a parent from here.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# A duplicate MessageSid racing its twin, or the morning tick moving the same check, fails the
# commit; a fresh transaction then sees the other's work and does the right thing.
ATTEMPTS = 3


def twilio_router(engine: Engine, settings: WebSettings, clock: Clock) -> APIRouter:
    """The webhook routes, bound to one database, one set of tokens and one clock."""
    validators = [RequestValidator(token) for token in settings.auth_tokens]
    replies_limit = SlidingWindowLimit(settings.replies_per_minute, 60.0)
    router = APIRouter(prefix=PREFIX)

    async def verified(request: Request, path: str) -> Fields | Response:
        """The posted fields if Twilio signed them with a token we accept, else the refusal.

        In order, each before anything costlier: a signature header, a body within the size
        cap and deadline, then the signature itself. The URL signed is the public one Twilio
        was given, not the one this request arrived at (behind a proxy that is
        http://internal-host/...). Nothing here touches the database.
        """
        if not request.headers.get(SIGNATURE_HEADER):
            return refused(path)
        try:
            body = await read_bounded(request, settings.max_body_bytes, settings.body_read_seconds)
            url = settings.public_url + path
            if request.url.query:
                url += "?" + request.url.query
            fields = signed_fields(validators, url, request.headers, body)
        except BodyRefused as problem:
            log.warning("refused a request to %s: %s", path, problem.reason)
            return Response(status_code=problem.status)
        return refused(path) if fields is None else fields

    def refused(path: str) -> Response:
        log.warning("refused a request to %s: missing or wrong %s", path, SIGNATURE_HEADER)
        return Response(status_code=403)

    @router.post("/sms")
    async def inbound_sms(request: Request) -> Response:
        form = await verified(request, SMS_PATH)
        if isinstance(form, Response):
            return form
        sid, sender, body = _text(form, "MessageSid"), _text(form, "From"), _text(form, "Body")
        if not sid or not sender:
            return Response(status_code=400)
        if not replies_limit.allow(sender):
            log.warning(
                "sms %s refused: its number sent over %d a minute", sid, replies_limit.limit
            )
            return Response(status_code=429, headers={"Retry-After": "60"})
        reply = await run_in_threadpool(
            _in_transaction, engine, lambda s: handle_reply(s, sid, sender, body, clock)
        )
        # The MessageSid and what came of it; never the number or the words (they identify
        # a family and may say why a child is ill).
        log.info("sms %s: %s, %d checks", sid, reply.meaning, len(reply.check_ids or []))
        return Response(EMPTY_TWIML, media_type="text/xml")

    @router.post("/status")
    async def delivery_status(request: Request) -> Response:
        form = await verified(request, STATUS_PATH)
        if isinstance(form, Response):
            return form
        sid, status = _text(form, "MessageSid"), _text(form, "MessageStatus")
        if not sid or not status:
            return Response(status_code=400)
        error_code = _text(form, "ErrorCode") or None
        message = await run_in_threadpool(
            _in_transaction,
            engine,
            lambda s: handle_delivery_status(s, sid, status, error_code, clock),
        )
        outcome = message.status if message is not None else "no such message"
        log.info("status %s: %s -> %s", sid, status, outcome)
        return Response(status_code=204)

    return router


def _text(form: Fields, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _in_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work` in a session of its own; again, afresh, if a concurrent writer won the race."""
    for attempt in range(1, ATTEMPTS + 1):
        with session_for(engine) as session:
            try:
                return work(session)
            except (IntegrityError, StaleDataError):
                session.rollback()
                if attempt == ATTEMPTS:
                    raise
                log.info("concurrent change, trying again (attempt %d)", attempt + 1)
    raise AssertionError("unreachable")
