"""Reading parents' replies: alarms first, recognised reasons explain, the rest stays open."""

from __future__ import annotations

import pytest

from chase.replies import children_named, read_reply


@pytest.mark.parametrize(
    ("body", "meaning", "code"),
    [
        ("He's got a temperature", "reason_given", "I"),
        ("sorry she's been sick all night", "reason_given", "I"),
        ("Dentist appointment, back after lunch", "reason_given", "M"),
        ("It's Eid today", "reason_given", "R"),
        ("What? He left for school at 8", "parent_unaware", None),
        ("she's not with me", "parent_unaware", None),
        ("I thought she was at school!", "parent_unaware", None),
        ("Where is she?", "parent_unaware", None),
        ("didn't know", "parent_unaware", None),
        # A parent who knows, in words that contain the alarm phrases:
        ("I didn't know I had to ring, he is ill", "reason_given", "I"),
        ("He hasn't gone to school, he is sick", "reason_given", "I"),
        ("She is with me, will explain later", "safe_reason_to_follow", None),
        ("keeping him home today", "safe_reason_to_follow", None),
        # Unclear: the chase goes on.
        ("Who is this?", "unclear", None),
        ("Call me please", "unclear", None),
        ("ok", "unclear", None),
    ],
)
def test_reply_meaning(body: str, meaning: str, code: str | None) -> None:
    read = read_reply(body)
    assert (read.meaning, read.suggested_code) == (meaning, code)


def test_children_named() -> None:
    family = {1: "Amira", 2: "Tom"}
    assert children_named("Tom is ill", family) == {2}
    assert children_named("both poorly", family) == set()
    assert children_named("Tomasz is ill", family) == set()  # whole names only
