"""Renders SMS and email texts from the per-school jinja2 templates in templates/."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    select_autoescape,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
DEFAULT = "default"  # the folder used when a school has no template of its own
MAX_SMS_SEGMENTS = 2

# The keys each message is given: all of them (None where unknown), and nothing else.
# A template sees only what its job needs, so a child's surname, UPN, attendance or flags
# cannot reach a parent's phone because someone passed a whole pupil row by accident.
MESSAGE_KEYS: dict[str, frozenset[str]] = {
    # To a parent or carer: nothing about the child beyond first name and school.
    "unexplained_absence": frozenset(
        {"contact_name", "child_first_name", "school_name", "school_phone", "reply_by", "session"}
    ),
    # To the DSL or deputy: what staff need to act, and the timeline of what was tried.
    "dsl_alert": frozenset(
        {
            "recipient_role",
            "school_name",
            "pupil_reference",
            "session",
            "deadline",
            "reason",
            "timeline",
            "link",
        }
    ),
    # To the attendance lead (or the DSL): a problem the watchdog found, in its stored words.
    "watchdog_alert": frozenset({"recipient_role", "school_name", "reason", "raised_at"}),
}

_SCHOOL_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")  # as in policy files; keeps paths inside

# GSM 03.38: the basic table (ESC aside, it leads the extension table) and the characters
# that cost an escape septet as well.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")


class TemplateProblem(ValueError):
    """A message could not be rendered: unknown message, wrong context keys, or too long.

    The error names the template and the keys, never their values or the rendered text,
    so it can be logged without copying personal data into the logs.
    """


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str  # one line
    text: str  # the text/plain part, not escaped
    html: str  # the text/html part, autoescaped


@cache
def template_environment() -> Environment:
    """The one jinja2 environment for every template: HTML autoescaped, unknown keys fail.

    Templates are the project's own files, read once per process (no auto_reload): checking
    each one's modification time on every render was an eighth of raising a DSL alert. An
    edited template is used from the next start of the process."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        auto_reload=False,
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def sms_encoding(text: str) -> Literal["GSM-7", "UCS-2"]:
    """GSM-7 if every character is in the GSM 03.38 tables, else UCS-2 (the whole text)."""
    gsm = all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text)
    return "GSM-7" if gsm else "UCS-2"


def sms_segments(text: str) -> int:
    """How many SMS segments `text` is sent as (0 for an empty text).

    GSM-7: 160 septets in one segment, 153 per segment when concatenated, extension
    characters 2 septets. UCS-2: 70 UTF-16 code units, 67 when concatenated. A character is
    never split across segments, as carriers and Twilio do not split an escape or a
    surrogate pair.
    """
    if sms_encoding(text) == "GSM-7":
        units = [2 if c in _GSM_EXTENSION else 1 for c in text]
        single, part = 160, 153
    else:
        units = [len(c.encode("utf-16-le")) // 2 for c in text]
        single, part = 70, 67
    if sum(units) <= single:
        return 1 if units else 0
    segments, used = 1, 0
    for unit in units:
        if used + unit > part:
            segments, used = segments + 1, 0
        used += unit
    return segments


def render_sms(school_id: str, message: str, context: Mapping[str, object]) -> str:
    """The SMS text for `message`, from the school's template if it has one, else the default.

    Whitespace is collapsed to single spaces. If the text is over two segments, the
    template is rendered again with `compact` true; if that is still over, TemplateProblem.
    """
    _check(school_id, message, context)
    template = _pick(f"sms/{school_id}/{message}.txt", f"sms/{DEFAULT}/{message}.txt")
    segments = 0
    # A name outside GSM-7 (Zoë, Łukasz) makes the whole text UCS-2 at 70 a segment; the
    # compact wording keeps such a parent's text at two segments rather than failing it.
    for compact in (False, True):
        text = " ".join(_render(template, {**context, "compact": compact}).split())
        if not text:
            raise TemplateProblem(f"{template.name} rendered an empty text")
        segments = sms_segments(text)
        if segments <= MAX_SMS_SEGMENTS:
            return text
    raise TemplateProblem(
        f"{template.name} is {segments} SMS segments ({sms_encoding(text)}) even when "
        f"compact; at most {MAX_SMS_SEGMENTS} are allowed"
    )


def render_email(school_id: str, message: str, context: Mapping[str, object]) -> RenderedEmail:
    """Subject, text and HTML for `message`, from the school's folder if it has one.

    A school's folder overrides all three parts together, so the text and HTML parts of one
    email never come from different wordings.
    """
    _check(school_id, message, context)
    subject_template = _pick(
        f"email/{school_id}/{message}/subject.txt", f"email/{DEFAULT}/{message}/subject.txt"
    )
    folder = str(subject_template.name).rsplit("/", 1)[0]
    values = dict(context)
    # A line break in a subject would start a new header: the subject is one line.
    subject = " ".join(_render(subject_template, values).split())
    if not subject:
        raise TemplateProblem(f"{subject_template.name} rendered an empty subject")
    text = _tidy_text(_render(_pick(f"{folder}/text.txt"), values))
    html = _render(_pick(f"{folder}/html.html"), values).strip() + "\n"
    return RenderedEmail(subject=subject, text=text, html=html)


def _check(school_id: str, message: str, context: Mapping[str, object]) -> None:
    if not _SCHOOL_ID.fullmatch(school_id):
        raise TemplateProblem(f"{school_id!r} is not a school id")
    allowed = MESSAGE_KEYS.get(message)
    if allowed is None:
        raise TemplateProblem(
            f"{message!r} is not a known message; add its keys to MESSAGE_KEYS first"
        )
    given = set(context)
    if given - allowed:
        raise TemplateProblem(
            f"{message} may not be given {', '.join(sorted(given - allowed))}; "
            f"it takes only {', '.join(sorted(allowed))}"
        )
    # Every key is required, even one a school's template does not use, so a caller that
    # works for one school cannot fail at another whose template does use it.
    if allowed - given:
        raise TemplateProblem(
            f"{message} is missing {', '.join(sorted(allowed - given))} "
            "(pass None where a value is not known)"
        )


@cache
def chosen_template(names: tuple[str, ...]) -> Template:
    """The first of `names` that exists (a school's own, then the default), chosen once per
    process: jinja2 looks for a missing school template on disk every time it is asked.
    TemplateError if none does."""
    return template_environment().select_template(list(names))


def _pick(*names: str) -> Template:
    try:
        return chosen_template(names)
    except TemplateError as exc:
        raise TemplateProblem(f"no template: {exc}") from exc


def _render(template: Template, values: Mapping[str, object]) -> str:
    try:
        return template.render(values)
    except TemplateError as exc:
        # jinja2's messages name the missing key or attribute, not the context's values.
        raise TemplateProblem(f"{template.name}: {exc}") from exc


def _tidy_text(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
