"""Twilio's two signing schemes: signed form fields, and a signed URL carrying the body's hash."""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import parse_qs, parse_qsl, urlsplit

from starlette.datastructures import Headers, ImmutableMultiDict
from twilio.request_validator import RequestValidator, get_signature_algorithm

from web.request_body import BodyRefused

SIGNATURE_HEADER = "X-Twilio-Signature"
# Twilio's newer webhooks name their algorithm (HMAC_SHA256) here; absent means HMAC_SHA1.
SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
BODY_HASH_PARAMETER = "bodySHA256"
# A Twilio SMS webhook has about twenty fields; a thousand is an attack on the parser.
MAX_FIELDS = 100

Fields = ImmutableMultiDict[str, str]


def signed_fields(
    validators: Sequence[RequestValidator],
    url: str,
    headers: Headers,
    body: bytes,
) -> Fields | None:
    """The request's fields if one of our tokens signed them, else None (forged or unsigned).

    Form posts are signed over the URL and every field; JSON posts over the URL alone, which
    must carry `bodySHA256`, the hash of the exact body. Raises BodyRefused (400/415) for a
    body no Twilio webhook sends; the signature header's presence is checked by the caller
    before the body is read.
    """
    signature = headers.get(SIGNATURE_HEADER, "")
    algorithm = get_signature_algorithm(headers.get(SIGNATURE_SETTINGS_HEADER))
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    text = _utf8(body)
    if media_type == "application/x-www-form-urlencoded":
        fields = _form(text)
        signed: ImmutableMultiDict[str, str] | str = fields
    elif media_type == "application/json":
        if BODY_HASH_PARAMETER not in parse_qs(urlsplit(url).query):
            return None  # a JSON body is only trusted through the hash in the signed URL
        fields, signed = _json(text), text
    else:
        raise BodyRefused(415, f"content type {media_type or 'none'} is not a Twilio webhook")
    if any(v.validate(url, signed, signature, algorithm) for v in validators):
        return fields
    return None


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyRefused(400, "body is not UTF-8") from None


def _form(text: str) -> Fields:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise BodyRefused(400, f"form has more than {MAX_FIELDS} fields") from None
    return ImmutableMultiDict(pairs)


def _json(text: str) -> Fields:
    try:
        document = json.loads(text)
    except ValueError:
        raise BodyRefused(400, "body is not JSON") from None
    if not isinstance(document, dict) or len(document) > MAX_FIELDS:
        raise BodyRefused(400, f"JSON body must be an object of at most {MAX_FIELDS} fields")
    if not all(isinstance(v, str | int | float | bool) or v is None for v in document.values()):
        raise BodyRefused(400, "JSON body fields must be plain values")
    return ImmutableMultiDict((str(k), "" if v is None else str(v)) for k, v in document.items())
