"""SMS and email rendering: per-school templates, segment limits and the allowed-keys guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifications.rendering import (
    MESSAGE_KEYS,
    TEMPLATES,
    RenderedEmail,
    TemplateProblem,
    render_email,
    render_sms,
    sms_encoding,
    sms_segments,
)
from school.policy_files import POLICY_DIR, bundled_policy, load_policy

SCHOOLS = ["emmanuel-middle", "st-john-bosco", "basildon-lower", "micklefield", "kts-academy"]
PHONES = {  # as published in each seed (Basildon: the Senior Attendance Officer)
    "emmanuel-middle": "01202 828100",
    "st-john-bosco": "01384 889423",
    "basildon-lower": "01268 498881",
    "micklefield": "0113 286 9232",
    "kts-academy": "01287 677265",
}
LONG_CONTACT = "Mrs Bartholomew-Featherstonehaugh"
LONG_CHILD = "Maximilian-Alexander"


def school_name(school_id: str) -> str:
    return load_policy(bundled_policy(school_id)).policy.school.name


def parent_context(school_id: str, **changes: object) -> dict[str, object]:
    context: dict[str, object] = {
        "contact_name": "Mrs Smith",
        "child_first_name": "Amira",
        "school_name": school_name(school_id),
        "school_phone": PHONES[school_id],
        "reply_by": "9:30am",
        "session": "morning",
    }
    return {**context, **changes}


def dsl_context(**changes: object) -> dict[str, object]:
    context: dict[str, object] = {
        "recipient_role": "Designated Safeguarding Lead",
        "school_name": "Emmanuel Middle School",
        "pupil_reference": "Amira K., Year 7",
        "session": "morning",
        "deadline": "10:00am",
        "reason": "not known to be safe by the deadline",
        "timeline": [
            {"at": "08:50", "what": "Text sent to both parents (delivered)"},
            {"at": "09:00", "what": "Call to primary contact (no answer)"},
            {"at": "09:12", "what": "Call to grandmother (voicemail left)"},
            {"at": "09:35", "what": "Home visit by the attendance officer (nobody home)"},
        ],
        "link": "https://attendance.example.org/alerts/42",
    }
    return {**context, **changes}


# --- segment counting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 0),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters cost two septets
        ("€" * 81, 2),
        ("a" * 159 + "€", 2),
        ("£@èÉ" * 40, 1),  # in the basic table: one septet each
        ("Ł" * 70, 1),
        ("Ł" * 71, 2),
        ("Ł" * 134, 2),
        ("Ł" * 135, 3),
        ("😀" * 35, 1),  # outside the BMP: two UTF-16 code units each
        ("😀" * 36, 2),
    ],
    ids=lambda value: f"{len(value)}ch" if isinstance(value, str) else str(value),
)
def test_sms_segments(text: str, segments: int) -> None:
    assert sms_segments(text) == segments


def test_an_escape_pair_is_never_split_across_segments() -> None:
    # 152 septets, then "€" would straddle the 153-septet boundary: it starts segment 2.
    text = "a" * 152 + "€" + "a" * 152
    assert sms_segments(text) == 3
    assert sms_segments("a" * 153 + "€" + "a" * 151) == 2


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("Chloé", "GSM-7"), ("Zoë", "UCS-2"), ("Łukasz", "UCS-2"), ("Søren", "GSM-7")],
)
def test_one_character_outside_gsm_makes_the_whole_text_ucs2(name: str, encoding: str) -> None:
    assert sms_encoding(f"Dear Mrs Smith, {name} is not in school today.") == encoding


# --- parent SMS -----------------------------------------------------------------------------


@pytest.mark.parametrize("school_id", SCHOOLS)
@pytest.mark.parametrize("session", ["morning", "afternoon"])
@pytest.mark.parametrize(
    ("contact", "child"),
    [("Mrs Smith", "Amira"), (LONG_CONTACT, LONG_CHILD), ("Mrs Nowak", "Łukasz")],
    ids=["typical", "long-names", "ucs2-name"],
)
def test_every_school_texts_parents_in_at_most_two_segments(
    school_id: str, session: str, contact: str, child: str
) -> None:
    for phone in (PHONES[school_id], None):
        for reply_by in ("10:30am", None):
            context = parent_context(
                school_id,
                contact_name=contact,
                child_first_name=child,
                school_phone=phone,
                reply_by=reply_by,
                session=session,
            )
            text = render_sms(school_id, "unexplained_absence", context)
            assert sms_segments(text) <= 2
            assert contact in text
            assert child in text
            assert school_name(school_id) in text
            assert "  " not in text
            assert "\n" not in text


def test_a_long_gsm_text_keeps_the_full_wording() -> None:
    context = parent_context(
        "st-john-bosco", contact_name=LONG_CONTACT, child_first_name=LONG_CHILD
    )
    text = render_sms("st-john-bosco", "unexplained_absence", context)
    assert text.startswith(f"Dear {LONG_CONTACT}, {LONG_CHILD} is not in school today")
    assert text.endswith("Please reply or call 01384 889423 by 9:30am.")
    assert sms_encoding(text) == "GSM-7"


def test_a_ucs2_name_falls_back_to_the_compact_wording() -> None:
    context = parent_context("st-john-bosco", contact_name="Mrs Nowak", child_first_name="Łukasz")
    text = render_sms("st-john-bosco", "unexplained_absence", context)
    assert sms_encoding(text) == "UCS-2"
    assert sms_segments(text) == 2
    assert text.startswith("St Chad's Catholic Primary School: Mrs Nowak, Łukasz is absent today.")
    assert "01384 889423" in text


def test_a_text_too_long_even_when_compact_is_refused_without_its_content() -> None:
    context = parent_context("micklefield", contact_name="Mrs " + "Ł" * 120, child_first_name="Zoë")
    with pytest.raises(TemplateProblem, match="segments") as refused:
        render_sms("micklefield", "unexplained_absence", context)
    # The error goes to logs: it names the template, never the names it was given.
    assert "Zoë" not in str(refused.value)
    assert "Ł" not in str(refused.value)


def test_the_text_says_how_to_answer_and_by_when() -> None:
    text = render_sms("basildon-lower", "unexplained_absence", parent_context("basildon-lower"))
    assert text == (
        "Dear Mrs Smith, Amira is not in school today (The Basildon Lower Academy) and we have "
        "not heard why. Please reply or call 01268 498881 by 9:30am."
    )
    assert sms_segments(text) == 1  # a typical name costs one segment


def test_no_phone_and_no_deadline_leave_their_sentences_out() -> None:
    context = parent_context("micklefield", school_phone=None, reply_by=None, session="afternoon")
    text = render_sms("micklefield", "unexplained_absence", context)
    assert text == (
        "Dear Mrs Smith, Amira is not in school this afternoon (Micklefield CE Primary Academy) "
        "and we have not heard why. Please reply."
    )
    assert "None" not in text


def test_kts_uses_its_own_text_call_or_class_dojo() -> None:
    text = render_sms("kts-academy", "unexplained_absence", parent_context("kts-academy"))
    assert "Class Dojo" in text
    assert text.endswith(
        "Please call 01287 677265 or send a Class Dojo to the class teacher by 9:30am."
    )
    assert "reply" not in text


def test_emmanuel_asks_for_a_reply_by_text_before_the_9am_call() -> None:
    context = parent_context("emmanuel-middle", reply_by="9:00am")
    text = render_sms("emmanuel-middle", "unexplained_absence", context)
    assert text.endswith("Please reply to this text by 9:00am, otherwise we will phone.")
    assert "call 01202" not in text  # by text, as the seed says, not by phone
    assert "Class Dojo" not in text


def test_a_school_without_its_own_template_uses_the_default() -> None:
    default = render_sms("micklefield", "unexplained_absence", parent_context("micklefield"))
    assert default.endswith("Please reply or call 0113 286 9232 by 9:30am.")
    assert "Class Dojo" not in default
    assert not (TEMPLATES / "sms" / "micklefield").exists()


# --- the allowed-keys guard -------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    ["family_name", "upn", "attendance_pct", "flags", "date_of_birth", "compact"],
)
def test_a_parent_message_refuses_any_other_key(extra: str) -> None:
    context = {**parent_context("micklefield"), extra: "Khan"}
    with pytest.raises(TemplateProblem, match=extra):
        render_sms("micklefield", "unexplained_absence", context)
    with pytest.raises(TemplateProblem, match=extra):
        render_email("micklefield", "unexplained_absence", context)


@pytest.mark.parametrize("school_id", SCHOOLS)
def test_the_family_name_cannot_reach_a_parent_text(school_id: str) -> None:
    # Passed the way a careless caller would, with the pupil row's other fields: refused.
    pupil_row = {"family_name": "Khan", "upn": "A123456789012", "social_worker": True}
    with pytest.raises(TemplateProblem):
        render_sms(school_id, "unexplained_absence", {**parent_context(school_id), **pupil_row})
    # And what is allowed does not carry it: no template invents it.
    text = render_sms(school_id, "unexplained_absence", parent_context(school_id))
    email = render_email(school_id, "unexplained_absence", parent_context(school_id))
    for rendered in (text, email.subject, email.text, email.html):
        assert "Khan" not in rendered
        assert "A123456789012" not in rendered


def test_the_allowed_keys_are_exactly_what_the_brief_allows_parents() -> None:
    assert MESSAGE_KEYS["unexplained_absence"] == {
        "contact_name",
        "child_first_name",
        "school_name",
        "school_phone",
        "reply_by",
        "session",
    }


@pytest.mark.parametrize("missing", sorted(MESSAGE_KEYS["unexplained_absence"]))
def test_a_missing_key_fails_loudly(missing: str) -> None:
    # Even a key the school's own template does not use (Emmanuel never prints the phone).
    context = parent_context("emmanuel-middle")
    del context[missing]
    with pytest.raises(TemplateProblem, match=missing):
        render_sms("emmanuel-middle", "unexplained_absence", context)
    with pytest.raises(TemplateProblem, match=missing):
        render_email("emmanuel-middle", "unexplained_absence", context)


def test_a_missing_timeline_field_fails_loudly() -> None:
    context = dsl_context(timeline=[{"at": "09:00"}])
    with pytest.raises(TemplateProblem, match="what"):
        render_email("emmanuel-middle", "dsl_alert", context)


def test_an_unknown_message_or_a_path_as_school_is_refused() -> None:
    with pytest.raises(TemplateProblem, match="not a known message"):
        render_sms("micklefield", "message_unknown_outcome", {})
    with pytest.raises(TemplateProblem, match="not a school id"):
        render_sms("../web", "unexplained_absence", parent_context("micklefield"))


# --- parent email ---------------------------------------------------------------------------


@pytest.mark.parametrize("school_id", SCHOOLS)
def test_every_school_emails_parents_with_subject_text_and_html(school_id: str) -> None:
    email = render_email(school_id, "unexplained_absence", parent_context(school_id))
    assert isinstance(email, RenderedEmail)
    assert email.subject == f"Amira is not in school today ({school_name(school_id)})"
    assert "\n" not in email.subject
    assert email.text.startswith("Dear Mrs Smith,\n\nAmira is not in school today")
    assert email.text.endswith(f"{school_name(school_id)}\n")
    assert "\n\n\n" not in email.text
    assert "<" not in email.text
    assert "9:30am" in email.text
    assert email.html.startswith("<!DOCTYPE html>")
    assert "<p>Dear Mrs Smith,</p>" in email.html
    assert PHONES[school_id] in email.text
    assert PHONES[school_id] in email.html


def test_kts_email_asks_for_a_call_or_class_dojo_not_an_email_reply() -> None:
    email = render_email("kts-academy", "unexplained_absence", parent_context("kts-academy"))
    for part in (email.text, email.html):
        assert "Class Dojo" in part
        assert "reply to this email" not in part
    default = render_email("micklefield", "unexplained_absence", parent_context("micklefield"))
    assert "reply to this email" in default.text


def test_html_escapes_a_name_and_text_keeps_it_as_written() -> None:
    context = parent_context(
        "micklefield", contact_name="Mr <script>alert(1)</script>", child_first_name="O'Neil & Co"
    )
    email = render_email("micklefield", "unexplained_absence", context)
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "O&#39;Neil &amp; Co" in email.html
    assert "Dear Mr <script>alert(1)</script>," in email.text
    assert "O'Neil & Co is not in school" in email.text
    assert email.subject.startswith("O'Neil & Co is not in school")


def test_a_line_break_in_a_name_cannot_break_the_subject_line() -> None:
    context = parent_context("micklefield", child_first_name="Amira\r\nBcc: someone@example.org")
    email = render_email("micklefield", "unexplained_absence", context)
    assert "\n" not in email.subject
    assert "\r" not in email.subject


# --- DSL alert ------------------------------------------------------------------------------


def test_the_dsl_alert_email_lists_every_timeline_entry() -> None:
    context = dsl_context()
    email = render_email("emmanuel-middle", "dsl_alert", context)
    assert "Amira K., Year 7" in email.subject
    assert "\n" not in email.subject
    timeline = context["timeline"]
    assert isinstance(timeline, list)
    for entry in timeline:
        assert f"{entry['at']}  {entry['what']}" in email.text
        assert f"<tr><td>{entry['at']}</td><td>{entry['what']}</td></tr>" in email.html
    assert "not known to be safe by the deadline" in email.text
    assert "Designated Safeguarding Lead" in email.text
    assert "Open the alert: https://attendance.example.org/alerts/42" in email.text
    assert '<a href="https://attendance.example.org/alerts/42">' in email.html
    assert "<" not in email.text


def test_the_dsl_alert_email_escapes_the_timeline_in_html() -> None:
    context = dsl_context(timeline=[{"at": "09:00", "what": "Parent replied <b>at work</b>"}])
    email = render_email("emmanuel-middle", "dsl_alert", context)
    assert "Parent replied &lt;b&gt;at work&lt;/b&gt;" in email.html
    assert "Parent replied <b>at work</b>" in email.text


def test_the_dsl_alert_without_link_or_timeline_says_where_to_look() -> None:
    email = render_email("emmanuel-middle", "dsl_alert", dsl_context(link=None, timeline=[]))
    assert "Nothing has been recorded." in email.text
    assert "Open Alerts in the attendance app" in email.text
    assert "Nothing has been recorded." in email.html
    text = render_sms("emmanuel-middle", "dsl_alert", dsl_context(link=None))
    assert "Alerts in the attendance app" in text


REASONS = [  # as the chase raises them
    "not known to be safe by the final deadline",
    "the parent's reply suggests they did not know the child was absent",
]
LONG_LINK = "https://attendance.example-trust.org.uk/alerts/12345"


@pytest.mark.parametrize("school_id", SCHOOLS)
@pytest.mark.parametrize("reason", REASONS)
@pytest.mark.parametrize("link", [LONG_LINK, None])
def test_the_dsl_alert_text_says_who_what_and_where_in_two_segments(
    school_id: str, reason: str, link: str | None
) -> None:
    safeguarding = load_policy(bundled_policy(school_id)).policy.safeguarding
    roles = [safeguarding.dsl.role] + ([safeguarding.deputy.role] if safeguarding.deputy else [])
    for role in roles:
        for pupil in ("Amira K., Year 7", "Maximilian-Alexander B., Year 10"):
            context = dsl_context(
                school_name=school_name(school_id),
                recipient_role=role,
                pupil_reference=pupil,
                reason=reason,
                link=link,
                session="afternoon",
            )
            text = render_sms(school_id, "dsl_alert", context)
            assert sms_segments(text) <= 2
            assert text.startswith(f"{school_name(school_id)}: safeguarding alert for the {role}.")
            assert f"{pupil}, afternoon: {reason}." in text
            assert (link or "Open Alerts in the attendance app.") in text
            assert "Home visit" not in text  # the timeline is for the email and the app


@pytest.mark.parametrize("school_id", SCHOOLS)
@pytest.mark.parametrize("pupil", ["Zoë K., Reception", "Maximilian-Łukasz B., Year 10"])
def test_a_ucs2_dsl_alert_still_goes_with_who_and_where(school_id: str, pupil: str) -> None:
    # A safeguarding alert must always render: at 134 UCS-2 characters the compact text
    # keeps the pupil and the link, and the email carries the rest.
    for reason in REASONS:
        context = dsl_context(
            school_name=school_name(school_id), pupil_reference=pupil, reason=reason, link=LONG_LINK
        )
        text = render_sms(school_id, "dsl_alert", context)
        assert sms_segments(text) <= 2
        assert text == f"Safeguarding alert: {pupil}, not known to be safe. {LONG_LINK}"


def test_the_dsl_alert_email_leaves_out_an_unknown_deadline() -> None:
    email = render_email("emmanuel-middle", "dsl_alert", dsl_context(deadline=""))
    assert "deadline" not in email.text.replace("by the deadline", "")
    assert "(deadline" not in email.html


# --- the templates folder -------------------------------------------------------------------


def test_every_override_folder_is_a_real_school() -> None:
    # A misspelt folder would silently fall back to the default wording.
    known = {path.stem for path in POLICY_DIR.glob("*.toml")} | {"default"}
    for kind in ("sms", "email"):
        folders = {path.name for path in (TEMPLATES / kind).iterdir() if path.is_dir()}
        assert folders <= known, folders - known


def test_every_message_has_default_templates_and_every_email_override_is_whole() -> None:
    for message in MESSAGE_KEYS:
        assert (TEMPLATES / "sms" / "default" / f"{message}.txt").is_file()
    parts = {"subject.txt", "text.txt", "html.html"}
    for folder in (TEMPLATES / "email").glob("*/*"):
        assert folder.name in MESSAGE_KEYS, folder
        assert {path.name for path in folder.iterdir()} == parts, folder
    for message in MESSAGE_KEYS:
        assert Path(TEMPLATES / "email" / "default" / message).is_dir()
